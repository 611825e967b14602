#!/usr/bin/env bash
# tools/capacity_scaling.py on the synthetic capacity file (tests/tools/make_synthetic_capacity_file.py):
# for every KHM series the table's capacities, the least-squares slope of log2 M* over the
# bracketed points and the inverse table (smallest D_Phi with M* >= M) equal what is computed
# here independently with h5py and numpy; the MHM (independent of D_Phi) is left out; the
# figure is a real PNG.
# Usage: capacity_scaling.sh HOPCAP MPIEXEC   (exit 77: skipped)
source "$(dirname "$0")/../sweep/common.bash" "$1" "$2"
tests_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! "$py" -c 'import h5py, numpy, xarray, h5netcdf, matplotlib' 2>/dev/null; then
  echo "SKIP: $py cannot import h5py, numpy, xarray, h5netcdf and matplotlib"
  exit 77
fi
export MPLBACKEND=Agg
"$py" "$tests_here/make_synthetic_capacity_file.py" "$work/synthetic.h5" || fail "synthetic capacity file"
"$py" "$tests_here/../../tools/capacity_scaling.py" "$work/synthetic.h5" --out "$work/out" >"$work/tool.log" 2>&1 ||
  fail "capacity_scaling.py: $(cat "$work/tool.log")"
[[ $(stat -c %s "$work/out/capacity_scaling.png" 2>/dev/null || echo 0) -gt 10000 ]] || fail "no figure"
"$py" - "$work/synthetic.h5" "$work/out/capacity_scaling.md" <<'PY' || fail "capacity-scaling table"
import re, sys
import h5py
import numpy as np
path, table = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
sections = {h.strip(): body for h, body in re.findall(r"^### (.*?)\n(.*?)(?=^### |\Z)", table, re.S | re.M)}
assert not any("model=mhm" in h for h in sections), "the MHM must be left out"
with h5py.File(path, "r") as f:
    text = lambda v: [x.decode() if isinstance(x, bytes) else str(x) for x in v]
    dphi, betas, seps, models = f["Dphi"][...], f["beta"][...], text(f["sep"][...]), text(f["model"][...])
    # Axis order of capacity files: d, Dphi, beta, sep, query, model, memories.
    cap, bound, status = f["capacity"][...], f["capacity_bound"][...], f["status"][...]
    checked = 0
    for b, beta in enumerate(betas):
        for s, sep in enumerate(seps):
            m = models.index("khm_uhop")
            pick = (0, slice(None), b, s, 0, m, 0)
            ok = status[pick] == 1
            if np.count_nonzero(ok) < 2:
                continue
            key = f"beta={beta}, sep={sep}, model=khm_uhop"
            body = sections[key]
            rows = [l.split("|")[1:-1] for l in body.splitlines() if re.match(r"^\| \d+ \| \d+ \|", l) and l.count("|") == 7]
            assert [int(r[0]) for r in rows] == list(dphi[ok]) and [int(r[1]) for r in rows] == list(cap[pick][ok].astype(int)), (key, rows)
            x, y = dphi[ok], cap[pick][ok]
            br = bound[pick][ok] == 0
            if np.count_nonzero(br) >= 2:
                slope = np.polyfit(x[br], np.log2(y[br]), 1)[0]
                got = float(re.search(r"log2 M\* = \S+ ([+-][0-9.]+)·D_Φ", body).group(1))
                assert abs(got - slope) < 1e-4, (key, got, slope)
            inverse = dict((int(a), int(b)) for a, b in re.findall(r"^\| (\d+) \| (\d+) \|$", body, re.M))
            for target, need in inverse.items():
                assert need == min(d for d, c in zip(x, y) if c >= target), (key, target, need)
            checked += 1
assert checked >= 2, checked
print(f"checked {checked} series")
PY
finish
