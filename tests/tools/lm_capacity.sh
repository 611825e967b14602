#!/usr/bin/env bash
# tools/lm_capacity.py on a small sweep.lambda capacity run: every table row equals what is
# computed here from the file with h5py (ln M*/d, the bound, beta = lambda*d) and alpha_c(lambda)
# from its closed form; lower bounds (M* = M_max) are flagged; PDF and PNG are written; a file
# without a lambda axis and a grid file are refused with exit status 2 and a reason.
# Usage: lm_capacity.sh HOPCAP MPIEXEC   (exit 77: skipped)
source "$(dirname "$0")/../sweep/common.bash" "$1" "$2"
tool="$here/../../tools/lm_capacity.py"
if ! "$py" -c 'import h5py, numpy, matplotlib' 2>/dev/null; then
  echo "SKIP: $py cannot import h5py, numpy and matplotlib"
  exit 77
fi
export MPLBACKEND=Agg OMP_NUM_THREADS=1

common=(--set 'sweep.d=[4, 6, 10]' --set 'sweep.sep=["softmax"]' --set 'sweep.model=["mhm"]' --set 'sweep.query=["angle:0"]'
        --set 'sweep.Dphi=[4]' --set capacity.enabled=true --set capacity.M_max=16)
run_np 2 "$tiny" -o "$work/lm.h5" "${common[@]}" --set 'sweep.lambda=[0.5, 2.0]' >"$work/run.log" 2>&1 ||
  fail "lambda capacity run: $(tail -5 "$work/run.log")"
"$py" "$tool" "$work/lm.h5" --out "$work/out" >"$work/tool.log" 2>&1 || fail "lm_capacity.py: $(cat "$work/tool.log")"
[[ $(stat -c %s "$work/out/lm_capacity.png" 2>/dev/null || echo 0) -gt 10000 ]] || fail "no PNG figure"
head -c 5 "$work/out/lm_capacity.pdf" 2>/dev/null | grep -q '%PDF' || fail "no PDF figure"
cmp -s <(sed -n '/^| λ/,/^$/p' "$work/tool.log" | grep '^|') <(grep '^|' "$work/out/lm_capacity.md") ||
  fail "the printed table differs from lm_capacity.md"

"$py" - "$work/lm.h5" "$work/out/lm_capacity.md" <<'PY' || fail "lm_capacity table"
import math, sys
import h5py
import numpy as np
path, table = sys.argv[1], sys.argv[2]
rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in open(table, encoding="utf-8")
        if line.startswith("| ") and line[2].isdigit()]
with h5py.File(path, "r") as f:
    d, lam = f["d"][...], f["lambda"][...]
    # Capacity axes: d, Dphi, lambda, sep, query, model, memories (one value each but d, lambda).
    cap = f["capacity"][...].reshape(len(d), len(lam))
    bound = f["capacity_bound"][...].reshape(len(d), len(lam))
    expected = []
    for j, lv in enumerate(lam):
        phi = (math.sqrt(1 + 4 * lv * lv) - 1) / (2 * lv)
        alpha_c = lv - (0.5 * math.log(1 - phi * phi) + lv * phi)
        for i, dv in enumerate(d):
            expected.append((lv, dv, lv * dv, cap[i, j], bound[i, j], alpha_c))
assert len(rows) == len(expected) == 6, (rows, expected)
saw_lower_bound = False
for row, (lv, dv, beta, c, b, alpha_c) in zip(rows, expected):
    assert float(row[0]) == lv and int(row[1]) == dv and float(row[2]) == beta, (row, lv, dv)
    assert float(row[3]) == c, (row, c)
    assert row[4] == {0: "bracketed", 1: ">= M_max", -1: "< M_min"}[int(b)], (row, b)
    saw_lower_bound |= b == 1
    if b >= 0:
        assert abs(float(row[5]) - math.log(c) / dv) < 6e-5, (row, c, dv)
    assert abs(float(row[7]) - alpha_c) < 6e-7, (row, alpha_c)
    assert 0 < float(row[6]) < alpha_c or dv <= 6, row  # the finite-d estimate lies below alpha_c
assert saw_lower_bound, "lambda = 2 at d = 10 should reach M_max = 16"
PY

# Files it cannot use: a beta sweep, and a grid run.
run_np 1 "$tiny" -o "$work/beta.h5" "${common[@]}" --set 'sweep.beta=[4.0]' --set 'sweep.d=[4]' >"$work/run.log" 2>&1 ||
  fail "beta capacity run: $(tail -5 "$work/run.log")"
"$py" "$tool" "$work/beta.h5" --out "$work/beta" >"$work/beta.log" 2>&1
[[ $? -eq 2 ]] && grep -q "no lambda axis" "$work/beta.log" || fail "a beta file is not refused: $(cat "$work/beta.log")"
run_np 1 "$tiny" -o "$work/grid.h5" --set 'sweep.lambda=[1.0]' --set 'sweep.M=[8]' --set 'sweep.model=["mhm"]' \
  >"$work/run.log" 2>&1 || fail "grid run: $(tail -5 "$work/run.log")"
"$py" "$tool" "$work/grid.h5" --out "$work/grid" >"$work/grid.log" 2>&1
[[ $? -eq 2 ]] && grep -q "not a capacity-mode file" "$work/grid.log" || fail "a grid file is not refused: $(cat "$work/grid.log")"
finish
