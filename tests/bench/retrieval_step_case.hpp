#pragma once
// What the retrieval-step benchmarks share: the benchmark arguments' settings, the timed loop of
// the update `hopcap run` applies per iteration, and its counted GFLOP/s (the scores and update
// GEMMs, 2·B·M·d multiply-adds each counted as 2 flops; the separation is not counted).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "hopcap/kernels/retrieval.hpp"

namespace hopcap::bench {

inline constexpr const char* kSeparationArgs[] = {"softmax", "entmax15", "sparsemax"};

/// β = 8 and the separation and precision named by their benchmark argument (separation: 0
/// softmax, 1 entmax15, 2 sparsemax; precision: 0 float64, 1 float32).
inline RetrievalSettings step_settings(std::int64_t separation, std::int64_t precision) {
  RetrievalSettings settings;
  settings.beta = 8.0;
  settings.separation = Separation::parse(kSeparationArgs[separation]);
  settings.precision = precision == 1 ? Precision::float32 : Precision::float64;
  return settings;
}

/// Times retriever.advance on `queries` (its workspace sized once, outside the loop) and sets the
/// GFLOP/s counter and a label naming the separation and precision.
inline void time_steps(benchmark::State& state, const Retriever& retriever, const Matrix& queries,
                       std::int64_t memories, const RetrievalSettings& settings, std::int64_t separation) {
  const auto workspace = retriever.workspace(queries.rows);
  Matrix next(queries.rows, queries.cols);
  for (auto _ : state) {
    retriever.advance(queries, next, *workspace);
    benchmark::DoNotOptimize(next.data.data());
    benchmark::ClobberMemory();
  }
  const double flops = 4.0 * static_cast<double>(queries.rows) * static_cast<double>(memories) *
                       static_cast<double>(queries.cols);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(kSeparationArgs[separation]) + " " + std::string(kPrecisionNames.name(settings.precision)));
}

}  // namespace hopcap::bench
