// Exact spherical codes: norms, Gram matrices against closed forms, group structure, design
// strength (Gegenbauer sums), agreement with Sloane's 600-cell table, and the upper bounds on
// θ*(n, M) that every code must respect.
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

#include "hopcap/bounds.hpp"
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

// ---- Root systems D_n, E6, E7 and the 120-cell -------------------------------------------------

// Every inner product of two rows lies within 1e-12 of one of `values`.
void expect_inner_products_in(const Matrix& a, const std::vector<double>& values) {
  for (std::int64_t i = 0; i < a.rows; ++i) {
    for (std::int64_t j = 0; j < a.rows; ++j) {
      const double c = dot(a, i, j);
      const bool found = std::any_of(values.begin(), values.end(),
                                     [c](double v) { return std::abs(c - v) < 1e-12; });
      if (!found) {
        ADD_FAILURE() << "inner product " << c << " of rows " << i << ", " << j;
        return;
      }
    }
  }
}

// Rows j ≠ i with ⟨x_i, x_j⟩ = c (to 1e-12), the same for every i, or −1 if it differs.
std::int64_t neighbours_at(const Matrix& a, double c) {
  std::int64_t common = -1;
  for (std::int64_t i = 0; i < a.rows; ++i) {
    std::int64_t count = 0;
    for (std::int64_t j = 0; j < a.rows; ++j) count += j != i && std::abs(dot(a, i, j) - c) < 1e-12 ? 1 : 0;
    if (common >= 0 && count != common) return -1;
    common = count;
  }
  return common;
}

// (1/M²) Σ_{i,j} G_k(⟨x_i, x_j⟩) with G_k the Gegenbauer polynomial C_k^λ, λ = (n−2)/2, normalised
// to G_k(1) = 1: zero for k = 1..t exactly when the rows form a spherical t-design, positive
// otherwise (G_k is a positive definite kernel on the sphere). Pre: n ≥ 3.
double gegenbauer_mean(const Matrix& a, int k) {
  const double lambda = 0.5 * static_cast<double>(a.cols - 2);
  const auto gegenbauer = [&](double x) {
    double previous = 1.0, current = 2.0 * lambda * x;
    double previous_one = 1.0, current_one = 2.0 * lambda;
    if (k == 0) return 1.0;
    for (int j = 2; j <= k; ++j) {
      const double next = (2.0 * x * (j + lambda - 1.0) * current - (j + 2.0 * lambda - 2.0) * previous) / j;
      const double next_one = (2.0 * (j + lambda - 1.0) * current_one - (j + 2.0 * lambda - 2.0) * previous_one) / j;
      previous = current;
      current = next;
      previous_one = current_one;
      current_one = next_one;
    }
    return current / current_one;
  };
  double sum = 0.0;
  for (std::int64_t i = 0; i < a.rows; ++i) {
    for (std::int64_t j = 0; j < a.rows; ++j) sum += gegenbauer(std::clamp(dot(a, i, j), -1.0, 1.0));
  }
  return sum / static_cast<double>(a.rows * a.rows);
}

// The rows form a t-design and not a (t+1)-design.
void expect_design_strength(const Matrix& a, int t, const std::string& what) {
  SCOPED_TRACE(what);
  for (int k = 1; k <= t; ++k) EXPECT_NEAR(gegenbauer_mean(a, k), 0.0, 1e-12) << "degree " << k;
  EXPECT_GT(gegenbauer_mean(a, t + 1), 1e-3) << "degree " << t + 1;
}

const std::vector<double> kRootInnerProducts = {-1.0, -0.5, 0.0, 0.5, 1.0};

TEST(Codes, DnRootsCountNormsAndInnerProducts) {
  for (std::int64_t n = 3; n <= 9; ++n) {
    SCOPED_TRACE("n=" + std::to_string(n));
    const Matrix a = codes::dn_roots(n);
    EXPECT_EQ(a.rows, 2 * n * (n - 1));
    EXPECT_EQ(a.cols, n);
    const std::string name = std::string("D").append(std::to_string(n));
    expect_unit_rows(a, name);
    EXPECT_NEAR(max_cosine(a), 0.5, 1e-15);
    EXPECT_NEAR(min_angle_deg(a), 60.0, 1e-12);
    expect_inner_products_in(a, kRootInnerProducts);
    // Each root has 2h − 4 = 4(n − 2) neighbours at 60° (h = 2n − 2, the Coxeter number).
    EXPECT_EQ(neighbours_at(a, 0.5), 4 * (n - 2));
    EXPECT_EQ(neighbours_at(a, -1.0), 1);
  }
  // Root systems are 3-designs; D4 (the 24-cell) is a 5-design.
  expect_design_strength(codes::dn_roots(5), 3, "D5");
  expect_design_strength(codes::dn_roots(7), 3, "D7");
  expect_design_strength(codes::dn_roots(4), 5, "D4");
  // D4 is the 24-cell, point for point.
  const Matrix d4 = codes::dn_roots(4);
  const Matrix c24 = codes::cell24();
  for (std::int64_t i = 0; i < c24.rows; ++i) EXPECT_LT(nearest_distance(d4, c24.row(i)), 1e-15);
}

TEST(Codes, E6AndE7RootsCountNormsAndInnerProducts) {
  struct Case {
    Matrix roots;
    std::int64_t count, dim, neighbours;
    const char* name;
  };
  // Neighbours at 60°: 2h − 4 with Coxeter numbers 12 (E6), 18 (E7) and 30 (E8).
  const std::vector<Case> cases = {{codes::e6_roots(), 72, 6, 20, "E6"},
                                   {codes::e7_roots(), 126, 7, 32, "E7"},
                                   {codes::e8_roots(), 240, 8, 56, "E8"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.roots.rows, c.count);
    EXPECT_EQ(c.roots.cols, c.dim);
    expect_unit_rows(c.roots, c.name);
    EXPECT_NEAR(max_cosine(c.roots), 0.5, 1e-15);
    EXPECT_NEAR(min_angle_deg(c.roots), 60.0, 1e-12);
    expect_inner_products_in(c.roots, kRootInnerProducts);
    EXPECT_EQ(neighbours_at(c.roots, 0.5), c.neighbours);
    EXPECT_EQ(neighbours_at(c.roots, -1.0), 1);
  }
  // E6 and E7 roots are spherical 5-designs, E8's a 7-design.
  expect_design_strength(cases[0].roots, 5, "E6");
  expect_design_strength(cases[1].roots, 5, "E7");
  expect_design_strength(cases[2].roots, 7, "E8");
}

TEST(Codes, Cell120CountNormsMinimalAngleAndDesign) {
  const Matrix a = codes::cell120();
  EXPECT_EQ(a.rows, 600);
  EXPECT_EQ(a.cols, 4);
  expect_unit_rows(a, "120-cell");
  // Squared edge (7 − 3√5)/4 of the unit 120-cell (errorcorrectionzoo): cos = 1 − (7 − 3√5)/8.
  const double root5 = std::sqrt(5.0);
  const double expected = (1.0 + 3.0 * root5) / 8.0;
  EXPECT_NEAR(max_cosine(a), expected, 1e-15);
  EXPECT_NEAR(max_cosine(a), 1.0 - (7.0 - 3.0 * root5) / 8.0, 1e-15);
  EXPECT_NEAR(min_angle_deg(a), 15.522487814, 1e-9);
  // Four edges at every vertex (the vertex figure is a tetrahedron), one antipode.
  EXPECT_EQ(neighbours_at(a, expected), 4);
  EXPECT_EQ(neighbours_at(a, -1.0), 1);
  // Inner products (a + b√5)/8 with small integers a, b (coordinates in Z[φ], squared norm 8).
  std::vector<double> values;
  for (int x = -8; x <= 8; ++x) {
    for (int y = -3; y <= 3; ++y) {
      const double v = (x + y * root5) / 8.0;
      if (std::abs(v) <= 1.0 + 1e-12) values.push_back(v);
    }
  }
  expect_inner_products_in(a, values);
  expect_design_strength(a, 11, "120-cell");
  expect_design_strength(codes::cell600(), 11, "600-cell");
}

TEST(Codes, GenerateNamesTheRootSystemsAnd120Cell) {
  const auto shape = [](const Matrix& m) { return std::array<std::int64_t, 2>{m.rows, m.cols}; };
  EXPECT_EQ(shape(codes::generate("dn")), (std::array<std::int64_t, 2>{24, 4}));
  EXPECT_EQ(shape(codes::generate("dn:6")), (std::array<std::int64_t, 2>{60, 6}));
  EXPECT_EQ(shape(codes::generate("e6")), (std::array<std::int64_t, 2>{72, 6}));
  EXPECT_EQ(shape(codes::generate("e7")), (std::array<std::int64_t, 2>{126, 7}));
  EXPECT_EQ(shape(codes::generate("120cell")), (std::array<std::int64_t, 2>{600, 4}));
  EXPECT_EQ(codes::generate("dn:5").data, codes::dn_roots(5).data);
  for (const std::string spec : {"dn:2", "dn:x", "e6:1", "e7:7", "120cell:3"}) {
    try {
      codes::generate(spec);
      ADD_FAILURE() << "no error for '" << spec << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("'" + spec + "'"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(codes::dn_roots(std::int64_t{1} << 40), ConfigError);
}

TEST(Codes, EveryExactCodeLiesInsideTheUpperBounds) {
  // A code of M points with minimal angle θ shows θ*(n, M) ≥ θ: no upper bound may fall below it.
  for (const std::string spec : {"simplex:6", "cross:5", "polygon:11", "icosahedron", "24cell", "e8",
                                 "600cell", "dn:3", "dn:5", "dn:8", "e6", "e7", "120cell"}) {
    SCOPED_TRACE(spec);
    const Matrix a = codes::generate(spec);
    const double angle = std::acos(std::clamp(max_cosine(a), -1.0, 1.0));
    const bounds::OptimalAngleBounds b = bounds::optimal_angle_bounds(a.cols, a.rows);
    EXPECT_GE(b.best_upper, angle - 1e-12) << b.best_upper_name;
    EXPECT_GE(b.levenshtein_upper, angle - 1e-12);
    EXPECT_GE(std::exp2(bounds::levenshtein_log2_count(a.cols, angle)), static_cast<double>(a.rows) * (1 - 1e-12));
  }
}

}  // namespace
}  // namespace hopcap
