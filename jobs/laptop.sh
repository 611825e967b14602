#!/usr/bin/env bash
# Run a sweep on a laptop or workstation with 1-2 MPI ranks.
#   jobs/laptop.sh CONFIG.toml [RANKS=2] [OUTDIR=runs]
# The output is OUTDIR/<config name>.h5. If that file exists from an interrupted run, the run
# resumes it (hopcap checks that the config matches); a finished file is left as it is.
# HOPCAP (default build/hopcap) names the executable.
set -euo pipefail
config="${1:?usage: jobs/laptop.sh CONFIG.toml [RANKS] [OUTDIR]}"
ranks="${2:-2}"
outdir="${3:-runs}"
hopcap="${HOPCAP:-$(dirname "$0")/../build/hopcap}"
mkdir -p "$outdir"
output="$outdir/$(basename "${config%.toml}").h5"

# Threads per rank: the cores shared among the ranks. Idle OpenMP threads must sleep rather
# than spin when ranks x threads exceed the cores, or they starve MPI's progress.
cores=$(nproc)
threads=$(( cores / ranks > 0 ? cores / ranks : 1 ))
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$threads}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
# Open MPI refuses root without these; laptops and containers often run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

resume=()
if [[ -f "$output" ]]; then
  if /usr/bin/python3 -c 'import sys, h5py; sys.exit(0 if "end_time" in h5py.File(sys.argv[1], "r").attrs else 1)' \
       "$output" 2>/dev/null; then
    echo "jobs/laptop.sh: $output is already complete; remove it to run again"
    exit 0
  fi
  resume=(--resume)
fi
exec mpiexec -n "$ranks" --oversubscribe --bind-to none "$hopcap" run "$config" -o "$output" "${resume[@]}"
