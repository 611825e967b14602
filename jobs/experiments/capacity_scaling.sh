#!/usr/bin/env bash
# Capacity against feature dimension (the paper's central claim): the learned map
# (capacity_scaling_laptop.toml) and its baselines with 5 replicas each
# (capacity_scaling_baselines_laptop.toml: random map, plain MHM) on 1-2 ranks, both at query
# noise 10° in raw space and 10° in feature space; then tools/capacity_scaling.py (fit of
# log2 M* against D_Φ, the D_Φ needed for M memories) and tools/plot.py on both files
# (capacity_vs_dphi.png with the baselines' spread and the spherical-code bounds at each learned
# code's measured angle). docs/reproduction.md gives the run times measured on 2 cores.
#   jobs/experiments/capacity_scaling.sh [OUTDIR=runs/experiments/capacity_scaling] [RANKS=2]
# The cluster-size config is a batch job, see jobs/experiments/capacity_scaling_cluster.toml.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
outdir="${1:-runs/experiments/capacity_scaling}"
ranks="${2:-2}"
export HOPCAP="${HOPCAP:-$root/build/hopcap}"
"$root/jobs/laptop.sh" "$here/capacity_scaling_laptop.toml" "$ranks" "$outdir"
"$root/jobs/laptop.sh" "$here/capacity_scaling_baselines_laptop.toml" "$ranks" "$outdir"
"$root/tools/capacity_scaling.py" "$outdir/capacity_scaling_laptop.h5" --out "$outdir"
"$root/tools/plot.py" "$outdir/capacity_scaling_laptop.h5" "$outdir/capacity_scaling_baselines_laptop.h5" \
  --out "$outdir"
