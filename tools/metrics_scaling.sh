#!/usr/bin/env bash
# Time and memory of one MHM configuration per M (jobs/experiments/metrics_scaling.toml: d = 64,
# 256 random queries, one group of RANKS ranks) for each run.metrics mode asked for, one run at
# a time: wall time and the file's phase times, the dry run's estimated peak per rank and the
# measured maximum RSS of every rank (/usr/bin/time), one Markdown table row per run.
#   tools/metrics_scaling.sh BUILD_DIR OUT_DIR "M:MODE ..."      e.g. "65536:exact 1048576:off"
# RANKS (default 4) and THREADS (OpenMP threads per rank, default 1) come from the environment.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "$1" && pwd)"
out="$2"
runs="$3"
ranks="${RANKS:-4}"
threads="${THREADS:-1}"
config="$here/jobs/experiments/metrics_scaling.toml"
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=passive

echo "| M | run.metrics | wall s | metrics s | retrieval s | delta_min | min_angle_deg | est. peak MiB/rank | max RSS MiB/rank | load (1 min) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for run in $runs; do
  m="${run%%:*}"
  mode="${run#*:}"
  name="M${m}_${mode}"
  set_args=(--set "sweep.M=[$m]" --set "run.metrics=\"$mode\"" --set "run.group_size=$ranks")
  peak=$(mpirun -n "$ranks" --oversubscribe --bind-to none "$build/hopcap" run "$config" -o "$out/$name.h5" \
           "${set_args[@]}" --dry-run | awk '$1 == "total" { print $4 }')
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s.%N)
  mpirun -n "$ranks" --oversubscribe --bind-to none \
    sh -c 'exec /usr/bin/time -f %M -o "$0.rss.$OMPI_COMM_WORLD_RANK" "$@"' "$out/$name" \
    "$build/hopcap" run "$config" -o "$out/$name.h5" --overwrite "${set_args[@]}" >"$out/$name.log" 2>&1
  end=$(date +%s.%N)
  rss=$(cat "$out/$name".rss.* | sort -n | tail -1)  # KiB, the largest rank
  /usr/bin/python3 - "$out/$name.h5" "$m" "$mode" "$start" "$end" "$peak" "$rss" "$load" <<'PY'
import sys
import h5py
import numpy as np
path, m, mode, start, end, peak, rss, load = sys.argv[1:]
wall = float(end) - float(start)
with h5py.File(path, "r") as f:
    status = int(np.ravel(f["status"][...])[0])
    value = lambda name: float(np.ravel(f[name][...])[0])
    if status != 1:
        sys.exit(f"{path}: status {status}")
    print(f"| 2^{int(m).bit_length() - 1} | {mode} | {float(wall):.1f} | {value('seconds_metrics'):.2f} | "
          f"{value('seconds_retrieval'):.1f} | {value('delta_min'):.4f} | {value('min_angle_deg'):.2f} | "
          f"{float(peak):.0f} | {int(rss) / 1024:.0f} | {load} |")
PY
done
