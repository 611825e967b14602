// The vectorised exponential against long-double expl (its naive twin) over the whole range
// the softmax uses, at awkward lengths (remainders of every vector width).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "hopcap/kernels/exp.hpp"

namespace hopcap {
namespace {

using kernels::exp_shifted_sum;
using kernels::kExpFlushBelow;

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

}  // namespace
}  // namespace hopcap
