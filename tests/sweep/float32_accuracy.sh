#!/usr/bin/env bash
# The float32 accuracy gate: a fixed small sweep in float64 and in float32 must give the same
# status at every point and success rates that agree within the run's statistical noise
# (three standard errors plus one query: tests/sweep/precision_gate.py); and the float32 run
# must be bitwise the same in a group of two ranks and with two threads (docs/engine.md).
source "$(dirname "$0")/common.bash" "$1" "$2"

# MHM and a fixed-map KHM, every exact separation, β from failure to retrieval, M across the
# transition at d = 8: points at success 0, 1 and in between.
cat >"$work/gate.toml" <<'TOML'
[sweep]
d = [8]
M = [16, 64, 256]
Dphi = [8]
beta = [2.0, 8.0, 32.0]
sep = ["softmax", "entmax15", "sparsemax"]
query = ["angle:30", "gauss:0.2"]
model = ["mhm", "khm_random"]
memories = ["sphere"]
seed = 5
[retrieval]
queries_per_memory = 4
t_max = 60
[run]
metrics = "off"
TOML

OMP_NUM_THREADS=1 run_np 1 "$work/gate.toml" -o "$work/f64.h5" >"$work/f64.log" 2>&1 || fail "float64 run: $(tail -5 "$work/f64.log")"
f32=(--set 'retrieval.precision="float32"')
OMP_NUM_THREADS=1 run_np 1 "$work/gate.toml" -o "$work/f32.h5" "${f32[@]}" >"$work/f32.log" 2>&1 || fail "float32 run: $(tail -5 "$work/f32.log")"

PYTHONPATH="$here" "$py" - "$work/f64.h5" "$work/f32.h5" <<'PYEOF' || fail "float32 and float64 disagree beyond the noise"
import sys
import h5py
import numpy as np
from precision_gate import rate_gaps, same_points, text

with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    assert text(a.attrs["retrieval_precision"]) == "float64", a.attrs["retrieval_precision"]
    assert text(b.attrs["retrieval_precision"]) == "float32", b.attrs["retrieval_precision"]
    assert 'precision = "float32"' in text(b.attrs["config"])
    same_points(a, b)
    gap, allowed, n = rate_gaps(a, b)
    p64, p32 = a["success_rate"][...], b["success_rate"][...]
    inside = ((p64 > 0) & (p64 < 1)).sum()
    print(f"{p64.size} points, {inside} in the transition (0 < p < 1); success rates differ at "
          f"{(gap > 0).sum()}, largest gap {gap.max():.4f} (allowed there {allowed.flat[gap.argmax()]:.4f})")
    # For the record, not gated: float32 stops at its floored tolerance (docs/science.md).
    print(f"converged_rate largest gap {np.abs(a['converged_rate'][...] - b['converged_rate'][...]).max():.4f}; "
          f"iterations_mean {a['iterations_mean'][...].mean():.2f} (float64) vs {b['iterations_mean'][...].mean():.2f} (float32)")
    assert inside >= 10, "the sweep no longer crosses the transition; the gate would test nothing"
    bad = np.argwhere(gap > allowed)
    for index in bad:
        i = tuple(index)
        print(f"point {i}: float64 {p64[i]:.4f}, float32 {p32[i]:.4f}, n = {n[i]:.0f}, allowed {allowed[i]:.4f}")
    sys.exit(1 if len(bad) else 0)
PYEOF

# float32 results do not depend on the group or the threads either.
if OMP_NUM_THREADS=1 run_np 2 "$work/gate.toml" -o "$work/f32_g2.h5" "${f32[@]}" --set run.group_size=2 >"$work/g2.log" 2>&1; then
  "$py" "$here/compare_runs.py" "$work/f32.h5" "$work/f32_g2.h5" 0 || fail "float32 differs in a group of 2"
else
  fail "float32 run in a group of 2: $(tail -5 "$work/g2.log")"
fi
if OMP_NUM_THREADS=2 run_np 1 "$work/gate.toml" -o "$work/f32_t2.h5" "${f32[@]}" >"$work/t2.log" 2>&1; then
  "$py" "$here/compare_runs.py" "$work/f32.h5" "$work/f32_t2.h5" 0 || fail "float32 differs with 2 threads"
else
  fail "float32 run with 2 threads: $(tail -5 "$work/t2.log")"
fi
finish
