#!/usr/bin/env bash
# Metastable-state size distributions (the paper's Table 1): runs the configs of one case on
# 1-2 ranks (jobs/laptop.sh: an interrupted run resumes), then writes a Markdown table per
# run (tools/metastable_table.py) and the standard figures (tools/plot.py).
#   jobs/experiments/metastable.sh [CASE=all] [OUTDIR=runs/experiments/metastable] [RANKS=2]
# CASE: synthetic (the official code's settings and hopcap's clean KHM; seconds),
#       fashion-mnist (6,000 training images as memories, 1,000 test images as queries;
#       a few minutes), all (both). The paper-size Fashion-MNIST run is a cluster job:
#       sbatch --ntasks=16 jobs/slurm/hopcap.sbatch jobs/experiments/metastable_fashion_mnist_paper.toml
#       and then tools/metastable_table.py on its file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
case_name="${1:-all}"
outdir="${2:-runs/experiments/metastable}"
ranks="${3:-2}"
case "$case_name" in
  synthetic) configs=(metastable_synthetic metastable_synthetic_clean) ;;
  fashion-mnist) configs=(metastable_fashion_mnist_laptop) ;;
  all) configs=(metastable_synthetic metastable_synthetic_clean metastable_fashion_mnist_laptop) ;;
  *) echo "jobs/experiments/metastable.sh: unknown case '$case_name' (synthetic | fashion-mnist | all)" >&2; exit 2 ;;
esac
export HOPCAP="${HOPCAP:-$root/build/hopcap}"
for name in "${configs[@]}"; do
  "$root/jobs/laptop.sh" "$here/$name.toml" "$ranks" "$outdir"
  "$root/tools/metastable_table.py" "$outdir/$name.h5" --out "$outdir/$name.md"
  "$root/tools/plot.py" "$outdir/$name.h5" --out "$outdir/${name}_figures" >/dev/null
  echo "== $name: sizes of the final states, % of queries ($outdir/$name.md)"
  cat "$outdir/$name.md"
done
