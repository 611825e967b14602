#!/usr/bin/env bash
# The experiment configs in jobs/experiments/ all validate (hopcap run --dry-run; configs that
# read Fashion-MNIST are skipped when Debian's dataset-fashion-mnist is absent), and
# tools/separation_bound.py on a short U-Hop+ run at M = 4, 6, 12: U-Hop+ reaches the
# tetrahedron, octahedron and icosahedron angles, the table's best-known angles are Sloane's
# (when ../shared/spherical-codes is beside the checkout) and its bounds are 2/(3M) and 4/√M.
# Usage: configs_and_separation_bound.sh HOPCAP MPIEXEC   (exit 77: skipped)
source "$(dirname "$0")/../sweep/common.bash" "$1" "$2"
root="$(cd "$here/../.." && pwd)"
export OMP_NUM_THREADS=1 MPLBACKEND=Agg

shopt -s nullglob
configs=("$root"/jobs/experiments/*.toml)
[[ ${#configs[@]} -gt 0 ]] || fail "no configs in jobs/experiments"
for config in "${configs[@]}"; do
  if grep -q "/usr/share/datasets/fashion-mnist" "$config" && [[ ! -d /usr/share/datasets/fashion-mnist ]]; then
    echo "skipping $(basename "$config"): dataset-fashion-mnist is not installed"
    continue
  fi
  "$hopcap" run "$config" --dry-run -o "$work/dry.h5" >"$work/dry.log" 2>&1 ||
    fail "$(basename "$config") does not validate: $(cat "$work/dry.log")"
  [[ -e "$work/dry.h5" ]] && fail "--dry-run wrote a file for $(basename "$config")"
done

if ! "$py" -c 'import numpy, xarray, h5netcdf, matplotlib' 2>/dev/null; then
  echo "SKIP: $py cannot import numpy, xarray, h5netcdf and matplotlib (tools/separation_bound.py)"
  finish
  exit 77
fi
run_np 2 "$root/jobs/experiments/separation_bound.toml" -o "$work/bound.h5" --set 'sweep.M=[4, 6, 12]' \
  --set 'sweep.d=[24]' >"$work/run.log" 2>&1 || fail "separation-bound run: $(tail -5 "$work/run.log")"
codes="$root/../shared/spherical-codes/tammes_dim3_best_known.csv"
"$py" "$root/tools/separation_bound.py" "$work/bound.h5" --out "$work/out" >"$work/tool.log" 2>&1 ||
  fail "separation_bound.py: $(cat "$work/tool.log")"
[[ $(stat -c %s "$work/out/separation_bound.png" 2>/dev/null || echo 0) -gt 10000 ]] || fail "no figure"
"$py" - "$work/out/separation_bound.md" "$codes" <<'PY' || fail "separation-bound table"
import math, os, sys
table, codes = sys.argv[1], sys.argv[2]
rows = [l.split("|")[1:-1] for l in open(table, encoding="utf-8") if l.startswith("| ") and l[2].isdigit()]
assert [int(r[0]) for r in rows] == [4, 6, 12], rows
exact = {4: math.degrees(math.acos(-1 / 3)), 6: 90.0, 12: math.degrees(math.atan(2))}  # tetrahedron, octahedron, icosahedron
for r in rows:
    m, learned = int(r[0]), float(r[2])
    assert abs(learned - exact[m]) < 0.05, (m, learned, exact[m])
    assert abs(float(r[6]) - 2 / (3 * m)) < 1e-4 and abs(float(r[7]) - 4 / math.sqrt(m)) < 1e-4, r
    if os.path.isfile(codes):
        assert abs(float(r[1]) - exact[m]) < 1e-4, r  # Sloane's table holds the exact codes here
    else:
        assert r[1].strip() == "", r
if not os.path.isfile(codes):
    print("../shared/spherical-codes is absent: the best-known column was checked to be empty")
PY
finish
