// Separation metrics with float32 Gram tiles (SeparationOptions::float32_tiles, the default): the tiles only
// screen and every kept value is the float64 fixed-order inner product, so the report must be
// bitwise the float64 one — on random sets at awkward tile sizes, on codes whose exact ties are
// rounding-level near-ties (far below float32's resolution), on pairs closer than float32 can
// tell apart, and on sets whose entries float32 cannot hold (then the tiles stay float64).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hopcap/codes.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/memories.hpp"
#include "near_ties.hpp"
#include "reference/metrics_ref.hpp"

namespace hopcap {
namespace {

using kernels::SeparationOptions;
using kernels::SeparationReport;

void expect_same(const SeparationReport& got, const SeparationReport& want, const std::string& where) {
  EXPECT_EQ(got.raw_delta, want.raw_delta) << where;
  EXPECT_EQ(got.row_max_cos, want.row_max_cos) << where;
  EXPECT_EQ(got.raw_nearest, want.raw_nearest) << where;
  EXPECT_EQ(got.nearest, want.nearest) << where;
  EXPECT_EQ(got.raw_delta_min, want.raw_delta_min) << where;
  EXPECT_EQ(got.raw_argmin, want.raw_argmin) << where;
  EXPECT_EQ(got.max_cos, want.max_cos) << where;
  EXPECT_EQ(got.closest_pair, want.closest_pair) << where;
  EXPECT_EQ(got.min_angle_deg, want.min_angle_deg) << where;
  EXPECT_EQ(got.max_norm, want.max_norm) << where;
  EXPECT_EQ(got.min_norm, want.min_norm) << where;
}

SeparationOptions float32_tiles(std::int64_t block) {
  SeparationOptions o{block};
  o.float32_tiles = true;
  return o;
}

SeparationOptions float64_tiles(std::int64_t block) {
  SeparationOptions o{block};
  o.float32_tiles = false;
  return o;
}

// Pairs of rows 10⁻⁹ apart in angle, and rows at every scale from 10⁻¹² to 10¹²: float32 rounds
// their Gram entries by far more than the gaps that decide the nearest partners.
Matrix close_pairs_at_many_scales() {
  const Matrix base = generate_memories(Distribution::sphere, 9, 30, 41, 0);
  Matrix x(60, 9);
  for (std::int64_t i = 0; i < 30; ++i) {
    const double scale = std::pow(10.0, -12.0 + 24.0 * static_cast<double>(i) / 29.0);
    for (std::int64_t k = 0; k < 9; ++k) {
      x(2 * i, k) = scale * base(i, k);
      x(2 * i + 1, k) = scale * (base(i, k) + (k == i % 9 ? 1e-9 : 0.0));
    }
  }
  return x;
}

std::vector<std::pair<std::string, Matrix>> test_sets() {
  std::vector<std::pair<std::string, Matrix>> sets;
  sets.emplace_back("gaussian d=13", generate_memories(Distribution::gaussian, 13, 150, 3, 0));
  sets.emplace_back("sphere d=1", generate_memories(Distribution::sphere, 1, 5, 4, 0));
  sets.emplace_back("rotated 600-cell", test::rotated(codes::cell600()));
  sets.emplace_back("rotated E8 roots", test::rotated(codes::e8_roots()));
  sets.emplace_back("close pairs at many scales", close_pairs_at_many_scales());
  Matrix huge = generate_memories(Distribution::gaussian, 7, 40, 5, 0);
  for (double& e : huge.data) e *= 1e30;  // float32 overflows: float64 tiles
  sets.emplace_back("entries of 1e30", huge);
  Matrix tiny = generate_memories(Distribution::gaussian, 7, 40, 6, 0);
  for (double& e : tiny.data) e *= 1e-30;  // float32 underflows: float64 tiles
  sets.emplace_back("entries of 1e-30", tiny);
  return sets;
}

TEST(SeparationFloat32, TilesGiveTheFloat64ReportBitwise) {
  for (const auto& [name, x] : test_sets()) {
    for (const std::int64_t block : {1, 2, 7, 64, 512}) {
      const std::string where = name + ", block " + std::to_string(block);
      const SeparationReport want = kernels::separation_report(x, float64_tiles(block));
      expect_same(kernels::separation_report(x, float32_tiles(block)), want, where);
    }
  }
}

TEST(SeparationFloat32, TilesMatchTheNaiveTwin) {
  // Independent of the float64 kernel: the plain-loop reference names the same closest pair
  // (on sets without rounding-level ties, where the twin's own rounding would decide).
  for (const auto& [name, x] : test_sets()) {
    if (name.rfind("rotated", 0) == 0) continue;
    const SeparationReport got = kernels::separation_report(x, float32_tiles(33));
    const ref::Separation want = ref::separation(x);
    EXPECT_EQ(got.closest_pair, want.closest_pair) << name;
    EXPECT_NEAR(got.max_cos, want.max_cos, 1e-13) << name;
  }
}

TEST(SeparationFloat32, FeatureReportAndEstimateGiveTheFloat64Ones) {
  const Matrix x = generate_memories(Distribution::gaussian, 11, 97, 8, 0);
  const Matrix w = generate_memories(Distribution::gaussian, 11, 6, 9, 0);  // D_Φ = 6 rows of W
  const std::vector<double> bias{0.1, -0.2, 0.3, 0.0, 0.5, -0.7};
  for (const std::int64_t block : {3, 512}) {
    const std::string where = "block " + std::to_string(block);
    expect_same(kernels::feature_separation_report(x, w, bias, float32_tiles(block)),
                kernels::feature_separation_report(x, w, bias, float64_tiles(block)), where + ", features");
    const std::vector<std::int64_t> sample = kernels::sample_rows(x.rows, 10, 3);
    expect_same(kernels::separation_estimate_partitioned(x, kernels::RowPartition::whole(x.rows), sample,
                                                         float32_tiles(block)),
                kernels::separation_estimate_partitioned(x, kernels::RowPartition::whole(x.rows), sample,
                                                         float64_tiles(block)),
                where + ", estimate");
  }
}

}  // namespace
}  // namespace hopcap
