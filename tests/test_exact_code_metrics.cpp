// The separation metrics module applied to exact spherical codes: closed forms to 1e-12, and
// Sloane's best-known packings on S² (read from ../shared) against his table of angles.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>
#include <string>

#include "hopcap/codes.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "test_support.hpp"

namespace hopcap {
namespace {

namespace fs = std::filesystem;
using kernels::separation_report;
using kernels::SeparationReport;
using namespace codes;

constexpr double kTol = 1e-12;

double degrees(double radians) { return radians * 180.0 / std::numbers::pi; }

// Every exact code here has unit rows, so raw Δ_min = 1 − s_max = Δ_min on the sphere.
void expect_delta(const Matrix& code, double delta, double tol = kTol) {
  const SeparationReport r = separation_report(code);
  EXPECT_NEAR(r.delta_min_sphere, delta, tol);
  EXPECT_NEAR(r.raw_delta_min, delta, tol);
  EXPECT_NEAR(r.max_cos, 1.0 - delta, tol);
  EXPECT_NEAR(r.min_angle_deg, degrees(std::acos(1.0 - delta)), 1e-9);
}

TEST(ExactCodeMetrics, SimplexSeparationIsMOverMMinusOne) {
  for (std::int64_t m : {2, 3, 4, 5, 7, 11, 33, 65}) {
    SCOPED_TRACE(m);
    expect_delta(regular_simplex(m), static_cast<double>(m) / static_cast<double>(m - 1));
  }
  // The tetrahedral angle, a published constant.
  EXPECT_NEAR(separation_report(regular_simplex(4)).min_angle_deg, 109.47122063449069, 1e-9);
}

TEST(ExactCodeMetrics, CrossPolytopeSeparationIsOne) {
  for (std::int64_t d : {2, 3, 4, 7, 16, 33}) {
    SCOPED_TRACE(d);
    expect_delta(cross_polytope(d), 1.0);
  }
}

TEST(ExactCodeMetrics, PolygonSeparationIsOneMinusCosOfTheCentralAngle) {
  for (std::int64_t m : {3, 5, 8, 12, 100}) {
    SCOPED_TRACE(m);
    expect_delta(regular_polygon(m), 1.0 - std::cos(2.0 * std::numbers::pi / static_cast<double>(m)));
  }
}

TEST(ExactCodeMetrics, IcosahedronSeparationIsOneMinusInverseSqrtFive) {
  expect_delta(icosahedron(), 1.0 - 1.0 / std::sqrt(5.0));
  EXPECT_NEAR(separation_report(icosahedron()).min_angle_deg, 63.43494882292201, 1e-9);
}

TEST(ExactCodeMetrics, Cell24AndE8SeparationIsOneHalf) {
  expect_delta(cell24(), 0.5);
  expect_delta(e8_roots(), 0.5);
  EXPECT_EQ(e8_roots().rows, 240);
}

TEST(ExactCodeMetrics, Cell600HasCos36GeneratedAndFromTheSharedFile) {
  const double cos36 = (1.0 + std::sqrt(5.0)) / 4.0;  // cos 36° = φ/2
  expect_delta(cell600(), 1.0 - cos36);
  EXPECT_NEAR(separation_report(cell600()).min_angle_deg, 36.0, 1e-9);

  HOPCAP_REQUIRE_SHARED(shared);
  const Matrix from_file = io::load_text(shared / "spherical-codes" / "dim4" / "600cell.4.120.txt");
  ASSERT_EQ(from_file.rows, 120);
  ASSERT_EQ(from_file.cols, 4);
  expect_delta(from_file, 1.0 - cos36);
}

// ------------------------------------------------------------------ Sloane's d = 3 packings

std::map<std::int64_t, double> tammes_table(const fs::path& csv) {
  std::ifstream in(csv);
  std::map<std::int64_t, double> angles;
  std::string line;
  bool header_seen = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (!header_seen) {  // column names
      header_seen = true;
      continue;
    }
    std::stringstream fields(line);
    std::string n;
    std::string angle;
    std::getline(fields, n, ',');
    std::getline(fields, angle, ',');
    angles[std::stoll(n)] = std::stod(angle);
  }
  return angles;
}

TEST(ExactCodeMetrics, SloanePack24HasTheTabulatedAngle) {
  HOPCAP_REQUIRE_SHARED(shared);
  const Matrix m = io::load_text(shared / "spherical-codes" / "sloane-dim3" / "pack.3.24.txt");
  ASSERT_EQ(m.rows, 24);
  EXPECT_NEAR(separation_report(m).min_angle_deg, 43.6907671, 1e-6);
}

TEST(ExactCodeMetrics, EverySloaneDim3CodeMatchesTheTableExceptN124) {
  HOPCAP_REQUIRE_SHARED(shared);
  const fs::path codes = shared / "spherical-codes";
  const auto table = tammes_table(codes / "tammes_dim3_best_known.csv");
  ASSERT_GE(table.size(), 127u);
  int checked = 0;
  for (std::int64_t n = 4; n <= 130; ++n) {
    const fs::path file = codes / "sloane-dim3" / ("pack.3." + std::to_string(n) + ".txt");
    ASSERT_TRUE(fs::exists(file)) << file;
    if (n == 124) continue;  // the integer-format file is known to fall short of the table value
    ASSERT_TRUE(table.count(n)) << "N=" << n << " missing from the table";
    const SeparationReport r = separation_report(io::load_text(file));
    EXPECT_EQ(r.m, n);
    EXPECT_NEAR(r.min_angle_deg, table.at(n), 1e-6) << file;
    ++checked;
  }
  EXPECT_EQ(checked, 126);
}

}  // namespace
}  // namespace hopcap
