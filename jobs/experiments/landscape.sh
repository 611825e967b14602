#!/usr/bin/env bash
# Energy landscapes (the paper's Figure 1) and basins of attraction (Figure 2) of 2-D memory
# sets before and after 1, 2 and 5 U-Hop+ steps (and 50, where the map has converged), with
# the settings of the paper's scripts (paper.md §5.2-5.3; affine map as the code's nn.Linear):
# a few seconds.
#   jobs/experiments/landscape.sh [OUTDIR=runs/experiments/landscape]
#   Figure 1: 2 memories at β = 1/0.9 (seed 111) and 4 memories at β = 20 (seed 1111), a 40×40
#             grid, U-Hop+ by plain SGD (lr 0.1, τ = 1).
#   Figure 2: 5 memories at β = 20 (seed 42), a 100×100 grid, U-Hop+ by Adam (lr 0.1, τ = 1),
#             5 retrieval updates per grid point.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
outdir="${1:-runs/experiments/landscape}"
hopcap="${HOPCAP:-$root/build/hopcap}"
mkdir -p "$outdir"
common=(--snapshots 0,1,2,5,50 --tau 1 --lr 0.1 --bias)
"$hopcap" landscape --M 2 --seed 111 --beta 1.1111111111111112 --grid 40 --optimizer sgd --momentum 0 "${common[@]}" \
  --overwrite --out "$outdir/landscape_2.h5" >"$outdir/landscape_2.json"
"$hopcap" landscape --M 4 --seed 1111 --beta 20 --grid 40 --optimizer sgd --momentum 0 "${common[@]}" \
  --overwrite --out "$outdir/landscape_4.h5" >"$outdir/landscape_4.json"
"$hopcap" landscape --M 5 --seed 42 --beta 20 --grid 100 --optimizer adam "${common[@]}" \
  --overwrite --out "$outdir/basins_5.h5" >"$outdir/basins_5.json"
for name in landscape_2 landscape_4 basins_5; do
  "$root/tools/landscape_plot.py" "$outdir/$name.h5" --out "$outdir"
done
/usr/bin/python3 - "$outdir" <<'PY'
import json, sys
for name in ("landscape_2", "landscape_4", "basins_5"):
    run = json.load(open(f"{sys.argv[1]}/{name}.json"))
    print(f"{name}: M = {run['M']}, beta = {run['beta']:g}; share of grid points that reach a memory:")
    for snap in run["snapshots"]:
        shares = ", ".join(f"{k} {100 * v:.1f} %" for k, v in snap["captured_fraction"].items())
        print(f"  N = {snap['step']}: min angle {snap['min_angle_deg']:.1f} deg; {shares}")
PY
