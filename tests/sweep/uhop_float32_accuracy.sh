#!/usr/bin/env bash
# The U-Hop+ float32 gate at sweep level: a khm_uhop sweep whose Algorithm 1 (method paper, τ
# annealed to 5e-4) learns the icosahedron from 12 memories, trained in float64 and in float32
# (uhop.precision), must give the same status, learned codes within 0.02° of each other and
# of the icosahedron within 0.05° (tests/test_uhop_float32.cpp), and the same success rate
# within the retrieval gate's noise (tests/sweep/precision_gate.py);
# and the float32 run must be bitwise the same in a group of two ranks.
source "$(dirname "$0")/common.bash" "$1" "$2"

cat >"$work/gate.toml" <<'TOML'
[sweep]
d = [24]
M = [12]
Dphi = [3]
beta = [8.0]
sep = ["softmax"]
query = ["angle:20"]
model = ["khm_uhop"]
memories = ["sphere"]
replicas = 2
seed = 3
[retrieval]
queries_per_memory = 4
[uhop]
method = "paper"
iters = 2000
tau = 0.1
tau_min = 5e-4
anneal = 0.997
lr = 0.02
lr_follows_tau = true
restarts = 3
[run]
metrics = "off"
TOML

OMP_NUM_THREADS=1 run_np 1 "$work/gate.toml" -o "$work/f64.h5" >"$work/f64.log" 2>&1 || fail "float64 run: $(tail -5 "$work/f64.log")"
f32=(--set 'uhop.precision="float32"')
OMP_NUM_THREADS=1 run_np 1 "$work/gate.toml" -o "$work/f32.h5" "${f32[@]}" >"$work/f32.log" 2>&1 || fail "float32 run: $(tail -5 "$work/f32.log")"

PYTHONPATH="$here" "$py" - "$work/f64.h5" "$work/f32.h5" <<'PYEOF' || fail "float32 and float64 U-Hop+ disagree"
import math
import sys
import h5py
import numpy as np
from precision_gate import rate_gaps, same_points, text

icosahedron = math.degrees(math.acos(1 / math.sqrt(5)))
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    assert text(a.attrs["uhop_precision"]) == "float64", a.attrs["uhop_precision"]
    assert text(b.attrs["uhop_precision"]) == "float32", b.attrs["uhop_precision"]
    assert text(b.attrs["retrieval_precision"]) == "float64"
    same_points(a, b)
    angle = lambda f: np.degrees(np.arccos(1 - f["uhop_delta_min_after"][...]))
    a64, a32 = angle(a), angle(b)
    print(f"learned angles: float64 {a64.ravel()}, float32 {a32.ravel()}, icosahedron {icosahedron:.7f}")
    assert (np.abs(a64 - icosahedron) < 0.05).all() and (np.abs(a32 - icosahedron) < 0.05).all(), "not the icosahedron"
    assert (np.abs(a32 - a64) < 0.02).all(), "float32 and float64 codes differ"
    gap, allowed, _ = rate_gaps(a, b)
    assert (gap <= allowed).all(), f"success {a['success_rate'][...]} against {b['success_rate'][...]}"
PYEOF

if OMP_NUM_THREADS=1 run_np 2 "$work/gate.toml" -o "$work/f32_g2.h5" "${f32[@]}" --set run.group_size=2 >"$work/g2.log" 2>&1; then
  "$py" "$here/compare_runs.py" "$work/f32.h5" "$work/f32_g2.h5" 0 || fail "float32 U-Hop+ differs in a group of 2"
else
  fail "float32 run in a group of 2: $(tail -5 "$work/g2.log")"
fi
finish
