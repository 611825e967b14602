#pragma once
// The hand-timed benchmarks' clock and median (the roofline benchmarks time several pieces in
// one iteration and report their medians).
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

}  // namespace hopcap::bench
