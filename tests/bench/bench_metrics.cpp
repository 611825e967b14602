// Google Benchmark: the exact separation report of one memory set (every unordered pair once in
// upper-triangle Gram tiles; entries near a row's best formed again by the fixed-order inner
// product). GFLOP/s count the tiles' multiply-adds only: M·(M + 1)/2·d pairs, 2 flops each.
// Memory sets: random Gaussian (few near-ties) and a code with exact symmetric ties, the
// cross-polytope ±e_k (every partner but the antipode ties at cosine 0): the worst case for the
// re-evaluation.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "hopcap/codes.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/memories.hpp"

namespace {

// Args: M, d.
void BM_SeparationReportGaussian(benchmark::State& state) {
  const auto m = state.range(0);
  const auto d = state.range(1);
  const hopcap::Matrix x = hopcap::generate_memories(hopcap::Distribution::gaussian, d, m, 1, 0);
  for (auto _ : state) {
    const auto report = hopcap::kernels::separation_report(x);
    benchmark::DoNotOptimize(report.max_cos);
  }
  const double md = static_cast<double>(m);
  state.counters["GFLOP/s"] = benchmark::Counter(md * (md + 1.0) / 2.0 * static_cast<double>(d) * 2.0 * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SeparationReportGaussian)->Args({4096, 64})->Args({8192, 8})->Unit(benchmark::kMillisecond);

// Arg: d (M = 2d vectors ±e_k).
void BM_SeparationReportCrossPolytope(benchmark::State& state) {
  const hopcap::Matrix x = hopcap::codes::cross_polytope(state.range(0));
  for (auto _ : state) {
    const auto report = hopcap::kernels::separation_report(x);
    benchmark::DoNotOptimize(report.max_cos);
  }
  const double md = static_cast<double>(x.rows);
  state.counters["GFLOP/s"] = benchmark::Counter(md * (md + 1.0) / 2.0 * static_cast<double>(x.cols) * 2.0 * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SeparationReportCrossPolytope)->Arg(1024)->Unit(benchmark::kMillisecond);

}  // namespace
