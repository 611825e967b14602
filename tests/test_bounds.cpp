// Closed-form bounds: Prop 3.1, CSW, KL/Levenshtein, Rankin, Fejes Tóth and exact-code Δ,
// against closed forms, the anchor tables and Sloane's best-known Tammes codes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "hopcap/bounds.hpp"
#include "hopcap/error.hpp"
#include "test_support.hpp"

namespace hopcap {
namespace {

using bounds::degrees;
using bounds::radians;
constexpr double kPi = std::numbers::pi;

TEST(Prop31, DimensionThreeClosedForms) {
  for (std::int64_t m = 4; m <= 130; ++m) {
    const double md = static_cast<double>(m);
    EXPECT_NEAR(bounds::prop31_lower(m, 3), 2.0 / (3.0 * md), 1e-12 * (2.0 / (3.0 * md)));
    EXPECT_NEAR(bounds::prop31_upper(m, 3), 4.0 / std::sqrt(md), 1e-12 * (4.0 / std::sqrt(md)));
  }
}

TEST(Prop31, DimensionTwoClosedForms) {
  for (std::int64_t m = 1; m <= 500; m += 7) {
    const double md = static_cast<double>(m);
    const double lower = kPi * kPi / (8.0 * md * md);
    const double upper = 2.0 * kPi / md;
    EXPECT_NEAR(bounds::prop31_lower(m, 2), lower, 1e-12 * lower);
    EXPECT_NEAR(bounds::prop31_upper(m, 2), upper, 1e-12 * upper);
  }
}

TEST(Prop31, AnchorTableRowsToPrintedPrecision) {
  struct Row {
    std::int64_t d, m;
    double truth, lower, upper;
    double half_ulp;  // half a unit in the last printed decimal of lower/upper
  };
  const double leech = 0.5;
  const std::vector<Row> rows = {
      {3, 4, bounds::simplex_delta(4), 0.1666667, 2.0000000, 5e-8},
      {3, 12, bounds::icosahedron_delta(), 0.0555556, 1.1547005, 5e-8},
      {3, 24, 0.2769215, 0.0277778, 0.8164966, 5e-8},
      {3, 100, 0.0666149, 0.0066667, 0.4000000, 5e-8},
      {3, 130, 0.0517337, 0.0051282, 0.3508232, 5e-8},
      {2, 100, bounds::polygon_delta(100), 0.000123, 0.062832, 5e-7},
      {4, 120, bounds::cell600_delta(), 0.022925, 0.679803, 5e-7},
      {4, 24, bounds::cell24_delta(), 0.067032, 1.162447, 5e-7},
      {8, 240, bounds::e8_delta(), 0.100013, 1.203886, 5e-7},
      {24, 196560, leech, 0.163293, 1.312314, 5e-7},
      {8, 16, bounds::cross_polytope_delta(), 0.216811, 1.772549, 5e-7},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE("d=" + std::to_string(r.d) + " M=" + std::to_string(r.m));
    const double lower = bounds::prop31_lower(r.m, r.d);
    const double upper = bounds::prop31_upper(r.m, r.d);
    EXPECT_NEAR(lower, r.lower, r.half_ulp);
    EXPECT_NEAR(upper, r.upper, r.half_ulp);
    EXPECT_LE(lower, r.truth);
    EXPECT_LE(r.truth, upper);
  }
}

TEST(Prop31, LargeArgumentsStayFinite) {
  // Γ(d/2) alone overflows near d = 343; the lgamma form does not.
  const double lower = bounds::prop31_lower(std::int64_t{1} << 62, 2000);
  const double upper = bounds::prop31_upper(std::int64_t{1} << 62, 2000);
  EXPECT_TRUE(std::isfinite(lower));
  EXPECT_GT(lower, 0.0);
  EXPECT_TRUE(std::isfinite(upper));
  EXPECT_LT(lower, upper);
}

// One row of shared/spherical-codes/tammes_dim3_best_known.csv.
struct TammesRow {
  std::int64_t n;
  double angle_deg, prop31_lower, prop31_upper, fejes_toth_deg;
};

std::vector<TammesRow> read_tammes_csv(const std::filesystem::path& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in.good()) << "cannot open " << file;
  std::vector<TammesRow> rows;
  std::map<std::string, std::size_t> column;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    if (column.empty()) {
      for (std::size_t k = 0; k < cells.size(); ++k) column[cells[k]] = k;
      continue;
    }
    auto num = [&](const char* name) { return std::stod(cells.at(column.at(name))); };
    rows.push_back({static_cast<std::int64_t>(num("N")), num("table_angle_deg"),
                    num("prop31_lower_d3"), num("prop31_upper_d3"),
                    num("fejes_toth_upper_deg")});
  }
  return rows;
}

TEST(Prop31, BracketsEverySloaneTammesCode) {
  HOPCAP_REQUIRE_SHARED(shared);
  const auto rows = read_tammes_csv(shared / "spherical-codes" / "tammes_dim3_best_known.csv");
  ASSERT_EQ(rows.size(), 128u);  // N = 3..130
  for (const TammesRow& r : rows) {
    SCOPED_TRACE("N=" + std::to_string(r.n));
    const double delta = 1.0 - std::cos(radians(r.angle_deg));
    const double lower = bounds::prop31_lower(r.n, 3);
    const double upper = bounds::prop31_upper(r.n, 3);
    EXPECT_LE(lower, delta);
    EXPECT_LE(delta, upper);
    // The file prints the bounds with 10 decimals.
    EXPECT_NEAR(lower, r.prop31_lower, 5e-11);
    EXPECT_NEAR(upper, r.prop31_upper, 5e-11);
  }
}

TEST(FejesToth, MatchesTheTableAndBoundsEverySloaneCode) {
  HOPCAP_REQUIRE_SHARED(shared);
  const auto rows = read_tammes_csv(shared / "spherical-codes" / "tammes_dim3_best_known.csv");
  ASSERT_FALSE(rows.empty());
  for (const TammesRow& r : rows) {
    SCOPED_TRACE("N=" + std::to_string(r.n));
    const double bound_deg = degrees(bounds::fejes_toth_max_angle(r.n));
    EXPECT_NEAR(bound_deg, r.fejes_toth_deg, 5e-8);  // 7 decimals in the file
    EXPECT_LE(r.angle_deg, bound_deg + 5e-8);
  }
}

TEST(FejesToth, EqualityCases) {
  EXPECT_NEAR(degrees(bounds::fejes_toth_max_angle(3)), 120.0, 1e-12);
  EXPECT_NEAR(degrees(bounds::fejes_toth_max_angle(4)), 109.4712206, 5e-8);
  EXPECT_NEAR(bounds::fejes_toth_max_angle(4), std::acos(-1.0 / 3.0), 1e-14);
  EXPECT_NEAR(degrees(bounds::fejes_toth_max_angle(6)), 90.0, 1e-12);
  EXPECT_NEAR(degrees(bounds::fejes_toth_max_angle(12)), 63.4349488, 5e-8);
  EXPECT_NEAR(bounds::fejes_toth_max_angle(12), std::acos(1.0 / std::sqrt(5.0)), 1e-14);
  EXPECT_THROW(bounds::fejes_toth_max_angle(2), ConfigError);
}

TEST(Csw, CapFractionClosedForms) {
  for (double deg = 0.0; deg <= 180.0; deg += 7.5) {
    const double t = radians(deg);
    SCOPED_TRACE("theta=" + std::to_string(deg));
    EXPECT_NEAR(bounds::cap_fraction(2, t), t / kPi, 1e-15);
    EXPECT_NEAR(bounds::cap_fraction(3, t), (1.0 - std::cos(t)) / 2.0, 1e-15);
    // ∫ sin² = (t − sin t cos t)/2 with C_4 = 2/π; ∫ sin³ = 2/3 − cos t + cos³t/3 with C_5 = 3/4.
    EXPECT_NEAR(bounds::cap_fraction(4, t), (t - std::sin(t) * std::cos(t)) / kPi, 1e-14);
    const double c = std::cos(t);
    EXPECT_NEAR(bounds::cap_fraction(5, t), 0.5 - 0.75 * c + 0.25 * c * c * c, 1e-14);
  }
}

TEST(Csw, CapFractionSymmetriesInHighDimension) {
  for (std::int64_t n : {4, 7, 24, 100, 1000, 10000}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    EXPECT_NEAR(bounds::cap_fraction(n, kPi / 2), 0.5, 1e-13);
    EXPECT_NEAR(bounds::cap_fraction(n, kPi), 1.0, 1e-13);
    for (double deg : {20.0, 60.0, 85.0}) {
      const double t = radians(deg);
      EXPECT_NEAR(bounds::cap_fraction(n, t) + bounds::cap_fraction(n, kPi - t), 1.0, 1e-13);
    }
  }
}

TEST(Csw, AnchorCounts) {
  EXPECT_NEAR(bounds::csw_count(3, radians(60)), 4.0, 1e-12);
  EXPECT_NEAR(bounds::csw_count(4, radians(60)), 5.1151, 5e-5);
  EXPECT_NEAR(bounds::csw_count(8, radians(60)), 11.7322, 5e-5);
  EXPECT_NEAR(bounds::csw_count(24, radians(60)), 183.108, 5e-4);
  EXPECT_NEAR(bounds::csw_count(16, radians(45)), 1331.76, 5e-3);
  EXPECT_NEAR(bounds::csw_log2_count(24, radians(60)), std::log2(bounds::csw_count(24, radians(60))),
              1e-12);
}

TEST(Csw, WynerAsymptoticsAndRate) {
  // 1/μ_n(θ) ≈ sqrt(2πn) cos θ / sin^{n−1} θ; the ratio tends to 1 from above like 1 + O(1/n).
  const double t = radians(60);
  double previous = 2.0;
  for (std::int64_t n : {100, 1000, 10000, 100000}) {
    const double nd = static_cast<double>(n);
    const double log2_wyner = 0.5 * std::log2(2 * kPi * nd) + std::log2(std::cos(t)) -
                              (nd - 1.0) * std::log2(std::sin(t));
    const double ratio = std::exp2(bounds::csw_log2_count(n, t) - log2_wyner);
    EXPECT_GT(ratio, 1.0);
    EXPECT_LT(ratio, previous);
    EXPECT_LT(ratio - 1.0, 3.0 / nd);
    previous = ratio;
  }
  // Where μ underflows, the log form still gives the rate: (1/n) log2 A → −log2 sin θ.
  const std::int64_t n = 200000;
  const double t10 = radians(10);
  EXPECT_EQ(bounds::cap_fraction(n, t10), 0.0);
  const double rate = bounds::csw_log2_count(n, t10) / static_cast<double>(n);
  EXPECT_NEAR(rate, bounds::csw_rate(t10), 1e-4);
  EXPECT_GT(rate, bounds::csw_rate(t10));
}

TEST(Rates, AnchorTableToFiveDecimals) {
  struct Row {
    double deg, csw, kl_combined, kl, levenshtein, rankin;  // levenshtein < 0: invalid
  };
  const std::vector<Row> rows = {
      {10, 2.52576, 2.92126, 2.96114, 2.92126, 3.02026},
      {30, 1.00000, 1.35098, 1.37744, 1.35098, 1.44998},
      {45, 0.50000, 0.78678, 0.79825, 0.78678, 0.88578},
      {60, 0.20752, 0.40100, 0.40141, 0.40100, 0.50000},
      {62.9974, 0.16653, 0.33755, 0.33750, 0.33755, 0.43655},
      {70, 0.08974, 0.20625, 0.20625, -1, 0.30194},
      {80, 0.02209, 0.06531, 0.06531, -1, 0.13759},
  };
  constexpr double kHalfUlp = 5e-6;
  for (const Row& r : rows) {
    SCOPED_TRACE("theta=" + std::to_string(r.deg));
    const double t = radians(r.deg);
    EXPECT_NEAR(bounds::csw_rate(t), r.csw, kHalfUlp);
    EXPECT_NEAR(bounds::kl_combined_rate(t), r.kl_combined, kHalfUlp);
    EXPECT_NEAR(bounds::kl_rate(t), r.kl, kHalfUlp);
    if (r.levenshtein >= 0) {
      EXPECT_NEAR(bounds::levenshtein_rate(t), r.levenshtein, kHalfUlp);
    } else {
      EXPECT_THROW(bounds::levenshtein_rate(t), ConfigError);
    }
    EXPECT_NEAR(bounds::rankin_rate(t), r.rankin, kHalfUlp);
    // Lower bound below upper bound everywhere.
    EXPECT_LT(bounds::csw_rate(t), bounds::kl_combined_rate(t));
  }
  // 62.9974° is the last angle where the refinement is used (inclusive).
  EXPECT_EQ(bounds::kl_combined_rate(bounds::levenshtein_theta_max),
            bounds::levenshtein_rate(bounds::levenshtein_theta_max));
  EXPECT_EQ(bounds::kl_combined_rate(radians(63.0)), bounds::kl_rate(radians(63.0)));
}

TEST(Rankin, FloorOfOneMinusInverseCosine) {
  EXPECT_EQ(bounds::rankin_max_points_cos(10, -1.0 / 3.0), 4);
  EXPECT_EQ(bounds::rankin_max_points_cos(2, -1.0 / 3.0), 3);  // capped by n + 1
  EXPECT_EQ(bounds::rankin_max_points_cos(10, -0.5), 3);
  EXPECT_EQ(bounds::rankin_max_points_cos(10, -1.0), 2);
  EXPECT_EQ(bounds::rankin_max_points_cos(10, -0.34), 3);  // 1 + 2.94...
  EXPECT_EQ(bounds::rankin_max_points_cos(100, -0.3), 4);  // 1 + 3.33...
  EXPECT_EQ(bounds::rankin_max_points_cos(10, 0.0), 20);
  for (std::int64_t n = 1; n <= 60; ++n) {
    // The simplex attains c = −1/n with n + 1 points.
    EXPECT_EQ(bounds::rankin_max_points_cos(n, -1.0 / static_cast<double>(n)), n + 1);
    EXPECT_EQ(bounds::rankin_max_points(n, kPi / 2), 2 * n);
    EXPECT_EQ(bounds::rankin_max_points(n, radians(90)), 2 * n);
    EXPECT_EQ(bounds::rankin_max_points(n, std::acos(-1.0 / static_cast<double>(n))), n + 1);
  }
  EXPECT_EQ(bounds::rankin_max_points(3, std::acos(-1.0 / 3.0)), 4);
  EXPECT_EQ(bounds::rankin_max_points(5, radians(120)), 3);
  EXPECT_EQ(bounds::rankin_max_points(5, kPi), 2);
  EXPECT_THROW(bounds::rankin_max_points(3, radians(80)), ConfigError);
  EXPECT_THROW(bounds::rankin_max_points(3, -2.0), ConfigError);
  EXPECT_THROW(bounds::rankin_max_points_cos(3, 0.2), ConfigError);
  EXPECT_THROW(bounds::rankin_max_points_cos(0, -0.5), ConfigError);
}

TEST(ExactCodes, ClosedFormSeparations) {
  for (std::int64_t m = 2; m <= 50; ++m) {
    const double md = static_cast<double>(m);
    EXPECT_NEAR(bounds::simplex_delta(m), 1.0 + 1.0 / (md - 1.0), 1e-15);
    EXPECT_NEAR(bounds::polygon_delta(m), 1.0 - std::cos(2 * kPi / md), 1e-14);
  }
  EXPECT_NEAR(bounds::polygon_delta(4), 1.0, 1e-15);
  EXPECT_NEAR(bounds::polygon_delta(6), 0.5, 1e-15);
  EXPECT_NEAR(bounds::polygon_delta(100), 0.0019733, 5e-8);
  EXPECT_EQ(bounds::cross_polytope_delta(), 1.0);
  EXPECT_NEAR(bounds::icosahedron_delta(), 0.5527864, 5e-8);
  EXPECT_EQ(bounds::cell24_delta(), 0.5);
  EXPECT_EQ(bounds::e8_delta(), 0.5);
  EXPECT_NEAR(bounds::cell600_delta(), 1.0 - std::cos(radians(36)), 1e-15);
  EXPECT_NEAR(bounds::cell600_delta(), 0.1909830, 5e-8);
  // Rankin: the simplex is the best code for M ≤ d + 1; Prop 3.1 brackets it.
  for (std::int64_t d = 2; d <= 30; ++d) {
    EXPECT_LE(bounds::prop31_lower(d + 1, d), bounds::simplex_delta(d + 1));
    EXPECT_LE(bounds::prop31_lower(2 * d, d), bounds::cross_polytope_delta());
  }
}

TEST(Bounds, RejectInvalidArguments) {
  EXPECT_THROW(bounds::prop31_lower(0, 3), ConfigError);
  EXPECT_THROW(bounds::prop31_upper(10, 1), ConfigError);
  EXPECT_THROW(bounds::cap_fraction(1, 0.5), ConfigError);
  EXPECT_THROW(bounds::cap_fraction(3, 4.0), ConfigError);
  EXPECT_THROW(bounds::csw_count(3, 0.0), ConfigError);
  EXPECT_THROW(bounds::csw_rate(radians(100)), ConfigError);
  EXPECT_THROW(bounds::kl_rate(0.0), ConfigError);
  EXPECT_THROW(bounds::kl_rate(kPi / 2), ConfigError);
  EXPECT_THROW(bounds::levenshtein_rate(radians(63)), ConfigError);
  EXPECT_THROW(bounds::rankin_rate(kPi / 2), ConfigError);
  EXPECT_THROW(bounds::simplex_delta(1), ConfigError);
  EXPECT_THROW(bounds::polygon_delta(1), ConfigError);
}

}  // namespace
}  // namespace hopcap
