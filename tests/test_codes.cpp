// Exact spherical codes: norms, Gram matrices against closed forms, group structure and
// agreement with Sloane's 600-cell table.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "hopcap/codes.hpp"
#include "hopcap/error.hpp"
#include "hopcap/memories.hpp"
#include "test_support.hpp"

namespace hopcap {
namespace {

double dot(const Matrix& a, std::int64_t i, std::int64_t j) {
  double s = 0.0;
  for (std::int64_t k = 0; k < a.cols; ++k) s += a(i, k) * a(j, k);
  return s;
}

// Largest cosine over all pairs i < j; antipodal pairs (cosine −1) count like any other.
double max_cosine(const Matrix& a) {
  double best = -std::numeric_limits<double>::infinity();
  for (std::int64_t i = 0; i < a.rows; ++i) {
    for (std::int64_t j = i + 1; j < a.rows; ++j) best = std::max(best, dot(a, i, j));
  }
  return best;
}

double min_angle_deg(const Matrix& a) {
  return std::acos(std::clamp(max_cosine(a), -1.0, 1.0)) * 180.0 / std::numbers::pi;
}

double min_distance(const Matrix& a) {
  double best = std::numeric_limits<double>::infinity();
  for (std::int64_t i = 0; i < a.rows; ++i) {
    for (std::int64_t j = i + 1; j < a.rows; ++j) {
      double s = 0.0;
      for (std::int64_t k = 0; k < a.cols; ++k) s += std::pow(a(i, k) - a(j, k), 2);
      best = std::min(best, std::sqrt(s));
    }
  }
  return best;
}

void expect_unit_rows(const Matrix& a, const std::string& what) {
  for (std::int64_t i = 0; i < a.rows; ++i) {
    EXPECT_NEAR(std::sqrt(dot(a, i, i)), 1.0, 1e-14) << what << " row " << i;
  }
}

// Distance from point p (length cols) to the nearest row of a.
double nearest_distance(const Matrix& a, const double* p) {
  double best = std::numeric_limits<double>::infinity();
  for (std::int64_t i = 0; i < a.rows; ++i) {
    double s = 0.0;
    for (std::int64_t k = 0; k < a.cols; ++k) s += std::pow(a(i, k) - p[k], 2);
    best = std::min(best, std::sqrt(s));
  }
  return best;
}

std::array<double, 4> quaternion_product(const double* p, const double* q) {
  return {p[0] * q[0] - p[1] * q[1] - p[2] * q[2] - p[3] * q[3],
          p[0] * q[1] + p[1] * q[0] + p[2] * q[3] - p[3] * q[2],
          p[0] * q[2] - p[1] * q[3] + p[2] * q[0] + p[3] * q[1],
          p[0] * q[3] + p[1] * q[2] - p[2] * q[1] + p[3] * q[0]};
}

TEST(Codes, EveryRowHasUnitNorm) {
  for (const std::int64_t m : {2, 3, 4, 7, 33}) {
    expect_unit_rows(codes::regular_simplex(m), "simplex " + std::to_string(m));
  }
  for (const std::int64_t d : {1, 2, 5}) {
    expect_unit_rows(codes::cross_polytope(d), "cross " + std::to_string(d));
  }
  for (const std::int64_t m : {2, 3, 6, 100}) {
    expect_unit_rows(codes::regular_polygon(m), "polygon " + std::to_string(m));
  }
  expect_unit_rows(codes::icosahedron(), "icosahedron");
  expect_unit_rows(codes::cell24(), "24-cell");
  expect_unit_rows(codes::e8_roots(), "E8");
  expect_unit_rows(codes::cell600(), "600-cell");
  expect_unit_rows(codes::generate("sphere:5,20,3"), "sphere");
}

TEST(Codes, SimplexGramIsMinusOneOverMMinusOne) {
  for (const std::int64_t m : {2, 3, 4, 7, 33}) {
    const Matrix s = codes::regular_simplex(m);
    ASSERT_EQ(s.rows, m);
    ASSERT_EQ(s.cols, m - 1);
    const double expected = -1.0 / static_cast<double>(m - 1);
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < m; ++j) {
        if (i == j) continue;
        EXPECT_NEAR(dot(s, i, j), expected, 1e-12) << "m=" << m << " pair " << i << "," << j;
      }
    }
  }
}

TEST(Codes, CrossPolytopeIsOrthogonalApartFromAntipodes) {
  for (const std::int64_t d : {1, 2, 5}) {
    const Matrix c = codes::cross_polytope(d);
    ASSERT_EQ(c.rows, 2 * d);
    ASSERT_EQ(c.cols, d);
    double max_off_antipodal = -2.0;
    int antipodes = 0;
    for (std::int64_t i = 0; i < c.rows; ++i) {
      for (std::int64_t j = i + 1; j < c.rows; ++j) {
        const double g = dot(c, i, j);
        if (std::abs(g + 1.0) < 1e-12) {
          ++antipodes;
        } else {
          EXPECT_NEAR(g, 0.0, 1e-12);
          max_off_antipodal = std::max(max_off_antipodal, g);
        }
      }
    }
    EXPECT_EQ(antipodes, d);
    if (d > 1) {
      EXPECT_NEAR(max_off_antipodal, 0.0, 1e-12);
    }
  }
}

TEST(Codes, PolygonMinimalAngleIs360OverM) {
  for (const std::int64_t m : {2, 3, 5, 6, 12, 100}) {
    const Matrix p = codes::regular_polygon(m);
    ASSERT_EQ(p.rows, m);
    ASSERT_EQ(p.cols, 2);
    const double expected_deg = 360.0 / static_cast<double>(m);
    EXPECT_NEAR(max_cosine(p), std::cos(expected_deg * std::numbers::pi / 180.0), 1e-12)
        << "m=" << m;
    EXPECT_NEAR(min_angle_deg(p), expected_deg, 1e-9) << "m=" << m;
  }
}

TEST(Codes, IcosahedronMaxCosineIsOneOverSqrt5) {
  const Matrix ico = codes::icosahedron();
  ASSERT_EQ(ico.rows, 12);
  ASSERT_EQ(ico.cols, 3);
  EXPECT_NEAR(max_cosine(ico), 1.0 / std::sqrt(5.0), 1e-12);
  EXPECT_GT(min_distance(ico), 0.5);
}

TEST(Codes, Cell24AndE8HaveMaxCosineOneHalf) {
  const Matrix c24 = codes::cell24();
  ASSERT_EQ(c24.rows, 24);
  ASSERT_EQ(c24.cols, 4);
  EXPECT_NEAR(max_cosine(c24), 0.5, 1e-12);
  EXPECT_GT(min_distance(c24), 0.5) << "duplicate points";

  const Matrix e8 = codes::e8_roots();
  ASSERT_EQ(e8.rows, 240);
  ASSERT_EQ(e8.cols, 8);
  EXPECT_NEAR(max_cosine(e8), 0.5, 1e-12);
  EXPECT_GT(min_distance(e8), 0.5) << "duplicate points";
}

TEST(Codes, Cell600HasCos36AndIsAGroup) {
  const Matrix c = codes::cell600();
  ASSERT_EQ(c.rows, 120);
  ASSERT_EQ(c.cols, 4);
  EXPECT_NEAR(max_cosine(c), (1.0 + std::sqrt(5.0)) / 4.0, 1e-12);
  EXPECT_NEAR(max_cosine(c), std::cos(std::numbers::pi / 5.0), 1e-12);
  EXPECT_GT(min_distance(c), 0.5) << "duplicate points";
  double worst = 0.0;
  for (std::int64_t i = 0; i < c.rows; ++i) {
    for (std::int64_t j = 0; j < c.rows; ++j) {
      const auto product = quaternion_product(c.row(i), c.row(j));
      worst = std::max(worst, nearest_distance(c, product.data()));
    }
  }
  EXPECT_LT(worst, 1e-12) << "the set is not closed under quaternion multiplication";
}

TEST(Codes, Cell600MatchesSloaneTable) {
  HOPCAP_REQUIRE_SHARED(shared);
  const auto path = shared / "spherical-codes" / "dim4" / "600cell.4.120.txt";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot open " << path;
  std::vector<double> values;
  for (double x = 0.0; in >> x;) values.push_back(x);
  ASSERT_TRUE(in.eof()) << "unparsed text in " << path;
  ASSERT_EQ(values.size(), 480u);
  Matrix table(120, 4);
  table.data = values;

  const Matrix generated = codes::cell600();
  for (std::int64_t i = 0; i < table.rows; ++i) {
    EXPECT_LT(nearest_distance(generated, table.row(i)), 1e-12) << "table point " << i;
  }
  for (std::int64_t i = 0; i < generated.rows; ++i) {
    EXPECT_LT(nearest_distance(table, generated.row(i)), 1e-12) << "generated point " << i;
  }
}

TEST(Codes, GenerateParsesSpecsWithDefaults) {
  const auto shape = [](const Matrix& a) { return std::array<std::int64_t, 2>{a.rows, a.cols}; };
  EXPECT_EQ(shape(codes::generate("simplex")), (std::array<std::int64_t, 2>{4, 3}));
  EXPECT_EQ(shape(codes::generate("simplex:7")), (std::array<std::int64_t, 2>{7, 6}));
  EXPECT_EQ(shape(codes::generate("cross")), (std::array<std::int64_t, 2>{6, 3}));
  EXPECT_EQ(shape(codes::generate("cross:5")), (std::array<std::int64_t, 2>{10, 5}));
  EXPECT_EQ(shape(codes::generate("polygon")), (std::array<std::int64_t, 2>{6, 2}));
  EXPECT_EQ(shape(codes::generate("polygon:9")), (std::array<std::int64_t, 2>{9, 2}));
  EXPECT_EQ(shape(codes::generate("icosahedron")), (std::array<std::int64_t, 2>{12, 3}));
  EXPECT_EQ(shape(codes::generate("24cell")), (std::array<std::int64_t, 2>{24, 4}));
  EXPECT_EQ(shape(codes::generate("e8")), (std::array<std::int64_t, 2>{240, 8}));
  EXPECT_EQ(shape(codes::generate("600cell")), (std::array<std::int64_t, 2>{120, 4}));
  EXPECT_EQ(codes::generate("simplex:5").data, codes::regular_simplex(5).data);
  EXPECT_EQ(codes::generate("sphere:5,20,3").data,
            generate_memories(Distribution::sphere, 5, 20, 3).data);
}

TEST(Codes, GenerateRejectsBadSpecsNamingThem) {
  for (const std::string spec :
       {"", "dodecahedron", "simplex:", "simplex:x", "simplex:1", "simplex:3.5", "cross:0",
        "polygon:-1", "e8:2", "600cell:1", "sphere", "sphere:3,4", "sphere:3,4,5,6",
        "sphere:0,4,1", "sphere:3,a,1"}) {
    try {
      codes::generate(spec);
      ADD_FAILURE() << "no error for '" << spec << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("'" + spec + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(Codes, DirectGeneratorsRejectTooFewPoints) {
  EXPECT_THROW(codes::regular_simplex(1), ConfigError);
  EXPECT_THROW(codes::cross_polytope(0), ConfigError);
  EXPECT_THROW(codes::regular_polygon(1), ConfigError);
}

}  // namespace
}  // namespace hopcap
