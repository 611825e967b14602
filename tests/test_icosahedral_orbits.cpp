// The icosahedral starts of the U-Hop+ search: the 60 rotations form the group I (closed,
// orthogonal, determinant 1, all distinct), its special orbits are the icosahedron (63.4349°),
// the dodecahedron (41.8103°) and the icosidodecahedron (36°), and a start is exactly a union
// of orbits: every rotation maps it onto itself.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <optional>
#include <vector>

#include "icosahedral_orbits.hpp"

namespace hopcap::uhop_search {
namespace {

constexpr double kTol = 1e-12;

double largest_difference(const Rotation& a, const Rotation& b) {
  double worst = 0.0;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) worst = std::max(worst, std::abs(a[i][j] - b[i][j]));
  }
  return worst;
}

Rotation product(const Rotation& a, const Rotation& b) {
  Rotation c{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 3; ++k) c[i][j] += a[i][k] * b[k][j];
    }
  }
  return c;
}

// Index of the group element within kTol of r, or −1.
int find(const std::vector<Rotation>& group, const Rotation& r) {
  for (std::size_t g = 0; g < group.size(); ++g) {
    if (largest_difference(group[g], r) < kTol) return static_cast<int>(g);
  }
  return -1;
}

double min_angle_deg(const Matrix& p) {
  double worst = -1.0;
  for (std::int64_t i = 0; i < p.rows; ++i) {
    for (std::int64_t j = i + 1; j < p.rows; ++j) {
      worst = std::max(worst, p(i, 0) * p(j, 0) + p(i, 1) * p(j, 1) + p(i, 2) * p(j, 2));
    }
  }
  return std::acos(worst) * 180.0 / std::numbers::pi;
}

TEST(IcosahedralOrbits, SixtyDistinctRotationsClosedUnderProduct) {
  const std::vector<Rotation>& group = icosahedral_rotations();
  ASSERT_EQ(group.size(), 60u);
  for (std::size_t g = 0; g < group.size(); ++g) {
    const Rotation& r = group[g];
    Rotation rrt{};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        for (int k = 0; k < 3; ++k) rrt[i][j] += r[i][k] * r[j][k];
      }
    }
    const Rotation identity{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
    EXPECT_LT(largest_difference(rrt, identity), kTol) << "not orthogonal: " << g;
    const double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
                       r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
                       r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    EXPECT_NEAR(det, 1.0, kTol) << g;
    EXPECT_EQ(find(group, r), static_cast<int>(g)) << "a rotation appears twice: " << g;
  }
  for (const Rotation& a : group) {
    for (const Rotation& b : group) ASSERT_GE(find(group, product(a, b)), 0) << "not closed";
  }
  // Rotation angles by trace (1 + 2 cos θ): I has 1 identity, 24 of order 5 (±72°, ±144°),
  // 20 of order 3 and 15 of order 2.
  int identity = 0, order5 = 0, order3 = 0, order2 = 0;
  for (const Rotation& r : group) {
    const double c = (r[0][0] + r[1][1] + r[2][2] - 1.0) / 2.0;
    if (std::abs(c - 1.0) < 1e-9) ++identity;
    if (std::abs(c - std::cos(2 * std::numbers::pi / 5)) < 1e-9 || std::abs(c - std::cos(4 * std::numbers::pi / 5)) < 1e-9) ++order5;
    if (std::abs(c + 0.5) < 1e-9) ++order3;
    if (std::abs(c + 1.0) < 1e-9) ++order2;
  }
  EXPECT_EQ(identity, 1);
  EXPECT_EQ(order5, 24);
  EXPECT_EQ(order3, 20);
  EXPECT_EQ(order2, 15);
}

TEST(IcosahedralOrbits, SplitsIntoOrbitsExactlyWhenTheSizesAddUp) {
  std::vector<std::int64_t> splitting;
  for (std::int64_t m = 2; m <= 130; ++m) {
    if (icosahedral_split(m)) splitting.push_back(m);
  }
  const std::vector<std::int64_t> expected{12, 20, 30, 32, 42, 50, 60, 62, 72, 80, 90, 92, 102, 110, 120, 122};
  EXPECT_EQ(splitting, expected);
  const OrbitSplit s = *icosahedral_split(122);
  EXPECT_EQ(s.generic, 1);
  EXPECT_TRUE(s.five_fold && s.three_fold && s.two_fold);
  EXPECT_EQ(icosahedral_split(120)->generic, 2);
  EXPECT_FALSE(icosahedral_split(120)->five_fold);
  EXPECT_FALSE(icosahedral_start(13, 1).has_value());
}

TEST(IcosahedralOrbits, SpecialOrbitsAreThePlatonicCodes) {
  // Icosahedron: cos θ = 1/√5. Dodecahedron: cos θ = √5/3. Icosidodecahedron: 36°.
  EXPECT_NEAR(min_angle_deg(*icosahedral_start(12, 1)), std::acos(1.0 / std::sqrt(5.0)) * 180.0 / std::numbers::pi, 1e-9);
  EXPECT_NEAR(min_angle_deg(*icosahedral_start(20, 1)), std::acos(std::sqrt(5.0) / 3.0) * 180.0 / std::numbers::pi, 1e-9);
  EXPECT_NEAR(min_angle_deg(*icosahedral_start(30, 1)), 36.0, 1e-9);
}

TEST(IcosahedralOrbits, StartsAreUnitPointsInvariantUnderEveryRotation) {
  for (const std::int64_t m : {60, 62, 92, 120}) {
    for (const std::uint64_t seed : {1u, 2u}) {
      const Matrix p = *icosahedral_start(m, seed);
      ASSERT_EQ(p.rows, m);
      ASSERT_EQ(p.cols, 3);
      EXPECT_GT(min_angle_deg(p), 0.0) << "two points coincide, M=" << m;  // a generic orbit of 60
      for (std::int64_t i = 0; i < m; ++i) {
        EXPECT_NEAR(p(i, 0) * p(i, 0) + p(i, 1) * p(i, 1) + p(i, 2) * p(i, 2), 1.0, kTol);
      }
      for (const Rotation& r : icosahedral_rotations()) {
        for (std::int64_t i = 0; i < m; ++i) {
          double best = 1e300;
          for (std::int64_t j = 0; j < m; ++j) {
            double d = 0.0;
            for (int a = 0; a < 3; ++a) {
              const double image = r[a][0] * p(i, 0) + r[a][1] * p(i, 1) + r[a][2] * p(i, 2);
              d = std::max(d, std::abs(image - p(j, a)));
            }
            best = std::min(best, d);
          }
          ASSERT_LT(best, 1e-9) << "M=" << m << ": a rotated point is not in the start";
        }
      }
    }
    if (icosahedral_split(m)->generic > 0) {  // the special orbits alone are the same for every seed
      EXPECT_NE(icosahedral_start(m, 1)->data, icosahedral_start(m, 2)->data) << "seeds give the same start";
    }
    EXPECT_EQ(icosahedral_start(m, 3)->data, icosahedral_start(m, 3)->data);
  }
}

}  // namespace
}  // namespace hopcap::uhop_search
