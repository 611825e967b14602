// The vectorised exponentials against the exact value (its naive twin): long-double expl for
// the double kernel over the whole range the softmax uses, double exp for the float kernel on
// every float of its range, at awkward lengths (remainders of every vector width).

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hopcap/kernels/exp.hpp"

namespace hopcap {
namespace {

using kernels::exp_shifted_sum;
using kernels::kExpFlushBelow;
using kernels::kExpFlushBelowFloat;

double ulp_error(double got, long double exact) {
  const double rounded = static_cast<double>(exact);
  const double ulp = std::nextafter(rounded, std::numeric_limits<double>::infinity()) - rounded;
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / ulp);
}

TEST(VectorExp, WithinTwoUlpOfExactOnTheWholeNormalRange) {
  std::mt19937_64 gen(1);
  std::uniform_real_distribution<double> wide(kExpFlushBelow, 0.0);
  std::uniform_real_distribution<double> near_zero(-2.0, 0.0);
  std::vector<double> x;
  for (int i = 0; i < 200000; ++i) x.push_back(i % 2 ? wide(gen) : near_zero(gen));
  // Exact multiples of ln 2 / 2 sit on the reduction's rounding boundaries.
  for (int k = -2040; k <= 0; ++k) x.push_back(static_cast<double>(k) * 0.34657359027997264);
  for (double v : {0.0, -0.0, -1e-300, -1e-17, -1.0, kExpFlushBelow}) x.push_back(v);
  std::vector<double> y(x.size());
  exp_shifted_sum(x.data(), 0.0, static_cast<std::int64_t>(x.size()), y.data());
  double worst = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] < kExpFlushBelow) continue;
    worst = std::max(worst, ulp_error(y[i], std::exp(static_cast<long double>(x[i]))));
  }
  EXPECT_LE(worst, 2.0);
  RecordProperty("worst_ulp", std::to_string(worst));
  EXPECT_EQ(y[x.size() - 6], 1.0);  // exp(0) is exact
}

TEST(VectorExp, ArgumentsBelowTheNormalRangeFlushToZero) {
  const std::vector<double> x = {-709.0, -745.2, -1e4, -1e300,
                                 -std::numeric_limits<double>::max()};
  std::vector<double> y(x.size(), 7.0);
  EXPECT_EQ(exp_shifted_sum(x.data(), 0.0, static_cast<std::int64_t>(x.size()), y.data()), 0.0);
  for (double v : y) EXPECT_EQ(v, 0.0);
}

TEST(VectorExp, ShiftAndSumAtAwkwardLengths) {
  std::mt19937_64 gen(2);
  std::uniform_real_distribution<double> u(-30.0, 5.0);
  for (std::int64_t n : {1, 2, 3, 5, 7, 8, 9, 33, 65, 1000}) {
    std::vector<double> x(static_cast<std::size_t>(n));
    for (double& v : x) v = u(gen);
    const double shift = 5.0;
    std::vector<double> y(x.size());
    const double sum = exp_shifted_sum(x.data(), shift, n, y.data());
    long double exact_sum = 0.0L;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const long double e = std::exp(static_cast<long double>(x[i] - shift));  // the double difference
      exact_sum += e;
      EXPECT_LE(ulp_error(y[i], e), 2.0) << "n=" << n << " i=" << i;
    }
    EXPECT_NEAR(sum, static_cast<double>(exact_sum), 1e-14 * static_cast<double>(exact_sum));
    // In place.
    std::vector<double> z = x;
    exp_shifted_sum(z.data(), shift, n, z.data());
    EXPECT_EQ(z, y);
  }
}

// Error in ulps of float against a reference in double. Double's exp is within 1 ulp of double
// (2^−29 of an ulp of float), so the measured error is the float kernel's to that margin.
double float_ulp_error(float got, double exact) {
  const float rounded = static_cast<float>(exact);
  const double ulp = static_cast<double>(std::nextafter(rounded, std::numeric_limits<float>::infinity())) -
                     static_cast<double>(rounded);
  return std::fabs(static_cast<double>(got) - exact) / ulp;
}

// The bound the next test proves on every float of the range: the polynomial's error is a fifth
// of an ulp, the rest is the rounding of the float evaluation (0.98 ulp measured with the FMA
// clones; 1.21 with the SSE2 one, which rounds more often, hence the margin).
constexpr double kFloatUlpBound = 2.0;

TEST(VectorExpFloat, WithinTwoUlpOfExactOnEveryFloatOfItsRange) {
  // Every float in [kExpFlushBelowFloat, 0]: the negative floats' bit patterns run from −0
  // (0x80000000) up to the threshold's, about 1.1e9 of them, plus +0.
  const std::uint32_t last = std::bit_cast<std::uint32_t>(kExpFlushBelowFloat);
  const std::uint32_t first = 0x80000000u;
  constexpr std::uint32_t kChunk = 1u << 16;
  const std::int64_t chunks = (static_cast<std::int64_t>(last - first) + kChunk) / kChunk;
  double worst = 0.0;
  std::int64_t checked = 0;
#pragma omp parallel reduction(max : worst) reduction(+ : checked)
  {
    std::vector<float> x(kChunk), y(kChunk);
#pragma omp for schedule(dynamic, 64)
    for (std::int64_t c = 0; c < chunks; ++c) {
      const std::uint64_t begin = first + static_cast<std::uint64_t>(c) * kChunk;
      const std::uint64_t end = std::min<std::uint64_t>(begin + kChunk, std::uint64_t{last} + 1);
      const auto n = static_cast<std::int64_t>(end - begin);
      for (std::int64_t i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = std::bit_cast<float>(static_cast<std::uint32_t>(begin + static_cast<std::uint64_t>(i)));
      exp_shifted_sum(x.data(), 0.0f, n, y.data());
      for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::size_t>(i);
        worst = std::max(worst, float_ulp_error(y[k], std::exp(static_cast<double>(x[k]))));
      }
      checked += n;
    }
  }
  EXPECT_EQ(checked, static_cast<std::int64_t>(last - first) + 1);
  EXPECT_LE(worst, kFloatUlpBound);
  RecordProperty("worst_ulp", std::to_string(worst));
  const float zero = 0.0f;
  float one = 0.0f;
  exp_shifted_sum(&zero, 0.0f, 1, &one);
  EXPECT_EQ(one, 1.0f);  // exp(0) is exact
}

TEST(VectorExpFloat, TheThresholdIsWhereResultsLeaveTheNormalFloats) {
  EXPECT_GE(std::exp(static_cast<double>(kExpFlushBelowFloat)), static_cast<double>(std::numeric_limits<float>::min()));
  const float below = std::nextafter(kExpFlushBelowFloat, -std::numeric_limits<float>::infinity());
  EXPECT_LT(std::exp(static_cast<double>(below)), static_cast<double>(std::numeric_limits<float>::min()));
  const std::vector<float> x = {below, -88.0f, -103.9f, -1e4f, -1e30f, -std::numeric_limits<float>::max()};
  std::vector<float> y(x.size(), 7.0f);
  EXPECT_EQ(exp_shifted_sum(x.data(), 0.0f, static_cast<std::int64_t>(x.size()), y.data()), 0.0f);
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

TEST(VectorExpFloat, ShiftAndSumAtAwkwardLengths) {
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<float> u(-30.0f, 5.0f);
  for (std::int64_t n : {1, 2, 3, 5, 7, 8, 9, 15, 17, 33, 65, 1000}) {
    std::vector<float> x(static_cast<std::size_t>(n));
    for (float& v : x) v = u(gen);
    const float shift = 5.0f;
    std::vector<float> y(x.size());
    const float sum = exp_shifted_sum(x.data(), shift, n, y.data());
    double exact_sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double e = std::exp(static_cast<double>(x[i] - shift));  // the float difference
      exact_sum += e;
      EXPECT_LE(float_ulp_error(y[i], e), kFloatUlpBound) << "n=" << n << " i=" << i;
    }
    // n terms, each rounded and summed in float: n ulps of the total at most.
    EXPECT_NEAR(sum, exact_sum, static_cast<double>(n) * 1.2e-7 * exact_sum);
    std::vector<float> z = x;
    exp_shifted_sum(z.data(), shift, n, z.data());
    EXPECT_EQ(z, y);
  }
}

}  // namespace
}  // namespace hopcap
