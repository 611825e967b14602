// Sizes that cannot overflow or wrap: the checked product and narrowing helpers, and the
// matrix, memory-slice and BLAS sizes built on them.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"
#include "hopcap/matrix.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// The SizeError message of f(), or "" when it does not throw.
template <class F>
std::string size_error(F f) {
  try {
    f();
  } catch (const SizeError& e) {
    return e.what();
  }
  return "";
}

TEST(Sizes, ProductWithinTheLimitIsExact) {
  EXPECT_EQ(product_within(0, kInt64Max), 0);
  EXPECT_EQ(product_within(std::int64_t{1} << 31, std::int64_t{1} << 14), kMaxElements);
  EXPECT_EQ(product_within(6, 7, 42), 42);
  EXPECT_EQ(product_within(6, 7, 41), std::nullopt);
  EXPECT_EQ(product_within((std::int64_t{1} << 31) + 1, std::int64_t{1} << 14), std::nullopt);
  EXPECT_EQ(product_within(kInt64Max, 2, kInt64Max), std::nullopt);  // would overflow int64
  EXPECT_EQ(product_within(-1, 4), std::nullopt);
  EXPECT_EQ(product_within(4, -1), std::nullopt);
}

TEST(Sizes, CheckedProductNamesWhatOverflowed) {
  EXPECT_EQ(checked_product(std::int64_t{1} << 15, std::int64_t{1} << 30, "m x d"), kMaxElements);
  const std::string message = size_error([] { (void)checked_product(4, 4611686018427387905, "memories M x d"); });
  EXPECT_EQ(message, "memories M x d: 4 x 4611686018427387905 exceeds the limit of 35184372088832 (2^45)");
  EXPECT_NE(size_error([] { (void)checked_product(-2, 3, "rows x cols"); }).find("negative"), std::string::npos);
  EXPECT_NE(size_error([] { (void)checked_product(kMaxElements + 1, 1, "n"); }), "");
}

TEST(Sizes, CheckedProductOfManyFactors) {
  EXPECT_EQ(checked_product(std::vector<std::int64_t>{2, 3, 4}, "grid", kMaxGridSize), 24);
  EXPECT_EQ(checked_product(std::vector<std::int64_t>{}, "grid", kMaxGridSize), 1);
  EXPECT_EQ(checked_product(std::vector<std::int64_t>{2, std::int64_t{1} << 29, 2}, "grid", kMaxGridSize + 1),
            std::int64_t{1} << 31);
  // 2^32 · 2^32 wraps to 0 in int64 arithmetic; the checked product refuses it.
  const std::string message = size_error(
      [] { (void)checked_product(std::vector<std::int64_t>{1, std::int64_t{1} << 32, std::int64_t{1} << 32}, "grid", kMaxGridSize); });
  EXPECT_EQ(message, "grid: 1 x 4294967296 x 4294967296 exceeds the limit of 2147483647 (2^31 - 1)");
  EXPECT_NE(size_error([] { (void)checked_product(std::vector<std::int64_t>{0, -1}, "grid", kMaxGridSize); }), "");
}

TEST(Sizes, CheckedNarrowRefusesWhatTheTypeCannotHold) {
  EXPECT_EQ(checked_narrow<int>(2147483647, "t_max"), 2147483647);
  EXPECT_EQ(checked_narrow<int>(-2147483648LL, "t_max"), std::numeric_limits<int>::min());
  EXPECT_EQ(size_error([] { (void)checked_narrow<int>(4294967297, "retrieval.t_max"); }),
            "retrieval.t_max: 4294967297 is outside [-2147483648, 2147483647 (2^31 - 1)]");
  EXPECT_NE(size_error([] { (void)checked_narrow<std::uint32_t>(-1, "count"); }), "");
}

TEST(Sizes, SizeErrorIsABadSetting) {
  // exit code 2 and one `hopcap: error:` line, like every ConfigError
  EXPECT_THROW((void)checked_product(kInt64Max, kInt64Max, "x"), ConfigError);
}

TEST(Sizes, MatrixRefusesAShapeWhoseProductWraps) {
  // 4 x (2^62 + 1) wraps to 4 elements: a 32-byte buffer for a matrix of 2^64 + 4 values.
  EXPECT_NE(size_error([] { Matrix m(4, 4611686018427387905); }).find("matrix rows x cols"), std::string::npos);
  EXPECT_NE(size_error([] { Matrix m(4294967296, 4294967296); }), "");
  EXPECT_NE(size_error([] { Matrix m(-1, 3); }), "");
  const Matrix ok(3, 5);
  EXPECT_EQ(ok.data.size(), 15u);
  EXPECT_TRUE(ok.storage_matches_shape());
  Matrix by_hand;
  by_hand.rows = std::int64_t{1} << 32;
  by_hand.cols = std::int64_t{1} << 32;  // rows·cols wraps to 0 == data.size()
  EXPECT_FALSE(by_hand.storage_matches_shape());
}

TEST(Sizes, MemorySliceSizeCheckDoesNotWrap) {
  // count · d = (2^62 + 1) · 4 wraps to 4 == out.size(): the check must refuse, not write past out.
  std::vector<double> out(4);
  EXPECT_THROW(generate_memory_slice(Distribution::sphere, 4, 1, 0, 0, 4611686018427387905, out), SizeError);
  generate_memory_slice(Distribution::sphere, 4, 1, 0, 0, 1, out);
  EXPECT_NE(out[0], 0.0);
}

TEST(Sizes, BlasRefusesDimensionsBeyondItsIntegers) {
  // k = 2^32 + 1 would reach OpenBLAS as k = 1: a silently wrong product.
  const double a = 2.0, b = 3.0;
  double c = 0.0;
  const std::int64_t k = (std::int64_t{1} << 32) + 1;
  EXPECT_THROW(blas::gemm_nt(1, 1, k, 1.0, &a, k, &b, k, 0.0, &c, 1), SizeError);
  EXPECT_EQ(c, 0.0);
  blas::gemm_nt(1, 1, 1, 1.0, &a, 1, &b, 1, 0.0, &c, 1);
  EXPECT_EQ(c, 6.0);
}

}  // namespace
}  // namespace hopcap
