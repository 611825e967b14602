// Google Benchmark: one U-Hop+ training step, the loss and its analytic gradient ∂L/∂W, for a
// linear feature map. GFLOP/s come from explicit operation counts (GEMM multiply-adds count
// as 2 flops; the exponentials, the maxima and the normalisation are not counted).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <utility>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/memories.hpp"

namespace {

using hopcap::Distribution;
using hopcap::Matrix;

// Args: M, d, D_Φ, loss kind (0 pairwise, 1 per_memory, 2 as_coded), precision (0 float64,
// 1 float32).
//
// Operation count of one step (M memories, dimension d, D = D_Φ features), counted as if the
// whole M×M Gram matrix were formed, so that GFLOP/s compare across versions of the kernel
// (the kernel itself computes only the tiles of one triangle, about half of these):
//   features X Wᵀ                       2·M·d·D
//   Gram matrix  φ̂ φ̂ᵀ (all M² entries)  2·M²·D
//   gradient rows  E φ̂                  2·M²·D
//   ∂L/∂W = Gᵀ X                         2·M·D·d
// per_memory needs every row's log-sum-exp before its gradient rows; it is counted with the
// same flops as pairwise, so its GFLOP/s read as a speed relative to pairwise.
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
  options.precision = state.range(4) == 0 ? hopcap::Precision::float64 : hopcap::Precision::float32;
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
  const double flops = 2.0 * md * dd * dp + 2.0 * 2.0 * md * md * dp + 2.0 * md * dp * dd;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(hopcap::to_string(options.kind) + " " + std::string(hopcap::kPrecisionNames.name(options.precision)));
}
// Args M, d, D_Φ, loss kind, precision (0 float64, 1 float32); the two precisions of one case
// run one after the other, so that their ratio sees the same load.
void uhop_step_cases(benchmark::internal::Benchmark* b) {
  for (const auto& [m, kind] : {std::pair<std::int64_t, std::int64_t>{2048, 0}, {2048, 1}, {2048, 2}, {512, 0}, {8192, 0}}) {
    for (std::int64_t precision : {0, 1}) b->Args({m, 64, 64, kind, precision});
  }
}
BENCHMARK(BM_UhopStep)->Apply(uhop_step_cases)->UseRealTime()->Unit(benchmark::kMillisecond);

// pairwise against per_memory at the sizes of a capacity sweep's U-Hop+ training (d = 16):
// Args M, D_Φ, loss kind. Named apart so that a filter selects the pair at one size.
void BM_UhopLossKinds(benchmark::State& state) {
  const auto m = state.range(0);
  const auto dphi = state.range(1);
  const std::int64_t d = 16;
  hopcap::UhopLossOptions options;
  options.kind = state.range(2) == 0 ? hopcap::UhopLossKind::pairwise : hopcap::UhopLossKind::per_memory;
  options.tau = 0.1;
  const Matrix memories = hopcap::generate_memories(Distribution::sphere, d, m, 1, 0);
  hopcap::FeatureMap map;
  map.weight = hopcap::generate_memories(Distribution::gaussian, d, dphi, 4, 0);
  Matrix grad_weight;
  for (auto _ : state) {
    const auto value = hopcap::kernels::uhop_loss(memories, map, options, &grad_weight);
    benchmark::DoNotOptimize(value.loss);
    benchmark::DoNotOptimize(grad_weight.data.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(hopcap::to_string(options.kind));
}
// The two kinds of one size run one after the other, so that their ratio sees the same load.
void loss_kind_sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t m : {256, 1024, 4096}) {
    for (std::int64_t dphi : {8, 32}) {
      for (std::int64_t kind : {0, 1}) b->Args({m, dphi, kind});
    }
  }
}
BENCHMARK(BM_UhopLossKinds)->Apply(loss_kind_sizes)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
