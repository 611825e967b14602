#!/usr/bin/env bash
# U-Hop+ loss curves for M = 100 and 200 (the paper's appendix figure): a few seconds.
#   jobs/experiments/loss_curves.sh [OUTDIR=runs/experiments/loss_curves] [RANKS=2]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
outdir="${1:-runs/experiments/loss_curves}"
ranks="${2:-2}"
export HOPCAP="${HOPCAP:-$root/build/hopcap}"
"$root/jobs/laptop.sh" "$here/loss_curves.toml" "$ranks" "$outdir"
"$root/tools/plot.py" "$outdir/loss_curves.h5" --out "$outdir"
