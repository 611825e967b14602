#!/usr/bin/env bash
# float32 against float64 U-Hop+ step: BM_UhopStep (loss and ∂L/∂W of a linear map, d = D_Φ =
# 64, τ = 0.1) at M = 2048 (pairwise, per_memory) and M = 512 (pairwise), run as interleaved
# rounds A B A B ... at 1 and 2 threads; prints each side's median real time and the ratio.
# The machine is shared and noisy: only the ratio of medians from one interleaved run means
# anything.
#
# Usage: tools/bench_uhop_precision.sh [BENCH] [ROUNDS]
#        (defaults: build/tests/bench/bench_uhop 5)
set -euo pipefail
bench="${1:-build/tests/bench/bench_uhop}"
rounds="${2:-5}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# One benchmark run's real time in ms (Google Benchmark's own repetitions: 3, median).
one() {
  local threads="$1" m="$2" kind="$3" precision="$4"
  OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS=1 "$bench" \
    --benchmark_filter="^BM_UhopStep/$m/64/64/$kind/$precision/" --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true --benchmark_format=csv 2>/dev/null |
    awk -F, '/_median"/ { print $3 }'
}
for case in "2048 0 pairwise" "2048 1 per_memory" "512 0 pairwise"; do
  read -r m kind name <<<"$case"
  for threads in 1 2; do
    f64=()
    f32=()
    for ((r = 0; r < rounds; ++r)); do
      f64+=("$(one "$threads" "$m" "$kind" 0)")
      f32+=("$(one "$threads" "$m" "$kind" 1)")
    done
    m64="$(printf '%s\n' "${f64[@]}" | median)"
    m32="$(printf '%s\n' "${f32[@]}" | median)"
    echo "M $m $name threads $threads: float64 median ${m64} ms, float32 median ${m32} ms (rounds $rounds)," \
      "float64 / float32 = $(awk -v a="$m64" -v b="$m32" 'BEGIN { printf "%.2f", a / b }')"
    echo "  float64 rounds: ${f64[*]}"
    echo "  float32 rounds: ${f32[*]}"
  done
done
