#pragma once
// The hand-timed benchmarks' clock and median, and the roofline benchmarks' loop: every
// iteration times the step, then its GEMMs alone, then its exponentials alone, so the three
// see the same machine; the counters are medians over the iterations.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace hopcap::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct FloorTimes {
  double step = 0.0, gemm = 0.0, exp = 0.0;  ///< seconds, medians over the iterations
};

/// Runs the benchmark's iterations: step() (its time is the iteration's), floor.gemms() and
/// floor.exps(); sets step_ms, gemm_ms, exp_ms, floor_fraction = (gemm + exp) / step and
/// threads, and returns the medians.
template <class Step, class Floor>
FloorTimes time_against_floor(benchmark::State& state, Step&& step, Floor& floor) {
  std::vector<double> step_s, gemm_s, exp_s;
  for (auto _ : state) {
    auto start = Clock::now();
    step();
    benchmark::ClobberMemory();
    step_s.push_back(seconds_since(start));
    state.SetIterationTime(step_s.back());
    start = Clock::now();
    floor.gemms();
    benchmark::ClobberMemory();
    gemm_s.push_back(seconds_since(start));
    start = Clock::now();
    benchmark::DoNotOptimize(floor.exps());
    exp_s.push_back(seconds_since(start));
  }
  const FloorTimes t{median(step_s), median(gemm_s), median(exp_s)};
  state.counters["step_ms"] = 1e3 * t.step;
  state.counters["gemm_ms"] = 1e3 * t.gemm;
  state.counters["exp_ms"] = 1e3 * t.exp;
  state.counters["floor_fraction"] = (t.gemm + t.exp) / t.step;
  state.counters["threads"] = omp_get_max_threads();
  return t;
}

}  // namespace hopcap::bench
