#!/usr/bin/env bash
# The engine at more ranks than a laptop has cores (oversubscribed): tiny.toml at 8 and 16
# ranks (groups of 1 and 2) equals 1 rank; and a stress sweep of 1,440 tiny configurations on
# 8 ranks (about 180 per rank) writes every point exactly once (the coordinator refuses a
# second result for a configuration) with results equal to 1 rank.
source "$(dirname "$0")/common.bash" "$1" "$2"

OMP_NUM_THREADS=1 run_np 1 "$tiny" -o "$work/ref.h5" >"$work/ref.log" 2>&1 || fail "reference run: $(tail -5 "$work/ref.log")"
for setup in "8 1" "16 1" "16 2"; do
  read -r ranks group <<<"$setup"
  out="$work/np${ranks}_g${group}.h5"
  if OMP_NUM_THREADS=1 timeout 300 "$mpiexec" -n "$ranks" --oversubscribe --bind-to none "$hopcap" run "$tiny" \
      -o "$out" --set "run.group_size=$group" >"$work/run.log" 2>&1; then
    "$py" "$here/compare_runs.py" "$work/ref.h5" "$out" 1e-12 || fail "ranks $ranks, group $group differ from 1 rank"
  else
    fail "run at $ranks ranks, group $group: $(tail -5 "$work/run.log")"
  fi
done

cat >"$work/stress.toml" <<'TOML'
[sweep]
d = [4, 5]
M = [8, 9, 10, 11, 12, 13, 14, 15]
Dphi = [3, 4]
beta = [1.0, 2.0, 4.0, 8.0, 16.0]
sep = ["softmax", "sparsemax", "entmax15"]
query = ["angle:20", "gauss:0.1"]
model = ["mhm", "khm_random"]
seed = 11
[retrieval]
t_max = 10
[run]
output = "stress.h5"
commit_every = 50
TOML
OMP_NUM_THREADS=1 run_np 1 "$work/stress.toml" -o "$work/stress_ref.h5" >"$work/ref.log" 2>&1 ||
  fail "stress reference run: $(tail -5 "$work/ref.log")"
if OMP_NUM_THREADS=1 timeout 300 "$mpiexec" -n 8 --oversubscribe --bind-to none "$hopcap" run "$work/stress.toml" \
    -o "$work/stress8.h5" >"$work/stress.log" 2>&1; then
  "$py" "$here/compare_runs.py" "$work/stress_ref.h5" "$work/stress8.h5" 1e-12 || fail "stress sweep at 8 ranks differs"
  "$py" - "$work/stress8.h5" <<'PY' || fail "stress sweep: wrong count of configurations"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    run = int(f.attrs["configurations_run"].decode() if isinstance(f.attrs["configurations_run"], bytes) else f.attrs["configurations_run"])
    status = f["status"][...]
    # mhm fills both Dphi points with one configuration; khm_random runs each.
    expected = status.size * 3 // 4
    print(f"stress: {run} configurations for {status.size} points, {int((status == 1).sum())} ok")
    sys.exit(0 if run == expected and (status == 1).all() else 1)
PY
else
  fail "stress sweep at 8 ranks: $(tail -5 "$work/stress.log")"
fi
finish
