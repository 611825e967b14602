#pragma once
// What the U-Hop+ loss tests of both precisions share: the loss kinds, random maps, clustered
// memories for small τ, a relative difference, and the bitwise comparison of two evaluations.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/matrix.hpp"
#include "hopcap/memories.hpp"

namespace hopcap::test {

inline constexpr UhopLossKind kLossKinds[] = {UhopLossKind::pairwise, UhopLossKind::per_memory,
                                              UhopLossKind::as_coded};

/// A Gaussian D_Φ × d map, affine when `bias`.
inline FeatureMap random_map(std::int64_t dphi, std::int64_t d, bool bias, std::uint64_t seed) {
  FeatureMap map{generate_memories(Distribution::gaussian, d, dphi, seed, 3), {}};
  if (bias) map.bias = generate_memories(Distribution::gaussian, dphi, 1, seed, 4).data;
  return map;
}

/// m memories in R^d around one direction (every cosine above about 0.8), and the identity map:
/// small τ then spreads a tile's entries over many units of s/τ.
inline Matrix clustered_memories(std::int64_t d, std::int64_t m) {
  Matrix x = generate_memories(Distribution::gaussian, d, m, 3, 0);
  for (std::int64_t i = 0; i < m; ++i) {
    x(i, 0) = 4.0 + 0.5 * x(i, 0);
    for (std::int64_t k = 1; k < d; ++k) x(i, k) *= 0.5;
  }
  return x;
}

inline FeatureMap identity_map(std::int64_t d) {
  FeatureMap id{Matrix(d, d), {}};
  for (std::int64_t k = 0; k < d; ++k) id.weight(k, k) = 1.0;
  return id;
}

inline double norm(const std::vector<double>& v) {
  double s = 0.0;
  for (double e : v) s += e * e;
  return std::sqrt(s);
}

/// ‖a − b‖ / ‖b‖.
inline double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> diff(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) diff[i] = a[i] - b[i];
  return norm(diff) / std::max(norm(b), 1e-300);
}

struct LossAndGradient {
  UhopLossValue value;
  Matrix grad_w;
  std::vector<double> grad_b;
};

inline void expect_bitwise_equal(const LossAndGradient& a, const LossAndGradient& b, const std::string& what) {
  EXPECT_EQ(a.value.loss, b.value.loss) << what;
  EXPECT_EQ(a.value.s_max, b.value.s_max) << what;
  EXPECT_EQ(a.value.closest[0], b.value.closest[0]) << what;
  EXPECT_EQ(a.value.closest[1], b.value.closest[1]) << what;
  EXPECT_EQ(a.grad_w.data, b.grad_w.data) << what;
  EXPECT_EQ(a.grad_b, b.grad_b) << what;
}

}  // namespace hopcap::test
