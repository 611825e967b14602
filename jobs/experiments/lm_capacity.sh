#!/usr/bin/env bash
# The MHM against Lucibello-Mezard: the laptop config (β = λ·d, capacity search over M for
# d = 8..32 and λ = 0.25, 0.5, 1) on 1-2 ranks, then tools/lm_capacity.py (ln M*/d against d
# beside α_c(λ) and the finite-d estimate at ε; table, PDF and PNG).
#   jobs/experiments/lm_capacity.sh [OUTDIR=runs/experiments/lm_capacity] [RANKS=2]
# The cluster-size config is a batch job, see jobs/experiments/lm_capacity_cluster.toml.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
outdir="${1:-runs/experiments/lm_capacity}"
ranks="${2:-2}"
export HOPCAP="${HOPCAP:-$root/build/hopcap}"
"$root/jobs/laptop.sh" "$here/lm_capacity_laptop.toml" "$ranks" "$outdir"
"$root/tools/lm_capacity.py" "$outdir/lm_capacity_laptop.h5" --out "$outdir"
