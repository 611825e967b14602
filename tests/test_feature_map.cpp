// Feature maps: Φ(x) = W x (+ b) by GEMM against explicit sums, and the HDF5 file round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "hopcap/error.hpp"
#include "hopcap/feature_map.hpp"
#include "hopcap/io/feature_map_io.hpp"
#include "hopcap/memories.hpp"

namespace hopcap {
namespace {

TEST(FeatureMap, GemmMatchesExplicitSumsAtAwkwardSizes) {
  for (std::int64_t n : {1, 2, 7, 33}) {
    for (std::int64_t dphi : {1, 2, 5}) {
      for (bool bias : {false, true}) {
        const std::int64_t d = 7;
        FeatureMap map{generate_memories(Distribution::gaussian, d, dphi, 1, 0), {}};
        if (bias) map.bias = generate_memories(Distribution::gaussian, dphi, 1, 2, 0).data;
        const Matrix x = generate_memories(Distribution::gaussian, d, n, 3, 0);
        const Matrix f = apply_feature_map(map, x);
        ASSERT_EQ(f.rows, n);
        ASSERT_EQ(f.cols, dphi);
        for (std::int64_t i = 0; i < n; ++i) {
          for (std::int64_t k = 0; k < dphi; ++k) {
            double s = bias ? map.bias[static_cast<std::size_t>(k)] : 0.0;
            for (std::int64_t j = 0; j < d; ++j) s += map.weight(k, j) * x(i, j);
            EXPECT_NEAR(f(i, k), s, 1e-13);
          }
        }
      }
    }
  }
}

TEST(FeatureMap, IdentityMapKeepsTheFirstCoordinates) {
  const Matrix x = generate_memories(Distribution::gaussian, 6, 4, 3, 0);
  const Matrix f = apply_feature_map(identity_feature_map(6, 4), x);
  for (std::int64_t i = 0; i < 4; ++i) {
    for (std::int64_t k = 0; k < 4; ++k) EXPECT_EQ(f(i, k), x(i, k));
  }
  EXPECT_THROW(identity_feature_map(3, 4), ConfigError);
}

TEST(FeatureMap, NormalizedFeaturesAreUnitRowsAlongTheFeatures) {
  const Matrix x = generate_memories(Distribution::gaussian, 5, 9, 4, 0);
  FeatureMap map{generate_memories(Distribution::gaussian, 5, 3, 5, 0), {0.5, -1.0, 2.0}};
  const Matrix f = apply_feature_map(map, x);
  const Matrix u = normalized_features(map, x);
  ASSERT_EQ(u.rows, 9);
  ASSERT_EQ(u.cols, 3);
  for (std::int64_t i = 0; i < u.rows; ++i) {
    double n = 0.0, dot = 0.0, fn = 0.0;
    for (std::int64_t k = 0; k < 3; ++k) {
      n += u(i, k) * u(i, k);
      dot += u(i, k) * f(i, k);
      fn += f(i, k) * f(i, k);
    }
    EXPECT_NEAR(n, 1.0, 1e-15);
    EXPECT_NEAR(dot, std::sqrt(fn), 1e-13 * std::sqrt(fn));  // same direction as Φ(x)
  }
  FeatureMap zero{Matrix(3, 5), {}};
  EXPECT_THROW(normalized_features(zero, x), KernelError);
}

TEST(FeatureMap, FileRoundTripIsExact) {
  const auto path = std::filesystem::temp_directory_path() / "hopcap_test_feature_map.h5";
  for (bool bias : {false, true}) {
    FeatureMap map{generate_memories(Distribution::gaussian, 5, 3, 9, 0), {}};
    if (bias) map.bias = {0.25, -1.5, 3.0};
    io::save_feature_map(path, map, nullptr, "", /*overwrite=*/true);
    const FeatureMap back = io::load_feature_map(path);
    EXPECT_EQ(back.weight.rows, 3);
    EXPECT_EQ(back.weight.cols, 5);
    EXPECT_EQ(back.weight.data, map.weight.data);
    EXPECT_EQ(back.bias, map.bias);
  }
  std::filesystem::remove(path);
}

TEST(FeatureMap, BadFilesAndShapesAreRejected) {
  EXPECT_THROW(io::load_feature_map("/nonexistent/w.h5"), InputError);
  FeatureMap bad{Matrix(2, 3), {1.0}};
  EXPECT_THROW(bad.validate(), ConfigError);
  FeatureMap map{Matrix(2, 3, 1.0), {}};
  EXPECT_THROW(apply_feature_map(map, Matrix(1, 4)), ConfigError);
}

}  // namespace
}  // namespace hopcap
