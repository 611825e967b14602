#pragma once
// What the retrieval tests of both precisions share: the separations they sweep, random maps,
// the largest entry difference, and the bitwise comparison of outcomes that partitions,
// threads and group sizes must give.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/matrix.hpp"
#include "hopcap/memories.hpp"

namespace hopcap::test {

inline const std::vector<std::string> kRetrievalSeparations = {"softmax", "sparsemax", "entmax15", "entmax:1.3"};

inline double max_abs_diff(const Matrix& a, const Matrix& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.data.size(); ++i) m = std::max(m, std::abs(a.data[i] - b.data[i]));
  return m;
}

/// A Gaussian D_Φ × d map for the KHM, affine when `bias`.
inline FeatureMap random_retrieval_map(std::int64_t dphi, std::int64_t d, bool bias, std::uint64_t seed) {
  FeatureMap map{generate_memories(Distribution::gaussian, d, dphi, seed, 7), {}};
  if (bias) map.bias = generate_memories(Distribution::gaussian, dphi, 1, seed, 8).data;
  return map;
}

inline void expect_bitwise_equal_outcomes(std::span<const QueryOutcome> got, std::span<const QueryOutcome> want,
                                          const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const QueryOutcome& a = got[i];
    const QueryOutcome& b = want[i];
    EXPECT_EQ(a.iterations, b.iterations) << what << " query " << i;
    EXPECT_EQ(a.converged, b.converged) << what << " query " << i;
    EXPECT_EQ(a.argmax, b.argmax) << what << " query " << i;
    EXPECT_EQ(a.retrieved, b.retrieved) << what << " query " << i;
    EXPECT_EQ(a.metastable_size, b.metastable_size) << what << " query " << i;
    EXPECT_EQ(a.distance, b.distance) << what << " query " << i;
    EXPECT_EQ(a.energy, b.energy) << what << " query " << i;
  }
}

}  // namespace hopcap::test
