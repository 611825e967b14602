// Separation metrics: the blocked GEMM kernels against the naive reference twins, hand-built
// codes with known answers, the M = 1 conventions, a large-M run on a sampled reference, and
// the kept values being the fixed-order inner products whatever the tile size.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <array>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/codes.hpp"
#include "hopcap/kernels/fixed_order_dot.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/memories.hpp"
#include "near_ties.hpp"
#include "reference/metrics_ref.hpp"

namespace hopcap {
namespace {

using kernels::SeparationOptions;
using kernels::SeparationReport;

constexpr double kTol = 1e-13;

Matrix from_rows(const std::vector<std::vector<double>>& rows) {
  Matrix x(static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows[0].size()));
  for (std::int64_t i = 0; i < x.rows; ++i) {
    for (std::int64_t k = 0; k < x.cols; ++k) {
      x(i, k) = rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(k)];
    }
  }
  return x;
}

double dot(const Matrix& x, std::int64_t a, std::int64_t b) {
  double s = 0.0;
  for (std::int64_t k = 0; k < x.cols; ++k) s += x(a, k) * x(b, k);
  return s;
}

double cosine(const Matrix& x, std::int64_t a, std::int64_t b) {
  return dot(x, a, b) / std::sqrt(dot(x, a, a) * dot(x, b, b));
}

// Compares a blocked report of x with the reference twin, value by value.
void expect_matches_reference(const Matrix& x, const SeparationReport& rep,
                              const std::string& where) {
  SCOPED_TRACE(where);
  const ref::Separation want = ref::separation(x);
  ASSERT_EQ(rep.m, x.rows);
  ASSERT_EQ(rep.dim, x.cols);
  ASSERT_EQ(rep.raw_delta.size(), want.raw_delta.size());
  ASSERT_EQ(rep.row_max_cos.size(), want.row_max_cos.size());
  // Inner products carry rounding relative to the squared norms.
  const double raw_scale = std::max(1.0, want.max_norm * want.max_norm);
  EXPECT_NEAR(rep.max_norm, want.max_norm, kTol * std::max(1.0, want.max_norm));
  for (std::size_t mu = 0; mu < want.raw_delta.size(); ++mu) {
    if (std::isinf(want.raw_delta[mu])) {
      EXPECT_EQ(rep.raw_delta[mu], want.raw_delta[mu]) << "mu = " << mu;
    } else {
      EXPECT_NEAR(rep.raw_delta[mu], want.raw_delta[mu], kTol * raw_scale) << "mu = " << mu;
    }
    EXPECT_NEAR(rep.row_max_cos[mu], want.row_max_cos[mu], kTol) << "mu = " << mu;
  }
  if (std::isinf(want.raw_delta_min)) {
    EXPECT_EQ(rep.raw_delta_min, want.raw_delta_min);
  } else {
    EXPECT_NEAR(rep.raw_delta_min, want.raw_delta_min, kTol * raw_scale);
  }
  EXPECT_NEAR(rep.max_cos, want.max_cos, kTol);
  EXPECT_NEAR(rep.delta_min_sphere, want.delta_min_sphere, kTol);
  EXPECT_NEAR(rep.min_angle_deg, want.min_angle_deg, 1e-9);

  // The reported partners attain the reported maxima, and the pair attains s_max.
  if (x.rows >= 2) {
    for (std::int64_t mu = 0; mu < x.rows; ++mu) {
      const std::int64_t nu = rep.nearest[static_cast<std::size_t>(mu)];
      ASSERT_GE(nu, 0);
      ASSERT_NE(nu, mu);
      EXPECT_NEAR(cosine(x, mu, nu), rep.row_max_cos[static_cast<std::size_t>(mu)], kTol);
      const std::int64_t raw_nu = rep.raw_nearest[static_cast<std::size_t>(mu)];
      ASSERT_NE(raw_nu, mu);
      EXPECT_NEAR(dot(x, mu, mu) - dot(x, mu, raw_nu), rep.raw_delta[static_cast<std::size_t>(mu)],
                  kTol * raw_scale);
    }
    const auto [i, j] = rep.closest_pair;
    ASSERT_LT(i, j);
    EXPECT_NEAR(cosine(x, i, j), rep.max_cos, kTol);
    EXPECT_EQ(rep.raw_delta[static_cast<std::size_t>(rep.raw_argmin)], rep.raw_delta_min);
  }
}

double sum_of_squares_of_row(const Matrix& x, std::int64_t i) {
  double s = 0.0;
  for (std::int64_t k = 0; k < x.cols; ++k) s += x(i, k) * x(i, k);
  return s;
}

// What the report keeps is the fixed-order inner product of each row with its nearest partner
// (not whatever the BLAS formed in a tile of some shape), so it is bitwise the same at every tile
// size; codes whose exact ties became rounding-level near-ties name the same partner too.
TEST(SeparationReport, KeepsFixedOrderValuesBitwiseAtEveryTileSize) {
  std::vector<std::pair<std::string, Matrix>> sets;
  sets.emplace_back("gaussian d=13", generate_memories(Distribution::gaussian, 13, 150, 3, 0));
  sets.emplace_back("rotated 600-cell", test::rotated(codes::cell600()));
  sets.emplace_back("rotated E8 roots", test::rotated(codes::e8_roots()));
  for (const auto& [name, x] : sets) {
    const SeparationReport base = kernels::separation_report(x, {512});
    for (std::int64_t i = 0; i < x.rows; ++i) {
      const std::size_t r = static_cast<std::size_t>(i);
      const double sq = sum_of_squares_of_row(x, i);
      const std::int64_t jr = base.raw_nearest[r], jc = base.nearest[r];
      ASSERT_GE(jr, 0) << name;
      EXPECT_EQ(base.raw_delta[r], sq - kernels::fixed_order_dot(x.row(i), x.row(jr), x.cols)) << name << ", row " << i;
      const double scale = (1.0 / std::sqrt(sq)) * (1.0 / std::sqrt(sum_of_squares_of_row(x, jc)));
      EXPECT_EQ(base.row_max_cos[r], std::clamp(kernels::fixed_order_dot(x.row(i), x.row(jc), x.cols) * scale, -1.0, 1.0))
          << name << ", row " << i;
    }
    for (const std::int64_t block : {1, 2, 7, 33, 64}) {
      const SeparationReport got = kernels::separation_report(x, {block});
      const std::string where = name + ", block " + std::to_string(block);
      EXPECT_EQ(got.raw_delta, base.raw_delta) << where;
      EXPECT_EQ(got.row_max_cos, base.row_max_cos) << where;
      EXPECT_EQ(got.raw_nearest, base.raw_nearest) << where;
      EXPECT_EQ(got.nearest, base.nearest) << where;
      EXPECT_EQ(got.closest_pair, base.closest_pair) << where;
      EXPECT_EQ(got.min_angle_deg, base.min_angle_deg) << where;
    }
  }
}

TEST(FixedOrderDot, IsSymmetricAndExactOnIntegers) {
  std::vector<double> a(37), b(37);
  double want = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    a[k] = static_cast<double>(k % 7) - 3.0;
    b[k] = static_cast<double>((5 * k) % 11) - 5.0;
    want += a[k] * b[k];  // small integers: every order gives the exact sum
  }
  for (const std::int64_t n : {0, 1, 3, 4, 5, 36, 37}) {
    double exact = 0.0;
    for (std::int64_t k = 0; k < n; ++k) exact += a[static_cast<std::size_t>(k)] * b[static_cast<std::size_t>(k)];
    EXPECT_EQ(kernels::fixed_order_dot(a.data(), b.data(), n), exact) << n;
  }
  EXPECT_EQ(kernels::fixed_order_dot(a.data(), b.data(), 37), want);
  const Matrix g = generate_memories(Distribution::gaussian, 29, 2, 5, 0);
  EXPECT_EQ(kernels::fixed_order_dot(g.row(0), g.row(1), 29), kernels::fixed_order_dot(g.row(1), g.row(0), 29));
}

TEST(SeparationReport, BlockedMatchesReferenceAtAwkwardSizes) {
  const std::vector<std::int64_t> ms = {1, 2, 7, 33, 65};
  const std::vector<std::int64_t> ds = {1, 3, 8};
  const std::vector<std::int64_t> blocks = {1, 5, 16, 512};
  for (Distribution dist : {Distribution::gaussian, Distribution::sphere}) {
    for (std::int64_t m : ms) {
      for (std::int64_t d : ds) {
        const Matrix x = generate_memories(dist, d, m, 1234, static_cast<std::uint64_t>(m * d));
        for (std::int64_t block : blocks) {
          const SeparationReport rep = kernels::separation_report(x, SeparationOptions{block});
          expect_matches_reference(x, rep,
                                   to_string(dist) + " M=" + std::to_string(m) + " d=" +
                                       std::to_string(d) + " block=" + std::to_string(block));
        }
      }
    }
  }
}

TEST(SeparationReport, FeatureSpaceMatchesReference) {
  const std::vector<std::int64_t> ms = {1, 2, 7, 33, 65};
  const std::vector<std::int64_t> ds = {1, 3, 8};
  const std::vector<std::int64_t> feature_dims = {2, 5};
  const std::vector<std::int64_t> blocks = {1, 5, 16};
  for (std::int64_t m : ms) {
    for (std::int64_t d : ds) {
      const Matrix x = generate_memories(Distribution::gaussian, d, m, 99, 7);
      for (std::int64_t feature_dim : feature_dims) {
        // W has D_Φ rows of dimension d; the bias is one more Gaussian vector.
        const Matrix w = generate_memories(Distribution::gaussian, d, feature_dim, 5, 1);
        const Matrix b = generate_memories(Distribution::gaussian, feature_dim, 1, 5, 2);
        for (bool with_bias : {false, true}) {
          const std::vector<double> bias = with_bias ? b.data : std::vector<double>{};
          const Matrix features = ref::features(x, w, bias);
          for (std::int64_t block : blocks) {
            const SeparationReport rep =
                kernels::feature_separation_report(x, w, bias, SeparationOptions{block});
            EXPECT_EQ(rep.dim, feature_dim);
            expect_matches_reference(
                features, rep,
                "M=" + std::to_string(m) + " d=" + std::to_string(d) +
                    " D=" + std::to_string(feature_dim) + " bias=" + std::to_string(with_bias) +
                    " block=" + std::to_string(block));
          }
        }
      }
    }
  }
}

TEST(SeparationReport, SquareHasRightAnglesAndFirstPairAmongTies) {
  const Matrix x = from_rows({{1, 0}, {0, 1}, {-1, 0}, {0, -1}});
  for (std::int64_t block : {1, 2, 3, 4}) {
    const SeparationReport rep = kernels::separation_report(x, SeparationOptions{block});
    EXPECT_DOUBLE_EQ(rep.max_cos, 0.0);
    EXPECT_NEAR(rep.min_angle_deg, 90.0, 1e-12);
    EXPECT_DOUBLE_EQ(rep.delta_min_sphere, 1.0);
    EXPECT_DOUBLE_EQ(rep.raw_delta_min, 1.0);
    // Four pairs tie at cos 0; the lexicographically first is (0, 1).
    EXPECT_EQ(rep.closest_pair[0], 0);
    EXPECT_EQ(rep.closest_pair[1], 1);
    EXPECT_EQ(rep.nearest, (std::vector<std::int64_t>{1, 0, 1, 0}));
  }
}

TEST(SeparationReport, RegularTetrahedronHasDeltaFourThirds) {
  // (±1, ±1, ±1) with an even number of minus signs: pairwise inner product −1, norm² 3.
  const Matrix x = from_rows({{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}});
  const SeparationReport raw = kernels::separation_report(x);
  for (double delta : raw.raw_delta) EXPECT_DOUBLE_EQ(delta, 4.0);  // 3 − (−1)
  EXPECT_NEAR(raw.delta_min_sphere, 4.0 / 3.0, 1e-12);
  EXPECT_NEAR(raw.max_cos, -1.0 / 3.0, 1e-12);
  EXPECT_NEAR(raw.min_angle_deg, std::acos(-1.0 / 3.0) * 180.0 / std::numbers::pi, 1e-12);

  Matrix unit = x;
  for (double& v : unit.data) v /= std::sqrt(3.0);
  const SeparationReport rep = kernels::separation_report(unit, SeparationOptions{3});
  EXPECT_NEAR(rep.raw_delta_min, 4.0 / 3.0, 1e-12);
  EXPECT_NEAR(rep.delta_min_sphere, 4.0 / 3.0, 1e-12);
  EXPECT_NEAR(rep.min_angle_deg, 109.4712206344907, 1e-12);
  EXPECT_NEAR(rep.max_norm, 1.0, 1e-15);
}

TEST(SeparationReport, AntipodalPairIsHalfACircleApart) {
  const Matrix x = from_rows({{1, 2, 3}, {-1, -2, -3}});
  const SeparationReport rep = kernels::separation_report(x);
  EXPECT_DOUBLE_EQ(rep.max_cos, -1.0);
  EXPECT_DOUBLE_EQ(rep.min_angle_deg, 180.0);
  EXPECT_DOUBLE_EQ(rep.delta_min_sphere, 2.0);
  EXPECT_DOUBLE_EQ(rep.raw_delta_min, 28.0);  // 14 − (−14)
  EXPECT_EQ(rep.closest_pair[0], 0);
  EXPECT_EQ(rep.closest_pair[1], 1);
}

TEST(SeparationReport, DuplicatesAreZeroDegreesApart) {
  const Matrix x = from_rows({{0.3, -0.7, 0.2}, {0.9, 0.1, 0.4}, {0.3, -0.7, 0.2}});
  for (std::int64_t block : {1, 2, 3}) {
    const SeparationReport rep = kernels::separation_report(x, SeparationOptions{block});
    EXPECT_EQ(rep.min_angle_deg, 0.0);  // exact: both rows normalise to the same vector
    EXPECT_NEAR(rep.max_cos, 1.0, 1e-15);
    EXPECT_NEAR(rep.delta_min_sphere, 0.0, 1e-15);
    EXPECT_EQ(rep.closest_pair[0], 0);
    EXPECT_EQ(rep.closest_pair[1], 2);
    EXPECT_NEAR(rep.raw_delta[0], 0.0, 1e-15);
  }
}

TEST(SeparationReport, ScaledCopyIsParallelOnTheSphereButNotInRawSeparation) {
  // a, b and c = 2a: integer inner products, so every raw Δ is exact.
  const Matrix x = from_rows({{1, 2, 2}, {0, 3, 0}, {2, 4, 4}});
  const SeparationReport rep = kernels::separation_report(x, SeparationOptions{2});
  EXPECT_EQ(rep.raw_delta, (std::vector<double>{9 - 18, 9 - 12, 36 - 18}));
  EXPECT_EQ(rep.raw_nearest, (std::vector<std::int64_t>{2, 2, 0}));
  EXPECT_EQ(rep.raw_delta_min, -9.0);
  EXPECT_EQ(rep.raw_argmin, 0);
  EXPECT_EQ(rep.min_angle_deg, 0.0);
  EXPECT_EQ(rep.closest_pair[0], 0);
  EXPECT_EQ(rep.closest_pair[1], 2);
  EXPECT_DOUBLE_EQ(rep.max_norm, 6.0);
  EXPECT_DOUBLE_EQ(rep.min_norm, 3.0);
}

TEST(SeparationReport, SingleMemoryUsesTheDocumentedConventions) {
  const Matrix x = from_rows({{0.5, -2.0, 1.0}});
  const SeparationReport rep = kernels::separation_report(x);
  EXPECT_EQ(rep.max_cos, -1.0);
  EXPECT_EQ(rep.row_max_cos, std::vector<double>{-1.0});
  EXPECT_EQ(rep.min_angle_deg, 180.0);
  EXPECT_EQ(rep.delta_min_sphere, 2.0);
  EXPECT_EQ(rep.raw_delta_min, std::numeric_limits<double>::infinity());
  EXPECT_EQ(rep.raw_delta[0], std::numeric_limits<double>::infinity());
  EXPECT_EQ(rep.nearest, std::vector<std::int64_t>{-1});
  EXPECT_EQ(rep.closest_pair[0], -1);
  EXPECT_EQ(rep.raw_argmin, 0);
}

TEST(SeparationReport, UnitVectorsHaveRawDeltaEqualToSphereDelta) {
  const Matrix x = generate_memories(Distribution::sphere, 6, 50, 3);
  const SeparationReport rep = kernels::separation_report(x, SeparationOptions{16});
  for (std::size_t mu = 0; mu < rep.raw_delta.size(); ++mu) {
    EXPECT_NEAR(rep.raw_delta[mu], 1.0 - rep.row_max_cos[mu], 1e-14);
  }
  EXPECT_NEAR(rep.raw_delta_min, rep.delta_min_sphere, 1e-14);
}

TEST(SeparationReport, LargeSetAgreesWithSampledReference) {
  // 20000 × 20000 Gram entries would take 3.2 GB; the kernel holds one 256 × 256 tile.
  const std::int64_t m = 20000;
  const std::int64_t d = 16;
  const Matrix x = generate_memories(Distribution::gaussian, d, m, 2024);
  const SeparationReport rep = kernels::separation_report(x, SeparationOptions{256});
  ASSERT_EQ(rep.m, m);
  const Matrix unit = [&] {
    Matrix u = x;
    normalize_rows(u);
    return u;
  }();
  double sampled_min = std::numeric_limits<double>::infinity();
  for (std::int64_t k = 0; k < 50; ++k) {
    const std::int64_t mu = (k * 7919 + 13) % m;  // 50 rows spread over every tile row
    const double want = ref::raw_delta_row(x, mu);
    EXPECT_NEAR(rep.raw_delta[static_cast<std::size_t>(mu)], want, 1e-12 * dot(x, mu, mu))
        << "mu = " << mu;
    double best = -1.0;
    for (std::int64_t nu = 0; nu < m; ++nu) {
      if (nu != mu) best = std::max(best, dot(unit, mu, nu));
    }
    EXPECT_NEAR(rep.row_max_cos[static_cast<std::size_t>(mu)], best, kTol) << "mu = " << mu;
    EXPECT_LE(rep.row_max_cos[static_cast<std::size_t>(mu)], rep.max_cos);
    sampled_min = std::min(sampled_min, want);
  }
  EXPECT_LE(rep.raw_delta_min, sampled_min + 1e-12);
  const auto [i, j] = rep.closest_pair;
  EXPECT_NEAR(cosine(x, i, j), rep.max_cos, kTol);
  EXPECT_NEAR(ref::max_cos_row(x, i), rep.max_cos, kTol);
}

TEST(AngleBetween, StaysAccurateForTinyAndNearlyStraightAngles) {
  const std::vector<double> u = {1.0, 0.0};
  EXPECT_NEAR(kernels::angle_between(u, std::vector<double>{1.0, 1e-10}), 1e-10, 1e-22);
  EXPECT_NEAR(kernels::angle_between(u, std::vector<double>{-1.0, 1e-10}),
              std::numbers::pi - 1e-10, 1e-15);
  EXPECT_NEAR(kernels::angle_between(u, std::vector<double>{0.0, 3.0}), std::numbers::pi / 2,
              1e-15);
  EXPECT_THROW(kernels::angle_between(u, std::vector<double>{0.0, 0.0}), KernelError);
  EXPECT_THROW(kernels::angle_between(u, std::vector<double>{1.0}), KernelError);
}

TEST(SeparationReport, RejectsInvalidInput) {
  const Matrix x = from_rows({{1, 0}, {0, 1}});
  EXPECT_THROW(kernels::separation_report(x, SeparationOptions{0}), ConfigError);
  EXPECT_THROW(kernels::separation_report(Matrix{}), ConfigError);
  EXPECT_THROW(kernels::separation_report(from_rows({{1, 0}, {0, 0}})), KernelError);
  EXPECT_THROW(kernels::separation_report(
                   from_rows({{1, 0}, {std::numeric_limits<double>::quiet_NaN(), 1}})),
               KernelError);
  const Matrix w(3, 5);  // expects d = 5
  EXPECT_THROW(kernels::feature_separation_report(x, w), ConfigError);
  const Matrix w2 = from_rows({{1, 0}, {0, 1}, {1, 1}});
  const std::vector<double> bad_bias = {1.0, 2.0};
  EXPECT_THROW(kernels::feature_separation_report(x, w2, bad_bias), ConfigError);
  EXPECT_NO_THROW(kernels::feature_separation_report(x, w2));
}

}  // namespace
}  // namespace hopcap

namespace hopcap {
namespace {

TEST(SampleRows, DrawsDistinctIncreasingRowsUniformly) {
  EXPECT_EQ(kernels::sample_rows(5, 9, 1), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(kernels::sample_rows(1, 1, 1), (std::vector<std::int64_t>{0}));
  EXPECT_THROW(kernels::sample_rows(5, 0, 1), ConfigError);
  EXPECT_THROW(kernels::sample_rows(0, 1, 1), ConfigError);
  const std::vector<std::int64_t> a = kernels::sample_rows(1000, 37, 42);
  ASSERT_EQ(a.size(), 37u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_TRUE(std::adjacent_find(a.begin(), a.end()) == a.end());
  EXPECT_GE(a.front(), 0);
  EXPECT_LT(a.back(), 1000);
  EXPECT_EQ(kernels::sample_rows(1000, 37, 42), a);  // a pure function of its arguments
  EXPECT_NE(kernels::sample_rows(1000, 37, 43), a);
  // Each of 10 rows is in a sample of 3 with probability 3/10: 6000 seeds give 1800 ± 35.5 (σ).
  std::vector<int> hits(10, 0);
  for (std::uint64_t seed = 0; seed < 6000; ++seed) {
    for (const std::int64_t row : kernels::sample_rows(10, 3, seed)) ++hits[static_cast<std::size_t>(row)];
  }
  for (int row = 0; row < 10; ++row) EXPECT_NEAR(hits[static_cast<std::size_t>(row)], 1800, 180) << "row " << row;
}

// The estimate's scalars bound the exact ones (up to the rounding of Gram entries formed in
// other tiles), and every sampled row is exact.
void expect_bounds(const Matrix& x, const std::vector<std::int64_t>& sample, const std::string& where) {
  SCOPED_TRACE(where);
  const ref::Separation exact = ref::separation(x);
  // Indices come from the blocked report: in d = 1 every pair is an exact tie of the twin,
  // decided by the last bit of the kernel's cosines.
  const SeparationReport blocked = kernels::separation_report(x);
  const SeparationReport est =
      kernels::separation_estimate_partitioned(x, kernels::RowPartition::whole(x.rows), sample, SeparationOptions{3});
  const double raw_scale = std::max(1.0, exact.max_norm * exact.max_norm);
  EXPECT_LE(est.max_cos, exact.max_cos + kTol);
  EXPECT_GE(est.delta_min_sphere, exact.delta_min_sphere - kTol);
  EXPECT_GE(est.min_angle_deg, exact.min_angle_deg - 1e-9);
  if (!std::isinf(exact.raw_delta_min)) EXPECT_GE(est.raw_delta_min, exact.raw_delta_min - kTol * raw_scale);
  EXPECT_NEAR(est.max_norm, exact.max_norm, kTol * exact.max_norm);
  ASSERT_EQ(est.raw_delta.size(), sample.size());
  for (std::size_t k = 0; k < sample.size(); ++k) {
    const auto mu = static_cast<std::size_t>(sample[k]);
    if (std::isinf(exact.raw_delta[mu])) {
      EXPECT_EQ(est.raw_delta[k], exact.raw_delta[mu]);
    } else {
      EXPECT_NEAR(est.raw_delta[k], exact.raw_delta[mu], kTol * raw_scale);
    }
    EXPECT_NEAR(est.row_max_cos[k], exact.row_max_cos[mu], kTol);
    EXPECT_EQ(est.nearest[k], blocked.nearest[mu]);
    EXPECT_EQ(est.raw_nearest[k], blocked.raw_nearest[mu]);
  }
  // The reported pair is a real pair attaining the reported cosine and angle.
  if (x.rows >= 2) {
    const auto [i, j] = est.closest_pair;
    ASSERT_LT(i, j);
    EXPECT_NEAR(cosine(x, i, j), est.max_cos, kTol);
    EXPECT_NEAR(kernels::angle_between(x.row_span(i), x.row_span(j)) * 180.0 / std::numbers::pi, est.min_angle_deg,
                1e-12);
  }
  // A sample of every row, or of all rows but one, covers every pair: the exact values.
  if (static_cast<std::int64_t>(sample.size()) >= x.rows - 1) {
    EXPECT_NEAR(est.max_cos, exact.max_cos, kTol);
    if (std::isinf(exact.raw_delta_min)) {
      EXPECT_EQ(est.raw_delta_min, exact.raw_delta_min);
    } else {
      EXPECT_NEAR(est.raw_delta_min, exact.raw_delta_min, kTol * raw_scale);
    }
    EXPECT_NEAR(est.min_angle_deg, exact.min_angle_deg, 1e-9);
    EXPECT_EQ(est.closest_pair, blocked.closest_pair);
    EXPECT_EQ(est.raw_argmin, blocked.raw_argmin);
  }
}

TEST(SeparationEstimate, BoundsTheExactValuesAndIsExactOnEveryPair) {
  for (Distribution dist : {Distribution::gaussian, Distribution::sphere}) {
    for (const std::int64_t m : {1, 2, 3, 17, 60}) {
      for (const std::int64_t d : {1, 3, 8}) {
        const Matrix x = generate_memories(dist, d, m, 5, static_cast<std::uint64_t>(m + d));
        for (const std::int64_t count : {std::int64_t{1}, std::int64_t{5}, m - 1, m}) {
          if (count < 1) continue;
          for (const std::uint64_t seed : {1u, 2u}) {
            expect_bounds(x, kernels::sample_rows(m, count, seed),
                          to_string(dist) + " M=" + std::to_string(m) + " d=" + std::to_string(d) +
                              " sample=" + std::to_string(count) + " seed=" + std::to_string(seed));
          }
        }
      }
    }
  }
}

TEST(SeparationEstimate, MissesAClosePairOutsideTheSample) {
  // Rows 1 and 2 are atan(1e-3) rad apart; everything else is at least 45° from everything. A sample
  // of rows 0 and 3 never sees that pair: the estimate is a strict bound, the exact s_max of
  // the pairs it saw (rows 0 and 1 at 45°, cos = 1/√2).
  const double t = 1e-3;
  const Matrix x = from_rows({{1, 0, 0}, {1, 1, 0}, {1, 1, t * std::sqrt(2.0)}, {0, 0, 1}});
  const std::vector<std::int64_t> sample{0, 3};
  const SeparationReport est =
      kernels::separation_estimate_partitioned(x, kernels::RowPartition::whole(4), sample);
  const SeparationReport exact = kernels::separation_report(x);
  EXPECT_EQ(exact.closest_pair, (std::array<std::int64_t, 2>{1, 2}));
  EXPECT_NEAR(exact.min_angle_deg, std::atan(t) * 180.0 / std::numbers::pi, 1e-9);
  EXPECT_EQ(est.closest_pair, (std::array<std::int64_t, 2>{0, 1}));
  EXPECT_NEAR(est.max_cos, 1.0 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(est.min_angle_deg, 45.0, 1e-12);
  EXPECT_GT(est.delta_min_sphere, exact.delta_min_sphere + 0.29);
  EXPECT_GE(est.raw_delta_min, exact.raw_delta_min);
  EXPECT_THROW(kernels::separation_estimate_partitioned(x, kernels::RowPartition::whole(4), std::vector<std::int64_t>{}),
               ConfigError);
  EXPECT_THROW(kernels::separation_estimate_partitioned(x, kernels::RowPartition::whole(4), std::vector<std::int64_t>{2, 1}),
               ConfigError);
  EXPECT_THROW(kernels::separation_estimate_partitioned(x, kernels::RowPartition::whole(4), std::vector<std::int64_t>{4}),
               ConfigError);
}

}  // namespace
}  // namespace hopcap
