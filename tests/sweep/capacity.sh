#!/usr/bin/env bash
# Capacity mode: the search's bracket is consistent with its own probes, each probe equals the
# replica-pooled success of a plain grid run at that M (same nested memory sets), and the
# result does not depend on the ranks or the group size.
source "$(dirname "$0")/common.bash" "$1" "$2"

capacity=(--set capacity.enabled=true --set capacity.M_min=2 --set capacity.M_max=200 --set capacity.delta=0.05
          --set 'sweep.beta=[4.0, 16.0]' --set 'sweep.Dphi=[4]' --set sweep.replicas=2 --set uhop.iters=20)
OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/cap1.h5" "${capacity[@]}" >"$work/cap1.log" 2>&1 ||
  fail "capacity run: $(tail -5 "$work/cap1.log")"
for setup in "3 1" "2 2"; do
  read -r ranks group <<<"$setup"
  OMP_NUM_THREADS=1 run_np "$ranks" "$tiny" -o "$work/cap_np$ranks.h5" "${capacity[@]}" --set "run.group_size=$group" \
    >"$work/run.log" 2>&1 || fail "capacity at $ranks ranks: $(tail -5 "$work/run.log")"
  "$py" "$here/compare_runs.py" "$work/cap1.h5" "$work/cap_np$ranks.h5" 1e-12 || fail "capacity differs at $ranks ranks, group $group"
done

# The bracket: success >= 1 - delta at capacity, < 1 - delta right above it; doubling from
# M_min first. Prints one point with a two-sided bracket as "d Dphi beta sep query model memories capacity".
"$py" - "$work/cap1.h5" >"$work/point.txt" <<'PY' || fail "capacity bracket"
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    assert f.attrs["mode"] in ("capacity", b"capacity")
    assert "M" not in f and "replica" not in f, "capacity files have no M or replica axis"
    status = f["status"][...]
    cap, bound = f["capacity"][...], f["capacity_bound"][...]
    pm, ps = f["probe_M"][...], f["probe_success"][...]
    level = 1 - 0.05
    chosen = None
    for ix in zip(*np.nonzero(status == 1)):
        m, s = pm[ix], ps[ix]
        m, s = m[~np.isnan(m)], s[~np.isnan(m)]
        seen = dict(zip(m.astype(int), s))
        # doubling: 2, 4, 8, ... until the first failure or M_max
        k = 0
        while k < len(m) and m[k] == min(2 * 2 ** k, 200):
            if seen[int(m[k])] < level or m[k] == 200:
                break
            k += 1
        c, b = int(cap[ix]), int(bound[ix])
        if b == -1:
            assert c == 1 and m[0] == 2 and s[0] < level, (ix, c, m, s)
        elif b == 1:
            assert c == 200 and seen[200] >= level, (ix, c, m, s)
        else:
            assert b == 0 and seen[c] >= level and seen[c + 1] < level, (ix, c, m, s)
            assert f["success_at_capacity"][ix] == seen[c] and f["success_above_capacity"][ix] == seen[c + 1]
            if chosen is None:
                chosen = ix
    assert chosen is not None, "no point with a two-sided bracket; the test settings need adjusting"
    names = ["d", "Dphi", "beta", "sep", "query", "model", "memories"]
    values = []
    for axis, i in zip(names, chosen):
        v = f[axis][i]
        values.append(v.decode() if isinstance(v, bytes) else repr(v.item()))
    print(" ".join(values), int(cap[chosen]))
PY

# A grid run at M = capacity and capacity + 1 on the same point gives the probes' pooled success.
if [[ -s "$work/point.txt" ]]; then
  read -r d dphi beta sep query model memories cap <"$work/point.txt"
  OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/grid.h5" --set uhop.iters=20 --set sweep.replicas=2 \
    --set "sweep.d=[$d]" --set "sweep.Dphi=[$dphi]" --set "sweep.beta=[$beta]" --set "sweep.sep=[\"$sep\"]" \
    --set "sweep.query=[\"$query\"]" --set "sweep.model=[\"$model\"]" --set "sweep.memories=[\"$memories\"]" \
    --set "sweep.M=[$cap, $((cap + 1))]" >"$work/grid.log" 2>&1 || fail "grid run: $(tail -5 "$work/grid.log")"
  "$py" - "$work/cap1.h5" "$work/grid.h5" "$cap" <<'PY' || fail "probes differ from grid runs"
import sys
import h5py
import numpy as np
cap_path, grid_path, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
with h5py.File(grid_path, "r") as g:
    pooled = g["success_rate"][...].reshape(2, 2)  # (M, replica); every other axis has one value
    queries = g["queries"][...].reshape(2, 2)
    pooled = (pooled * queries).sum(axis=1) / queries.sum(axis=1)
    names = ["d", "Dphi", "beta", "sep", "query", "model", "memories"]
    coords = {n: g[n][0] for n in names}
with h5py.File(cap_path, "r") as f:
    ix = tuple(int(np.nonzero(f[n][...] == coords[n])[0][0]) for n in names)
    pm, ps = f["probe_M"][ix], f["probe_success"][ix]
    seen = {int(m): s for m, s in zip(pm, ps) if not np.isnan(m)}
for k, m in enumerate((cap, cap + 1)):
    if abs(seen[m] - pooled[k]) > 1e-12:
        sys.exit(f"M = {m}: probe success {seen[m]} vs grid {pooled[k]}")
print(f"probes at M = {cap}, {cap + 1} equal the grid runs ({pooled[0]:.4f}, {pooled[1]:.4f})")
PY
fi

# One search per replica (capacity.per_replica): a replica axis, and the same file at any
# rank count, query angles included (feature_angle queries are placed through each map).
per_replica=("${capacity[@]}" --set capacity.per_replica=true --set 'sweep.query=["angle:20", "feature_angle:20"]'
             --set 'sweep.model=["mhm", "khm_random"]')
OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/each1.h5" "${per_replica[@]}" >"$work/each1.log" 2>&1 ||
  fail "per-replica run: $(tail -5 "$work/each1.log")"
OMP_NUM_THREADS=1 run_np 3 "$tiny" -o "$work/each3.h5" "${per_replica[@]}" --set run.group_size=1 >"$work/each3.log" 2>&1 ||
  fail "per-replica run at 3 ranks: $(tail -5 "$work/each3.log")"
"$py" "$here/compare_runs.py" "$work/each1.h5" "$work/each3.h5" 0 || fail "per-replica capacity differs at 3 ranks"
"$py" - "$work/each1.h5" <<'PY' || fail "per-replica layout"
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    status = f["status"]
    axes = [status.dims[k][0].name.lstrip("/") for k in range(status.ndim)]
    assert axes[-1] == "replica" and f["replica"].shape == (2,), axes
    assert (status[...] == 1).all()
    queries = [q.decode() if isinstance(q, bytes) else str(q) for q in f["query"][...]]
    placed = f["probe_query_angle_max_deg"][:, :, :, :, queries.index("feature_angle:20")]
    placed = placed[~np.isnan(placed)]
    assert placed.size and np.allclose(placed, 20.0, atol=1e-9), placed
PY
finish
