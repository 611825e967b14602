// The small commands' thread count (src/cli/work_threads.hpp): one thread per kFlopsPerThread
// of a region's work, between 1 and the ceiling.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cli/work_threads.hpp"

namespace hopcap::cli {
namespace {

TEST(WorkThreads, SmallRegionsRunOnOneThread) {
  EXPECT_EQ(threads_for_work(0.0, 8), 1);
  EXPECT_EQ(threads_for_work(kFlopsPerThread - 1.0, 8), 1);
  EXPECT_EQ(threads_for_work(-5.0, 8), 1);
  EXPECT_EQ(threads_for_work(std::nan(""), 8), 1);
  // hopcap demo's default case, M = 64 memories in d = 16.
  EXPECT_EQ(threads_for_work(gemm_flops(64, 64, 16), 16), 1);
}

TEST(WorkThreads, OneThreadPerShareOfWork) {
  EXPECT_EQ(threads_for_work(kFlopsPerThread, 8), 1);
  EXPECT_EQ(threads_for_work(2.0 * kFlopsPerThread, 8), 2);
  EXPECT_EQ(threads_for_work(3.5 * kFlopsPerThread, 8), 3);
  EXPECT_EQ(threads_for_work(7.999 * kFlopsPerThread, 8), 7);
}

TEST(WorkThreads, NeverMoreThanTheCeilingNorLessThanOne) {
  EXPECT_EQ(threads_for_work(8.0 * kFlopsPerThread, 8), 8);
  EXPECT_EQ(threads_for_work(1e30, 8), 8);
  EXPECT_EQ(threads_for_work(std::numeric_limits<double>::infinity(), 3), 3);
  EXPECT_EQ(threads_for_work(1e30, 0), 1);
  EXPECT_EQ(threads_for_work(1e30, -2), 1);
}

TEST(WorkThreads, GemmFlopsCountsMultiplyAndAdd) {
  EXPECT_DOUBLE_EQ(gemm_flops(3, 5, 7), 210.0);
  EXPECT_DOUBLE_EQ(gemm_flops(0, 5, 7), 0.0);
  // Beyond int64 as a product, exact enough as a double.
  EXPECT_DOUBLE_EQ(gemm_flops(std::int64_t{1} << 40, std::int64_t{1} << 40, 4), std::ldexp(1.0, 83));
}

}  // namespace
}  // namespace hopcap::cli
