// Google Benchmark: the exact separation report of one memory set (every unordered pair once in
// upper-triangle Gram tiles; entries near a row's best formed again by the fixed-order inner
// product). GFLOP/s count the tiles' multiply-adds only: M·(M + 1)/2·d pairs, 2 flops each.
// Memory sets: random Gaussian (few near-ties) and a code with exact symmetric ties, the
// cross-polytope ±e_k (every partner but the antipode ties at cosine 0): the worst case for the
// re-evaluation. The last argument selects float64 (0) or float32 (1) Gram tiles; the report is
// the same either way.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "hopcap/codes.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/memories.hpp"

namespace {

hopcap::kernels::SeparationOptions tiles_of(std::int64_t float32) {
  hopcap::kernels::SeparationOptions options;
  options.float32_tiles = float32 != 0;
  return options;
}

// Args: M, d, float32 tiles.
void BM_SeparationReportGaussian(benchmark::State& state) {
  const auto m = state.range(0);
  const auto d = state.range(1);
  const hopcap::Matrix x = hopcap::generate_memories(hopcap::Distribution::gaussian, d, m, 1, 0);
  const auto options = tiles_of(state.range(2));
  for (auto _ : state) {
    const auto report = hopcap::kernels::separation_report(x, options);
    benchmark::DoNotOptimize(report.max_cos);
  }
  const double md = static_cast<double>(m);
  state.counters["GFLOP/s"] = benchmark::Counter(md * (md + 1.0) / 2.0 * static_cast<double>(d) * 2.0 * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SeparationReportGaussian)
    ->ArgsProduct({{4096}, {64}, {0, 1}})
    ->ArgsProduct({{8192}, {8}, {0, 1}})
    ->ArgsProduct({{16384}, {64}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

// Args: d (M = 2d vectors ±e_k), float32 tiles.
void BM_SeparationReportCrossPolytope(benchmark::State& state) {
  const hopcap::Matrix x = hopcap::codes::cross_polytope(state.range(0));
  const auto options = tiles_of(state.range(1));
  for (auto _ : state) {
    const auto report = hopcap::kernels::separation_report(x, options);
    benchmark::DoNotOptimize(report.max_cos);
  }
  const double md = static_cast<double>(x.rows);
  state.counters["GFLOP/s"] = benchmark::Counter(md * (md + 1.0) / 2.0 * static_cast<double>(x.cols) * 2.0 * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SeparationReportCrossPolytope)->ArgsProduct({{1024}, {0, 1}})->Unit(benchmark::kMillisecond);

}  // namespace
