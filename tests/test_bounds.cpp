// Closed-form bounds: Prop 3.1, CSW, KL/Levenshtein, Rankin, Fejes Tóth and exact-code Δ,
// against closed forms, the anchor tables and Sloane's best-known Tammes codes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <algorithm>
#include <fstream>
#include <limits>
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

// ---- Levenshtein's universal bound ----------------------------------------------------------

double levenshtein_count(std::int64_t n, double s) {
  return std::exp2(bounds::levenshtein_log2_count(n, std::acos(s)));
}

TEST(Levenshtein, LowDegreePiecesAreTheClosedForms) {
  for (std::int64_t n = 2; n <= 30; ++n) {
    SCOPED_TRACE("n=" + std::to_string(n));
    const double nd = static_cast<double>(n);
    // L_1 = 1 − 1/s on [−1, −1/n] (Rankin's simplex bound).
    for (double s : {-1.0, -0.75, -0.5, -1.0 / nd - 1e-9}) {
      if (s > -1.0 / nd) continue;
      EXPECT_NEAR(levenshtein_count(n, s), 1.0 - 1.0 / s, 1e-9 * (1.0 - 1.0 / s));
      EXPECT_EQ(bounds::levenshtein_degree(n, std::acos(s)), 1);
    }
    // L_2 = 2n(1−s)/(1−ns) on [−1/n, 0]: 2n at s = 0 (the cross-polytope).
    for (double f : {0.9, 0.5, 0.1, 0.0}) {
      const double s = -f / nd;
      const double expected = 2.0 * nd * (1.0 - s) / (1.0 - nd * s);
      EXPECT_NEAR(levenshtein_count(n, s), expected, 1e-9 * expected);
      // s = 0 is the switch to L_3, whose value agrees there.
      if (f > 0.0) {
        EXPECT_EQ(bounds::levenshtein_degree(n, std::acos(s)), 2);
      }
    }
    // L_3 = n(1−s)(2+(n+1)s)/(1−ns²) on [0, (√(n+3) − 1)/(n+2)].
    const double t2 = (std::sqrt(nd + 3.0) - 1.0) / (nd + 2.0);
    for (double f : {0.1, 0.5, 0.9}) {
      const double s = f * t2;
      const double expected = nd * (1.0 - s) * (2.0 + (nd + 1.0) * s) / (1.0 - nd * s * s);
      EXPECT_NEAR(levenshtein_count(n, s), expected, 1e-9 * expected);
      EXPECT_EQ(bounds::levenshtein_degree(n, std::acos(s)), 3);
    }
  }
}

TEST(Levenshtein, AttainedByTightDesigns) {
  // Tight spherical designs attain the bound: E8 and Leech roots (kissing 240 and 196560),
  // the icosahedron, the 27 lines of E6 (n = 6, s = 1/4), the 275 of McLaughlin's graph
  // (n = 22, s = 1/6), the 56 and 552 points of tight 5-designs (n = 7, 23) and the 4600 of
  // the tight 7-design in n = 23; in the plane the regular polygon.
  struct Case {
    std::int64_t n;
    double s;
    double count;
  };
  const std::vector<Case> cases = {
      {8, 0.5, 240},           {24, 0.5, 196560},         {3, 1.0 / std::sqrt(5.0), 12},
      {6, 0.25, 27},           {22, 1.0 / 6.0, 275},      {7, 1.0 / 3.0, 56},
      {23, 0.2, 552},          {23, 1.0 / 3.0, 4600},     {2, std::cos(2.0 * kPi / 7.0), 7},
      {2, std::cos(2.0 * kPi / 40.0), 40},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("n=" + std::to_string(c.n) + " s=" + std::to_string(c.s));
    EXPECT_NEAR(levenshtein_count(c.n, c.s), c.count, 1e-9 * c.count);
    // The inverted bound gives back the code's angle.
    const double angle = bounds::levenshtein_upper_angle(c.n, static_cast<std::int64_t>(c.count));
    EXPECT_NEAR(angle, std::acos(c.s), 1e-9);
    EXPECT_GE(angle, std::acos(c.s) - 1e-15);
  }
}

TEST(Levenshtein, ContinuousAcrossPiecesAndIncreasingInCosine) {
  for (std::int64_t n : {2, 3, 4, 5, 8, 16, 24, 100, 1000}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    double previous_s = -1.0;
    // log2 L: L itself overflows for n = 1000 near s = 1.
    const auto log2_bound = [n](double s) { return bounds::levenshtein_log2_count(n, std::acos(s)); };
    double previous = log2_bound(-1.0);
    EXPECT_NEAR(previous, 1.0, 1e-9);
    std::int64_t previous_degree = bounds::levenshtein_degree(n, kPi);
    int switches = 0;
    for (int i = 1; i <= 400; ++i) {
      const double s = -1.0 + 1.98 * i / 400.0;
      const double value = log2_bound(s);
      EXPECT_GE(value, previous - 1e-12) << "s=" << s;
      const std::int64_t degree = bounds::levenshtein_degree(n, std::acos(s));
      if (degree != previous_degree) {
        // Locate the switch and compare the two pieces there.
        double lo = previous_s, hi = s;
        for (int k = 0; k < 60; ++k) {
          const double mid = 0.5 * (lo + hi);
          (bounds::levenshtein_degree(n, std::acos(mid)) == previous_degree ? lo : hi) = mid;
        }
        const double left = log2_bound(lo), right = log2_bound(hi);
        EXPECT_NEAR(left, right, 1e-6 * std::max(1.0, right))
            << "at the switch " << previous_degree << " -> " << degree;
        EXPECT_GT(degree, previous_degree);
        ++switches;
      }
      previous_s = s;
      previous = value;
      previous_degree = degree;
    }
    EXPECT_GE(switches, 2);
  }
}

TEST(Levenshtein, BoundsEverySloaneTammesCode) {
  HOPCAP_REQUIRE_SHARED(shared);
  const auto rows = read_tammes_csv(shared / "spherical-codes" / "tammes_dim3_best_known.csv");
  ASSERT_EQ(rows.size(), 128u);
  for (const TammesRow& r : rows) {
    SCOPED_TRACE("N=" + std::to_string(r.n));
    // A(3, θ) ≥ N at the code's own angle (7 printed decimals: step down half a unit).
    const double t = radians(r.angle_deg - 5e-8);
    EXPECT_GE(std::exp2(bounds::levenshtein_log2_count(3, t)), static_cast<double>(r.n));
    const bounds::OptimalAngleBounds b = bounds::optimal_angle_bounds(3, r.n);
    EXPECT_LE(radians(r.angle_deg - 5e-8), b.best_upper);
    EXPECT_LE(radians(r.angle_deg - 5e-8), b.levenshtein_upper);
    EXPECT_LE(radians(r.angle_deg - 5e-8), b.fejes_toth_upper);
  }
}

// ---- Bounds on the optimal minimal angle θ*(n, M) ---------------------------------------------

TEST(OptimalAngle, CswLowerInvertsTheCapAreaInTwoAndThreeDimensions) {
  for (std::int64_t m = 2; m <= 2000; m = m * 3 / 2 + 1) {
    SCOPED_TRACE("M=" + std::to_string(m));
    const double md = static_cast<double>(m);
    // n = 3: 1/μ = 2/(1 − cos θ) ≥ M up to Δ = 2/M; n = 2: π/θ ≥ M up to θ = π/M.
    EXPECT_NEAR(bounds::csw_lower_angle(3, m), std::acos(1.0 - 2.0 / md), 1e-12);
    EXPECT_NEAR(bounds::separation_of_angle(bounds::csw_lower_angle(3, m)), 2.0 / md, 1e-12 / md);
    EXPECT_NEAR(bounds::csw_lower_angle(2, m), kPi / md, 1e-13);
    // Three times Prop 3.1's 2/(3M).
    const bounds::OptimalAngleBounds b = bounds::optimal_angle_bounds(3, m);
    EXPECT_NEAR(bounds::separation_of_angle(b.csw_lower) / bounds::separation_of_angle(b.prop31_lower),
                3.0, 1e-9);
    EXPECT_STREQ(b.best_lower_name, "csw_lower");
  }
}

TEST(OptimalAngle, RankinUpperIsTheSimplexThenNinetyDegrees) {
  for (std::int64_t n = 1; n <= 20; ++n) {
    for (std::int64_t m = 2; m <= 3 * n + 2; ++m) {
      const double expected = m <= n + 1 ? std::acos(-1.0 / static_cast<double>(m - 1)) : kPi / 2;
      EXPECT_DOUBLE_EQ(bounds::rankin_upper_angle(n, m), expected) << n << " " << m;
    }
  }
  // Where Rankin is exact (simplex, cross-polytope), Levenshtein's L_1 and L_2 give the same.
  for (std::int64_t n = 2; n <= 12; ++n) {
    for (std::int64_t m = 2; m <= n + 1; ++m) {
      EXPECT_NEAR(bounds::levenshtein_upper_angle(n, m), bounds::rankin_upper_angle(n, m), 1e-9);
    }
    EXPECT_NEAR(bounds::levenshtein_upper_angle(n, 2 * n), kPi / 2, 1e-9);
  }
}

TEST(OptimalAngle, IntervalsContainTheProvenOptimalCodes) {
  struct Known {
    std::int64_t n, m;
    double angle;
  };
  std::vector<Known> known = {
      {3, 12, std::acos(1.0 / std::sqrt(5.0))}, {4, 120, radians(36)}, {8, 240, radians(60)},
      {24, 196560, radians(60)},                {3, 4, std::acos(-1.0 / 3.0)},
      {3, 6, kPi / 2},                          {3, 9, std::acos(1.0 / 3.0)},
  };
  for (std::int64_t n = 2; n <= 12; ++n) {
    known.push_back({n, n + 1, std::acos(-1.0 / static_cast<double>(n))});  // simplex
    known.push_back({n, 2 * n, kPi / 2});                                   // cross-polytope
  }
  for (std::int64_t m = 3; m <= 30; ++m) known.push_back({2, m, 2.0 * kPi / static_cast<double>(m)});
  for (const Known& k : known) {
    SCOPED_TRACE("n=" + std::to_string(k.n) + " M=" + std::to_string(k.m));
    const bounds::OptimalAngleBounds b = bounds::optimal_angle_bounds(k.n, k.m);
    constexpr double slack = 1e-12;
    EXPECT_LE(b.csw_lower, k.angle + slack);
    EXPECT_LE(b.prop31_lower, k.angle + slack);
    EXPECT_GE(b.levenshtein_upper, k.angle - slack);
    EXPECT_GE(b.rankin_upper, k.angle - slack);
    EXPECT_GE(b.prop31_upper, k.angle - slack);
    if (k.n == 3 && k.m >= 3) {
      EXPECT_GE(b.fejes_toth_upper, k.angle - slack);
    }
    EXPECT_LE(b.best_lower, k.angle + slack);
    EXPECT_GE(b.best_upper, k.angle - slack);
  }
}

TEST(OptimalAngle, BestBoundsAreTheExtremesAndCswBeatsProp31) {
  for (std::int64_t n : {2, 3, 4, 6, 8, 16, 32, 64, 128, 1000}) {
    for (double mm = 2.0; mm < 1e9; mm *= 7.3) {
      const auto m = static_cast<std::int64_t>(mm);
      SCOPED_TRACE("n=" + std::to_string(n) + " M=" + std::to_string(m));
      const bounds::OptimalAngleBounds b = bounds::optimal_angle_bounds(n, m);
      EXPECT_DOUBLE_EQ(b.best_lower, std::max(b.csw_lower, b.prop31_lower));
      double upper = std::min({b.levenshtein_upper, b.rankin_upper, b.prop31_upper});
      if (n == 3 && m >= 3) upper = std::min(upper, b.fejes_toth_upper);
      EXPECT_DOUBLE_EQ(b.best_upper, upper);
      EXPECT_LE(b.best_lower, b.best_upper);
      // CSW's separation is at least 1.3 times Prop 3.1's over this range (3 at n = 3).
      EXPECT_GE(bounds::separation_of_angle(b.csw_lower), 1.3 * bounds::separation_of_angle(b.prop31_lower));
      EXPECT_EQ(std::isnan(b.fejes_toth_upper), !(n == 3 && m >= 3));
      if (b.best_lower < kPi / 2) {
        EXPECT_DOUBLE_EQ(b.kl_asymptotic_rate, bounds::kl_combined_rate(b.best_lower));
      } else {
        EXPECT_TRUE(std::isnan(b.kl_asymptotic_rate));
      }
    }
  }
  EXPECT_THROW(bounds::optimal_angle_bounds(3, 1), ConfigError);
  EXPECT_THROW(bounds::optimal_angle_bounds(1, 5), ConfigError);
  EXPECT_THROW(bounds::levenshtein_log2_count(3, 0.0), ConfigError);
  EXPECT_THROW(bounds::levenshtein_log2_count(1, 1.0), ConfigError);
}

TEST(OptimalAngle, ExtremeSizesStayFiniteAndOrdered) {
  // Large n: the Jacobi values fall like s^k and are rescaled instead of underflowing. Huge M in
  // n = 3: Fejes Tóth's angle ≈ sqrt(8π/(√3 M)) keeps its accuracy.
  struct Case {
    std::int64_t n, m;
  };
  for (const Case c : {Case{100000, 1000000}, Case{1000000, 1000000000000000000},
                       Case{2147483647, 1000000000000000000}, Case{3, 9223372036854775807},
                       Case{2, 1000000000000}}) {
    SCOPED_TRACE("n=" + std::to_string(c.n) + " M=" + std::to_string(c.m));
    const bounds::OptimalAngleBounds b = bounds::optimal_angle_bounds(c.n, c.m);
    EXPECT_GT(b.best_lower, 0.0);
    EXPECT_LE(b.best_lower, b.best_upper);
    EXPECT_LE(b.csw_lower, b.levenshtein_upper);
    EXPECT_TRUE(std::isfinite(b.levenshtein_upper));
  }
  const double md = 9223372036854775807.0;
  EXPECT_NEAR(bounds::fejes_toth_max_angle(9223372036854775807),
              std::sqrt(8.0 * kPi / (std::sqrt(3.0) * md)), 1e-6 * std::sqrt(8.0 * kPi / (std::sqrt(3.0) * md)));
  // A simplex of M ≤ n + 1 points at huge n: Levenshtein's L_1 is exact.
  EXPECT_NEAR(bounds::levenshtein_upper_angle(100000000, 1000000), std::acos(-1.0 / 999999.0), 1e-12);
}

TEST(OptimalAngle, SeparationOfAngle) {
  for (double deg = 0.0; deg <= 180.0; deg += 3.0) {
    EXPECT_NEAR(bounds::separation_of_angle(radians(deg)), 1.0 - std::cos(radians(deg)), 1e-15);
  }
  EXPECT_TRUE(std::isnan(bounds::separation_of_angle(std::numeric_limits<double>::quiet_NaN())));
}

}  // namespace
}  // namespace hopcap
