// Google Benchmark: one retrieval update on a block of queries (the step `hopcap run` takes in a
// group of one: the fused panel path with a workspace sized once), and the blocked Δ_min.
// GFLOP/s come from explicit operation counts (GEMM multiply-adds count as 2 flops; the
// separation and the maxima are not counted).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "hopcap/kernels/metrics.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/memories.hpp"
#include "retrieval_step_case.hpp"

namespace {

using hopcap::Distribution;
using hopcap::Matrix;

// Args: M, d, B (queries), separation (0 softmax, 1 entmax15, 2 sparsemax), precision
// (0 float64, 1 float32).
void BM_RetrievalStep(benchmark::State& state) {
  const auto m = state.range(0);
  const auto d = state.range(1);
  const auto b = state.range(2);
  const hopcap::RetrievalSettings settings = hopcap::bench::step_settings(state.range(3), state.range(4));
  const Matrix memories = hopcap::generate_memories(Distribution::sphere, d, m, 1, 0);
  const Matrix queries = hopcap::generate_memories(Distribution::sphere, d, b, 2, 0);
  const hopcap::Retriever retriever(memories, settings);
  hopcap::bench::time_steps(state, retriever, queries, m, settings, state.range(3));
}
BENCHMARK(BM_RetrievalStep)
    ->Args({4096, 64, 1024, 0, 0})
    ->Args({4096, 64, 1024, 1, 0})
    ->Args({4096, 64, 1024, 2, 0})
    ->Args({16384, 64, 256, 0, 0})
    ->Args({1024, 256, 1024, 0, 0})
    ->Args({4096, 64, 1024, 0, 1})
    ->Args({4096, 64, 1024, 1, 1})
    ->Args({4096, 64, 1024, 2, 1})
    ->Args({16384, 64, 256, 0, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Args: M, d, block.
void BM_SeparationReport(benchmark::State& state) {
  const auto m = state.range(0);
  const auto d = state.range(1);
  const Matrix memories = hopcap::generate_memories(Distribution::sphere, d, m, 3, 0);
  hopcap::kernels::SeparationOptions options;
  options.block = state.range(2);
  for (auto _ : state) {
    auto report = hopcap::kernels::separation_report(memories, options);
    benchmark::DoNotOptimize(report.max_cos);
  }
  // Half of the Gram matrix: M(M−1)/2 inner products of length d.
  const double flops = static_cast<double>(m) * static_cast<double>(m - 1) * static_cast<double>(d);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SeparationReport)
    ->Args({8192, 64, 512})
    ->Args({32768, 64, 512})
    ->Args({8192, 64, 128})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
