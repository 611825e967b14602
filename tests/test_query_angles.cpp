// Query angles in the space a model scores in, and queries placed at a feature-space angle:
// the kernel against its naive twin, maps that keep angles, and the feature_angle queries
// against the angle they were asked for.

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/query_angles.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/rng.hpp"
#include "hopcap/sweep/config.hpp"
#include "reference/query_angles_ref.hpp"

namespace hopcap {
namespace {

Matrix gaussian_matrix(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  Matrix a(rows, cols);
  rng::Stream stream(seed, 1, 0);
  for (double& v : a.data) v = stream.normal();
  return a;
}

FeatureMap gaussian_map(std::int64_t dphi, std::int64_t d, std::uint64_t seed, bool bias) {
  FeatureMap map{gaussian_matrix(dphi, d, seed), {}};
  if (bias) {
    rng::Stream stream(seed, 2, 0);
    for (std::int64_t k = 0; k < dphi; ++k) map.bias.push_back(0.3 * stream.normal());
  }
  return map;
}

// Rows of a square matrix made orthonormal by Gram–Schmidt (twice, against rounding): a rotation.
FeatureMap rotation_map(std::int64_t d, std::uint64_t seed) {
  Matrix w = gaussian_matrix(d, d, seed);
  for (std::int64_t k = 0; k < d; ++k) {
    for (int pass = 0; pass < 2; ++pass) {
      for (std::int64_t p = 0; p < k; ++p) {
        double dot = 0.0;
        for (std::int64_t j = 0; j < d; ++j) dot += w(k, j) * w(p, j);
        for (std::int64_t j = 0; j < d; ++j) w(k, j) -= dot * w(p, j);
      }
    }
    double n2 = 0.0;
    for (std::int64_t j = 0; j < d; ++j) n2 += w(k, j) * w(k, j);
    for (std::int64_t j = 0; j < d; ++j) w(k, j) /= std::sqrt(n2);
  }
  return FeatureMap{w, {}};
}

struct Aimed {
  std::vector<std::int64_t> targets;
  std::vector<std::uint64_t> ids;
  Matrix target_rows;
};

// Query i aims at memory i % M; target_rows holds each query's target memory.
Aimed aim(const Matrix& memories, std::int64_t n) {
  Aimed a{std::vector<std::int64_t>(static_cast<std::size_t>(n)), std::vector<std::uint64_t>(static_cast<std::size_t>(n)),
          Matrix(n, memories.cols)};
  for (std::int64_t i = 0; i < n; ++i) {
    a.targets[static_cast<std::size_t>(i)] = i % memories.rows;
    a.ids[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(i);
    std::copy_n(memories.row(i % memories.rows), memories.cols, a.target_rows.row(i));
  }
  return a;
}

std::vector<double> kernel_angles(const Matrix& queries, const Matrix& targets, const FeatureMap* map) {
  std::vector<double> angles(static_cast<std::size_t>(queries.rows));
  kernels::query_target_angles_deg(queries, targets, map, angles);
  return angles;
}

TEST(QueryTargetAngles, MatchTheNaiveTwinAtAwkwardSizes) {
  for (const auto& [n, d, dphi, bias] : std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t, bool>>{
           {1, 2, 2, false}, {37, 13, 5, true}, {101, 7, 11, false}, {64, 31, 3, true}}) {
    const Matrix queries = gaussian_matrix(n, d, 10 + static_cast<std::uint64_t>(n));
    const Matrix targets = gaussian_matrix(n, d, 20 + static_cast<std::uint64_t>(d));
    const FeatureMap map = gaussian_map(dphi, d, 30, bias);
    for (const FeatureMap* m : {static_cast<const FeatureMap*>(nullptr), &map}) {
      const std::vector<double> got = kernel_angles(queries, targets, m);
      const std::vector<double> want = ref::query_target_angles_deg(queries, targets, m);
      for (std::int64_t i = 0; i < n; ++i) {
        EXPECT_NEAR(got[static_cast<std::size_t>(i)], want[static_cast<std::size_t>(i)], 1e-9)
            << "n = " << n << ", d = " << d << ", map " << (m != nullptr) << ", query " << i;
      }
    }
  }
}

TEST(QueryTargetAngles, ARotationMapKeepsTheRawAngleOfAngleQueries) {
  const std::int64_t d = 9, m = 6, n = 40;
  const Matrix memories = gaussian_matrix(m, d, 4);
  const Aimed a = aim(memories, n);
  Matrix queries(n, d);
  make_queries(QueryModel::parse("angle:10"), memories, a.targets, a.ids, 8, queries);
  const FeatureMap rotation = rotation_map(d, 5);
  for (double angle : kernel_angles(queries, a.target_rows, &rotation)) EXPECT_NEAR(angle, 10.0, 1e-11);
  for (double angle : kernel_angles(queries, a.target_rows, nullptr)) EXPECT_NEAR(angle, 10.0, 1e-11);
  // The identity-like map of D_Phi = d is the identity: the feature angle is the raw angle.
  const FeatureMap identity = identity_feature_map(d, d);
  EXPECT_EQ(kernel_angles(queries, a.target_rows, &identity), kernel_angles(queries, a.target_rows, nullptr));
}

TEST(QueryTargetAngles, SmallAnglesKeepTheirDigits) {
  // acos of a cosine near 1 keeps only about 8 digits of the angle; atan2 of the chords keeps all.
  const Matrix memories = gaussian_matrix(3, 50, 6);
  const Aimed a = aim(memories, 3);
  Matrix queries(3, 50);
  make_queries(QueryModel::parse("angle:1e-6"), memories, a.targets, a.ids, 1, queries);
  for (double angle : kernel_angles(queries, a.target_rows, nullptr)) EXPECT_NEAR(angle, 1e-6, 1e-14);
}

TEST(QueryTargetAngles, AZeroRowHasNoAngleAndShapesMustAgree) {
  Matrix queries = gaussian_matrix(3, 4, 1);
  const Matrix targets = gaussian_matrix(3, 4, 2);
  std::fill_n(queries.row(1), 4, 0.0);
  const std::vector<double> angles = kernel_angles(queries, targets, nullptr);
  EXPECT_TRUE(std::isfinite(angles[0]));
  EXPECT_TRUE(std::isnan(angles[1]));
  std::vector<double> short_out(2);
  EXPECT_THROW(kernels::query_target_angles_deg(queries, targets, nullptr, short_out), KernelError);
  const FeatureMap wrong = gaussian_map(2, 5, 3, false);
  std::vector<double> out(3);
  EXPECT_THROW(kernels::query_target_angles_deg(queries, targets, &wrong, out), KernelError);
}

TEST(QueryTargetAngles, TheSameBitsAtOneAndTwoThreads) {
  // Work well above a thread team's threshold, so that two threads do split the rows.
  const std::int64_t n = 700, d = 40, dphi = 12;
  const Matrix memories = gaussian_matrix(n, d, 14);
  const FeatureMap map = gaussian_map(dphi, d, 15, true);
  const Aimed a = aim(memories, n);
  const int saved = omp_get_max_threads();
  std::vector<std::vector<double>> angles;
  std::vector<std::vector<double>> queries;
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    Matrix q(n, d);
    make_queries(QueryModel::parse("feature_angle:7"), memories, a.targets, a.ids, 6, q, &map);
    queries.push_back(q.data);
    angles.push_back(kernel_angles(q, a.target_rows, &map));
  }
  omp_set_num_threads(std::max(1, saved));
  EXPECT_EQ(queries[0], queries[1]);
  EXPECT_EQ(angles[0], angles[1]);
}

TEST(AngleSummary, MedianMeanAndMaxOfKnownSetsIgnoringNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const kernels::AngleSummary odd = kernels::summarize_angles(std::vector<double>{3.0, nan, 1.0, 8.0});
  EXPECT_EQ(odd.median, 3.0);
  EXPECT_EQ(odd.mean, 4.0);
  EXPECT_EQ(odd.max, 8.0);
  const kernels::AngleSummary even = kernels::summarize_angles(std::vector<double>{4.0, 1.0, 2.0, 9.0});
  EXPECT_EQ(even.median, 3.0);
  EXPECT_EQ(even.mean, 4.0);
  EXPECT_EQ(even.max, 9.0);
  const kernels::AngleSummary none = kernels::summarize_angles(std::vector<double>{nan, nan});
  EXPECT_TRUE(std::isnan(none.median) && std::isnan(none.mean) && std::isnan(none.max));
  std::vector<double> many(1001);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = std::fmod(37.0 * static_cast<double>(i), 101.0);
  EXPECT_EQ(kernels::summarize_angles(many).median, ref::median(many));
}

TEST(FeatureAngleQueries, ParseAndNameLikeAngleQueries) {
  const QueryModel q = QueryModel::parse("feature_angle:10.0");
  EXPECT_EQ(q.kind, QueryKind::feature_angle);
  EXPECT_EQ(q.level, 10.0);
  EXPECT_EQ(q.name(), "feature_angle:10");
  EXPECT_TRUE(q.has_target());
  EXPECT_TRUE(q.in_feature_space());
  EXPECT_FALSE(QueryModel::parse("angle:10").in_feature_space());
  EXPECT_THROW(QueryModel::parse("feature_angle:181"), ConfigError);
  EXPECT_THROW(QueryModel::parse("feature_angle"), ConfigError);
}

TEST(FeatureAngleQueries, TheFeatureSitsAtTheRequestedAngleKeepingItsNorm) {
  for (const auto& [d, dphi, bias] : std::vector<std::tuple<std::int64_t, std::int64_t, bool>>{
           {23, 5, true}, {7, 7, false}, {64, 2, false}, {33, 16, true}}) {
    const std::int64_t m = 9, n = 29;
    const Matrix memories = gaussian_matrix(m, d, 40 + static_cast<std::uint64_t>(d));
    const FeatureMap map = gaussian_map(dphi, d, 50 + static_cast<std::uint64_t>(dphi), bias);
    const Aimed a = aim(memories, n);
    for (double level : {0.0, 0.5, 10.0, 90.0, 179.5, 180.0}) {
      Matrix queries(n, d);
      make_queries(QueryModel{QueryKind::feature_angle, level, {}}, memories, a.targets, a.ids, 3, queries, &map);
      const std::vector<double> want = ref::query_target_angles_deg(queries, a.target_rows, &map);
      const std::vector<double> got = kernel_angles(queries, a.target_rows, &map);
      const Matrix fq = apply_feature_map(map, queries), ft = apply_feature_map(map, a.target_rows);
      for (std::int64_t i = 0; i < n; ++i) {
        // acos in the twin keeps ~1e-8° near 0° and 180°; the kernel's chords keep more.
        EXPECT_NEAR(want[static_cast<std::size_t>(i)], level, 1e-7) << "d " << d << " Dphi " << dphi << " level " << level;
        EXPECT_NEAR(got[static_cast<std::size_t>(i)], level, 1e-10) << "d " << d << " Dphi " << dphi << " level " << level;
        double nq = 0.0, nt = 0.0;
        for (std::int64_t k = 0; k < dphi; ++k) {
          nq += fq(i, k) * fq(i, k);
          nt += ft(i, k) * ft(i, k);
        }
        EXPECT_NEAR(std::sqrt(nq), std::sqrt(nt), 1e-12 * std::sqrt(nt));
      }
    }
  }
}

TEST(FeatureAngleQueries, DirectionsAreRandomAndAPureFunctionOfTheQueryId) {
  const std::int64_t d = 12, dphi = 4;
  const Matrix memories = gaussian_matrix(2, d, 7);
  const FeatureMap map = gaussian_map(dphi, d, 8, false);
  const Aimed a = aim(memories, 4);  // queries 0 and 2 aim at memory 0
  Matrix queries(4, d);
  make_queries(QueryModel::parse("feature_angle:20"), memories, a.targets, a.ids, 9, queries, &map);
  EXPECT_NE(std::vector<double>(queries.row(0), queries.row(0) + d), std::vector<double>(queries.row(2), queries.row(2) + d));
  // Query 2 alone, as another block or rank would make it.
  Matrix alone(1, d);
  const std::vector<std::int64_t> target{0};
  const std::vector<std::uint64_t> id{2};
  make_queries(QueryModel::parse("feature_angle:20"), memories, target, id, 9, alone, &map);
  EXPECT_EQ(std::vector<double>(alone.row(0), alone.row(0) + d), std::vector<double>(queries.row(2), queries.row(2) + d));
}

TEST(FeatureAngleQueries, WithoutAMapTheyArePlacedInRawSpace) {
  const Matrix memories = gaussian_matrix(5, 10, 11);
  const Aimed a = aim(memories, 15);
  Matrix queries(15, 10);
  make_queries(QueryModel::parse("feature_angle:12"), memories, a.targets, a.ids, 2, queries);
  for (double angle : kernel_angles(queries, a.target_rows, nullptr)) EXPECT_NEAR(angle, 12.0, 1e-11);
}

TEST(FeatureAngleQueries, RefusedWhereTheMapCannotReachTheAngle) {
  const Matrix memories = gaussian_matrix(3, 6, 12);
  const Aimed a = aim(memories, 3);
  Matrix queries(3, 6);
  const QueryModel q = QueryModel::parse("feature_angle:10");
  const FeatureMap wide = gaussian_map(8, 6, 1, false);  // D_Phi > d
  EXPECT_THROW(make_queries(q, memories, a.targets, a.ids, 1, queries, &wide), ConfigError);
  const FeatureMap one = gaussian_map(1, 6, 1, false);  // no direction orthogonal to the feature
  EXPECT_THROW(make_queries(q, memories, a.targets, a.ids, 1, queries, &one), ConfigError);
  FeatureMap repeated = gaussian_map(3, 6, 1, false);  // two equal rows: rank 2
  std::copy_n(repeated.weight.row(0), 6, repeated.weight.row(2));
  EXPECT_THROW(make_queries(q, memories, a.targets, a.ids, 1, queries, &repeated), ConfigError);
  // A memory in the null space of a linear map has the zero feature: no angle to keep.
  const FeatureMap first_two = identity_feature_map(6, 2);
  Matrix nulled = memories;
  nulled(0, 0) = 0.0;
  nulled(0, 1) = 0.0;
  EXPECT_THROW(make_queries(q, nulled, a.targets, a.ids, 1, queries, &first_two), ConfigError);
}

TEST(FeatureAngleQueries, TheSweepRefusesPointsWhereNoMapCanReachTheAngle) {
  sweep::SweepConfig config;
  config.query = {QueryModel::parse("feature_angle:10")};
  config.model = {sweep::Model::khm_random};
  config.d = {4};
  config.dphi = {2, 8};
  EXPECT_THROW(sweep::validate(config), ConfigError);
  config.filter = sweep::DphiFilter::dphi_at_most_d;
  EXPECT_NO_THROW(sweep::validate(config));
  config.dphi = {1};
  EXPECT_THROW(sweep::validate(config), ConfigError);
  config.model = {sweep::Model::mhm};  // the MHM has no map: the raw angle
  EXPECT_NO_THROW(sweep::validate(config));
}

}  // namespace
}  // namespace hopcap
