#!/usr/bin/env bash
# Separation bound (the paper's Figure 3): U-Hop+ codes for M = 4..130 memories on S^2 against
# Sloane's best-known codes and the Prop 3.1 bounds. 53 s on 2 cores (227 s on a loaded machine).
#   jobs/experiments/separation_bound.sh [OUTDIR=runs/experiments/separation_bound] [RANKS=2]
# The best-known table is read from ../shared/spherical-codes/ next to the checkout (or give
# SEPARATION_CODES=CSV); without it the figure shows U-Hop+ and the bounds only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
outdir="${1:-runs/experiments/separation_bound}"
ranks="${2:-2}"
export HOPCAP="${HOPCAP:-$root/build/hopcap}"
"$root/jobs/laptop.sh" "$here/separation_bound.toml" "$ranks" "$outdir"
codes=()
[[ -n "${SEPARATION_CODES:-}" ]] && codes=(--codes "$SEPARATION_CODES")
"$root/tools/separation_bound.py" "$outdir/separation_bound.h5" --out "$outdir" "${codes[@]}"
