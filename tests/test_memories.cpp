// Memory generators: distribution properties, slice/rank independence and pinned streams.
#include <gtest/gtest.h>

#include <Random123/philox.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/rng.hpp"

namespace hopcap {
namespace {

TEST(Philox, MatchesPublishedKnownAnswer) {
  // Random123's known-answer vector for Philox4x64-10 with zero counter and key.
  r123::Philox4x64 g;
  const r123::Philox4x64::ctr_type ctr = {{0, 0, 0, 0}};
  const r123::Philox4x64::key_type key = {{0, 0}};
  const auto out = g(ctr, key);
  EXPECT_EQ(out.v[0], 0x16554d9eca36314cULL);
  EXPECT_EQ(out.v[1], 0xdb20fe9d672d0fdcULL);
  EXPECT_EQ(out.v[2], 0xd7e772cee186176bULL);
  EXPECT_EQ(out.v[3], 0x7e68b68aec7ba23bULL);
}

TEST(Stream, FirstOutputsArePhiloxOfIndexAndBlock) {
  rng::Stream s(7, 3, 11);
  r123::Philox4x64 g;
  const auto out = g({{11, 0, 0, 0}}, {{7, 3}});
  for (int i = 0; i < 4; ++i) EXPECT_EQ(s.next_u64(), out.v[i]);
  const auto next = g({{11, 1, 0, 0}}, {{7, 3}});
  EXPECT_EQ(s.next_u64(), next.v[0]);
}

TEST(Stream, UniformsStayInsideTheirIntervals) {
  rng::Stream s(1, 2, 3);
  for (int i = 0; i < 10000; ++i) {
    const double u = s.uniform_open01();
    EXPECT_GT(u, 0.0);
    EXPECT_LT(u, 1.0);
    const double v = s.uniform01();
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1.0);
    EXPECT_LT(s.below(7), 7u);
  }
}

TEST(Stream, NormalMomentsMatchStandardNormal) {
  rng::Stream s(42, 0, 0);
  const int n = 200000;
  double sum = 0, sum2 = 0, sum4 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = s.normal();
    sum += x;
    sum2 += x * x;
    sum4 += x * x * x * x;
  }
  // Standard errors: mean 1/sqrt(n) ≈ 0.0022, var sqrt(2/n) ≈ 0.0032, 4th moment sqrt(96/n) ≈ 0.022.
  EXPECT_NEAR(sum / n, 0.0, 0.012);
  EXPECT_NEAR(sum2 / n, 1.0, 0.016);
  EXPECT_NEAR(sum4 / n, 3.0, 0.11);
}

TEST(Derive, IsDeterministicAndSpreadsLabels) {
  EXPECT_EQ(rng::derive(5, 9), rng::derive(5, 9));
  EXPECT_NE(rng::derive(5, 9), rng::derive(5, 10));
  EXPECT_NE(rng::derive(5, 9), rng::derive(6, 9));
  EXPECT_EQ(rng::mix64(0), 0xE220A8397B1DCDAFULL);  // SplitMix64's first output for seed 0
}

TEST(Memories, SphereRowsHaveUnitNorm) {
  const Matrix x = generate_memories(Distribution::sphere, 7, 50, 123);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    double n2 = 0;
    for (std::int64_t j = 0; j < x.cols; ++j) n2 += x(i, j) * x(i, j);
    EXPECT_NEAR(n2, 1.0, 1e-14);
  }
}

TEST(Memories, BinaryEntriesArePlusMinusOneOverSqrtD) {
  const Matrix x = generate_memories(Distribution::binary, 9, 40, 5);
  int positive = 0;
  for (double v : x.data) {
    EXPECT_DOUBLE_EQ(std::abs(v), 1.0 / 3.0);
    positive += v > 0 ? 1 : 0;
  }
  EXPECT_GT(positive, 120);  // 360 fair coins: mean 180, sd 9.5
  EXPECT_LT(positive, 240);
}

TEST(Memories, SphereCoordinatesHaveVarianceOneOverD) {
  const std::int64_t d = 5;
  const Matrix x = generate_memories(Distribution::sphere, d, 20000, 99);
  double mean = 0, var = 0;
  for (double v : x.data) {
    mean += v;
    var += v * v;
  }
  mean /= static_cast<double>(x.data.size());
  var /= static_cast<double>(x.data.size());
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0 / d, 0.01);
}

TEST(Memories, AnySliceEqualsTheSameRowsOfTheWholeSet) {
  for (Distribution dist : {Distribution::sphere, Distribution::binary, Distribution::gaussian}) {
    const std::int64_t d = 6, m = 37;
    const Matrix whole = generate_memories(dist, d, m, 2024, 3);
    // Slices in reverse order, as another rank layout would produce them.
    for (std::int64_t first : {30, 11, 5, 0}) {
      const std::int64_t count = std::min<std::int64_t>(7, m - first);
      std::vector<double> slice(static_cast<std::size_t>(count * d));
      generate_memory_slice(dist, d, 2024, 3, first, count, slice);
      for (std::int64_t i = 0; i < count * d; ++i) {
        EXPECT_EQ(slice[static_cast<std::size_t>(i)], whole.data[static_cast<std::size_t>(first * d + i)])
            << to_string(dist) << " first=" << first << " i=" << i;
      }
    }
  }
}

TEST(Memories, SetIdAndSeedSelectDifferentSets) {
  const Matrix a = generate_memories(Distribution::gaussian, 4, 3, 1, 0);
  const Matrix b = generate_memories(Distribution::gaussian, 4, 3, 1, 1);
  const Matrix c = generate_memories(Distribution::gaussian, 4, 3, 2, 0);
  EXPECT_NE(a.data, b.data);
  EXPECT_NE(a.data, c.data);
}

TEST(Memories, GoldenValuesPinTheStream) {
  // Pinned values, computed by an independent pure-Python Philox4x64-10 + Box–Muller
  // (tools/philox_reference.py). Any change to the generator changes every published
  // result, so it must be deliberate.
  const Matrix g = generate_memories(Distribution::gaussian, 3, 2, 42, 0);
  const Matrix s = generate_memories(Distribution::sphere, 3, 1, 42, 0);
  // The sphere row is the normalised gaussian row drawn from the same stream.
  const double n = std::sqrt(g(0, 0) * g(0, 0) + g(0, 1) * g(0, 1) + g(0, 2) * g(0, 2));
  for (int j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(s(0, j), g(0, j) / n);
  const double golden[6] = {-0.2749879021054012, 0.8796968540758471, 0.3181502167476082,
                             0.2345499249868942, 0.5842987087552288, -0.4201587892586172};
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(g.data[static_cast<std::size_t>(i)], golden[i]) << i;
}

TEST(Memories, BadArgumentsThrowConfigError) {
  EXPECT_THROW(generate_memories(Distribution::sphere, 0, 3, 1), ConfigError);
  EXPECT_THROW(generate_memories(Distribution::sphere, 3, 0, 1), ConfigError);
  EXPECT_THROW(parse_distribution("uniform"), ConfigError);
  EXPECT_EQ(parse_distribution("binary"), Distribution::binary);
}

}  // namespace
}  // namespace hopcap
