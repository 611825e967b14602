#pragma once
// Threads for the small commands (demo, codes, retrieve, train, landscape), chosen from the size
// of their parallel regions. A region that is over in microseconds gains nothing from a team of
// threads, and on a busy machine it waits for each thread that the scheduler has put aside
// (milliseconds, every region), so small cases run on one thread and large ones on all.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace hopcap::cli {

/// Work one more thread must have in a region to pay for itself: about a millisecond of one
/// core, which is long beside a fork and join on idle cores and about one scheduler slice on
/// busy ones.
inline constexpr double kFlopsPerThread = 4.0e6;

/// Threads for regions of `flops_per_region` floating-point operations: one per
/// kFlopsPerThread, at least 1, at most `max_threads`.
inline int threads_for_work(double flops_per_region, int max_threads) {
  const int ceiling = std::max(1, max_threads);
  if (!(flops_per_region >= kFlopsPerThread)) return 1;  // also NaN
  const double wanted = std::floor(flops_per_region / kFlopsPerThread);
  return wanted >= ceiling ? ceiling : static_cast<int>(wanted);
}

/// Floating-point operations of a rows x cols x inner matrix product.
inline double gemm_flops(std::int64_t rows, std::int64_t cols, std::int64_t inner) {
  return 2.0 * static_cast<double>(rows) * static_cast<double>(cols) * static_cast<double>(inner);
}

/// Sets OpenMP's thread count for this process from threads_for_work, capped by OpenMP's
/// default; an explicit OMP_NUM_THREADS is the user's choice and stays as it is. Results do
/// not depend on the thread count.
void fit_threads_to_work(double flops_per_region);

}  // namespace hopcap::cli
