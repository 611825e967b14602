// Exact fixed-point sums (src/kernels/fixed_point.hpp): the vectorised digit lanes must give the
// integers that to_fixed gives term by term, for every sign, magnitude and scale the engine
// uses, and to_fixed itself must be trunc(v · 2^e) exactly (checked with long double).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/fixed_point.hpp"

namespace {

using hopcap::kernels::fixed::add_digits;
using hopcap::kernels::fixed::fold_digits;
using hopcap::kernels::fixed::Fixed;
using hopcap::kernels::fixed::Scale;
using hopcap::kernels::fixed::to_fixed;

// Values of every binade a scaled term can have: v·2^e spans 2^-60 .. 2^125, both signs, exact
// integers, halves (truncation toward zero), and zeros of both signs.
std::vector<double> awkward_values(std::mt19937_64& gen, int e, std::int64_t n) {
  std::uniform_real_distribution<double> unit(0.5, 1.0);
  std::uniform_int_distribution<int> binade(-60, 124);
  std::vector<double> v;
  for (std::int64_t i = 0; i < n; ++i) {
    const double sign = (i % 3 == 0) ? -1.0 : 1.0;
    switch (i % 7) {
      case 0: v.push_back(0.0); break;
      case 1: v.push_back(-0.0); break;
      case 2: v.push_back(sign * std::ldexp(std::round(unit(gen) * 1e6) + 0.5, -e)); break;  // a half
      case 3: v.push_back(sign * std::ldexp(1.0, 124 - e)); break;                             // largest power
      default: v.push_back(sign * std::ldexp(unit(gen), binade(gen) - e)); break;
    }
  }
  return v;
}

TEST(FixedPoint, ToFixedIsTheTruncatedScaledValue) {
  std::mt19937_64 gen(7);
  for (int e : {-40, 0, 52, 80, 118}) {
    const Scale s(e);
    for (double v : awkward_values(gen, e, 400)) {
      const long double exact = std::ldexp(static_cast<long double>(v), e);
      if (std::fabs(exact) >= std::ldexp(1.0L, 63)) continue;  // long double holds 64 bits
      const auto truncated = static_cast<std::int64_t>(std::trunc(exact));
      EXPECT_EQ(to_fixed(v, s), Fixed{truncated}) << "v = " << v << ", e = " << e;
    }
  }
}

TEST(FixedPoint, DigitLanesSumToTheSameIntegersAsToFixed) {
  std::mt19937_64 gen(11);
  for (int e : {-40, 0, 52, 80, 118}) {
    const Scale s(e);
    for (std::int64_t n : {1, 3, 4, 7, 17, 64}) {  // vector tails of every length
      std::vector<std::int64_t> high(n, 0), middle(n, 0), low(n, 0);
      std::vector<Fixed> expected(n, 0), got(n, 0);
      for (int term = 0; term < 50; ++term) {
        const std::vector<double> v = awkward_values(gen, e, n);
        // Terms of one lane bounded like the engine's: at most 2^124 / count each.
        std::vector<double> scaled(v.size());
        for (std::size_t j = 0; j < v.size(); ++j) scaled[j] = v[j] / 64.0;
        add_digits(scaled.data(), n, s, high.data(), middle.data(), low.data());
        for (std::int64_t j = 0; j < n; ++j) expected[j] += to_fixed(scaled[j], s);
      }
      fold_digits(n, high.data(), middle.data(), low.data(), got.data());
      for (std::int64_t j = 0; j < n; ++j) {
        EXPECT_TRUE(got[j] == expected[j]) << "lane " << j << " of " << n << ", e = " << e;
        EXPECT_EQ(high[j], 0);
        EXPECT_EQ(middle[j], 0);
        EXPECT_EQ(low[j], 0);
      }
    }
  }
}

TEST(FixedPoint, FloatTermsGiveTheIntegersOfTheirDoubleValues) {
  // float32 retrieval adds float partial sums: each is exactly a double, then fixed point.
  std::mt19937_64 gen(13);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  const Scale s(100);
  for (std::int64_t n : {1, 5, 8, 19}) {
    std::vector<float> v(static_cast<std::size_t>(n));
    std::vector<std::int64_t> high(n, 0), middle(n, 0), low(n, 0);
    std::vector<Fixed> expected(n, 0), got(n, 0);
    for (int term = 0; term < 20; ++term) {
      for (std::int64_t j = 0; j < n; ++j) v[static_cast<std::size_t>(j)] = std::ldexp(unit(gen), -term);
      add_digits(v.data(), n, s, high.data(), middle.data(), low.data());
      for (std::int64_t j = 0; j < n; ++j) expected[j] += to_fixed(static_cast<double>(v[j]), s);
    }
    fold_digits(n, high.data(), middle.data(), low.data(), got.data());
    for (std::int64_t j = 0; j < n; ++j) EXPECT_TRUE(got[j] == expected[j]) << "lane " << j << " of " << n;
  }
}

TEST(FixedPoint, FoldAddsToWhatIsThere) {
  const Scale s(60);
  const double v[2] = {-3.75, 1e10};
  std::int64_t high[2] = {0, 0}, middle[2] = {0, 0}, low[2] = {0, 0};
  Fixed out[2] = {to_fixed(1.0, s), to_fixed(-2.0, s)};
  add_digits(v, 2, s, high, middle, low);
  fold_digits(2, high, middle, low, out);
  EXPECT_TRUE(out[0] == to_fixed(1.0, s) + to_fixed(-3.75, s));
  EXPECT_TRUE(out[1] == to_fixed(-2.0, s) + to_fixed(1e10, s));
}

}  // namespace
