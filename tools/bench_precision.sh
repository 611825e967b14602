#!/usr/bin/env bash
# float32 against float64 retrieval step: BM_RetrievalStep (the update `run()` applies, fused
# panel path, workspace sized once) at M = 4096, d = 64, B = 1024, softmax, run as interleaved
# rounds A B A B ... at 1 and 2 threads; prints each side's median real time and the ratio.
# The machine is shared and noisy: only the ratio of medians from one interleaved run means
# anything.
#
# Usage: tools/bench_precision.sh [BENCH] [ROUNDS] [SEPARATION]
#        (defaults: build/tests/bench/bench_retrieval 7 0; separation 0 softmax, 1 entmax15,
#        2 sparsemax)
set -euo pipefail
bench="${1:-build/tests/bench/bench_retrieval}"
rounds="${2:-7}"
sep="${3:-0}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# One benchmark run's real time in ms (Google Benchmark's own repetitions: 3, median).
one() {
  local threads="$1" precision="$2"
  OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" "$bench" \
    --benchmark_filter="^BM_RetrievalStep/4096/64/1024/$sep/$precision/" --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true --benchmark_format=csv 2>/dev/null |
    awk -F, '/_median"/ { print $3 }'
}
for threads in 1 2; do
  f64=()
  f32=()
  for ((r = 0; r < rounds; ++r)); do
    f64+=("$(one "$threads" 0)")
    f32+=("$(one "$threads" 1)")
  done
  m64="$(printf '%s\n' "${f64[@]}" | median)"
  m32="$(printf '%s\n' "${f32[@]}" | median)"
  echo "threads $threads: float64 median ${m64} ms, float32 median ${m32} ms (rounds $rounds)," \
    "float64 / float32 = $(awk -v a="$m64" -v b="$m32" 'BEGIN { printf "%.2f", a / b }')"
  echo "  float64 rounds: ${f64[*]}"
  echo "  float32 rounds: ${f32[*]}"
done
