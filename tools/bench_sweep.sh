#!/usr/bin/env bash
# Whole-sweep benchmark: runs a fixed mid-size sweep (MHM and KHM, softmax and 1.5-entmax,
# M = 1024 .. 4096, d = 64) through `hopcap run` and prints configurations/s and the counted
# GFLOP/s of the run (retrieval, U-Hop+ and metrics GEMMs, as the run's own summary counts
# them), the median of REPEATS runs.
#
# Usage: tools/bench_sweep.sh [HOPCAP] [RANKS] [REPEATS]   (defaults: build/hopcap 1 3)
# Threads per rank: OMP_NUM_THREADS (default 2 / RANKS, at least 1).
set -euo pipefail
hopcap="${1:-build/hopcap}"
ranks="${2:-1}"
repeats="${3:-3}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(( ranks >= 2 ? 1 : 2 ))}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/sweep.toml" <<'TOML'
[sweep]
d = [64]
M = [1024, 2048, 4096]
Dphi = [16]
beta = [8.0]
sep = ["softmax", "entmax15"]
query = ["angle:30"]
model = ["mhm", "khm_random"]
memories = ["sphere"]
seed = 5
[retrieval]
t_max = 20
queries_per_memory = 1
TOML
rates=()
flops=()
for ((r = 0; r < repeats; ++r)); do
  if [[ $ranks -gt 1 ]]; then
    out="$(mpirun -n "$ranks" --oversubscribe --bind-to none "$hopcap" run "$work/sweep.toml" -o "$work/s.h5" --overwrite 2>&1)"
  else
    out="$("$hopcap" run "$work/sweep.toml" -o "$work/s.h5" --overwrite 2>&1)"
  fi
  line="$(grep 'configurations/s' <<<"$out" | tail -1)"
  [[ -n $line ]] || { echo "no summary line in the output:" >&2; echo "$out" >&2; exit 1; }
  rates+=("$(sed -E 's/.*: ([0-9.e+-]+) configurations\/s.*/\1/' <<<"$line")")
  flops+=("$(sed -E 's/.*, ([0-9.e+-]+) GFLOP\/s.*/\1/' <<<"$line")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "sweep: 12 configurations (d = 64, M = 1024..4096, mhm + khm_random, softmax + entmax15), $ranks rank(s) x $OMP_NUM_THREADS thread(s)"
echo "configurations/s: $(median "${rates[@]}")  (runs: ${rates[*]})"
echo "counted GFLOP/s:  $(median "${flops[@]}")  (runs: ${flops[*]})"
