// Google Benchmark: one U-Hop+ training step, the loss and its analytic gradient ∂L/∂W, for a
// linear feature map. GFLOP/s come from explicit operation counts (GEMM multiply-adds count
// as 2 flops; the exponentials, the maxima and the normalisation are not counted).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/memories.hpp"

namespace {

using hopcap::Distribution;
using hopcap::Matrix;

// Args: M, d, D_Φ, loss kind (0 pairwise, 1 per_memory, 2 as_coded).
//
// Operation count of one step (M memories, dimension d, D = D_Φ features):
//   features X Wᵀ                       2·M·d·D
//   Gram panels  φ̂ φ̂ᵀ (all M² entries)  2·M²·D
//   gradient rows  E φ̂                  2·M²·D
//   ∂L/∂W = Gᵀ X                         2·M·D·d
// per_memory needs every row's log-sum-exp before its gradient rows, so it recomputes the Gram
// panels in a second pass: one more 2·M²·D.
void BM_UhopStep(benchmark::State& state) {
  const auto m = state.range(0);
  const auto d = state.range(1);
  const auto dphi = state.range(2);
  const hopcap::UhopLossKind kinds[] = {hopcap::UhopLossKind::pairwise,
                                        hopcap::UhopLossKind::per_memory,
                                        hopcap::UhopLossKind::as_coded};
  hopcap::UhopLossOptions options;
  options.kind = kinds[state.range(3)];
  options.tau = 0.1;
  const Matrix memories = hopcap::generate_memories(Distribution::sphere, d, m, 1, 0);
  hopcap::FeatureMap map;  // linear: no bias
  map.weight = hopcap::generate_memories(Distribution::gaussian, d, dphi, 4, 0);  // D_Φ×d, N(0, 1)
  Matrix grad_weight;
  for (auto _ : state) {
    const auto value = hopcap::kernels::uhop_loss(memories, map, options, &grad_weight);
    benchmark::DoNotOptimize(value.loss);
    benchmark::DoNotOptimize(grad_weight.data.data());
    benchmark::ClobberMemory();
  }
  const double md = static_cast<double>(m);
  const double dd = static_cast<double>(d);
  const double dp = static_cast<double>(dphi);
  const double gram_passes = options.kind == hopcap::UhopLossKind::per_memory ? 3.0 : 2.0;
  const double flops = 2.0 * md * dd * dp + gram_passes * 2.0 * md * md * dp + 2.0 * md * dp * dd;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(hopcap::to_string(options.kind));
}
BENCHMARK(BM_UhopStep)
    ->Args({2048, 64, 64, 0})
    ->Args({2048, 64, 64, 1})
    ->Args({2048, 64, 64, 2})
    ->Args({8192, 64, 64, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
