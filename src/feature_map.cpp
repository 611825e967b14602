#include "hopcap/feature_map.hpp"

#include <cmath>
#include <string>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"

namespace hopcap {

void FeatureMap::validate() const {
  require(weight.rows >= 1 && weight.cols >= 1,
          "feature map W must have at least one row (D_Phi >= 1) and one column (d >= 1)");
  require(weight.storage_matches_shape(),
          "feature map W has inconsistent storage");
  require(bias.empty() || static_cast<std::int64_t>(bias.size()) == weight.rows,
          "feature map bias must have D_Phi = " + std::to_string(weight.rows) + " entries, got " +
              std::to_string(bias.size()));
  for (double w : weight.data) require(std::isfinite(w), "feature map W has a non-finite entry");
  for (double b : bias) require(std::isfinite(b), "feature map bias has a non-finite entry");
}

Matrix apply_feature_map(const FeatureMap& map, const Matrix& x) {
  if (x.cols != map.input_dim()) {
    throw ConfigError("feature map expects vectors of dimension " +
                      std::to_string(map.input_dim()) + ", got " + std::to_string(x.cols));
  }
  Matrix features(x.rows, map.feature_dim());
  if (map.has_bias()) {
    for (std::int64_t i = 0; i < x.rows; ++i) {
      double* f = features.row(i);
      for (std::int64_t k = 0; k < map.feature_dim(); ++k) f[k] = map.bias[static_cast<std::size_t>(k)];
    }
  }
  blas::gemm_nt(x.rows, map.feature_dim(), x.cols, 1.0, x.data.data(), x.cols,
                map.weight.data.data(), map.weight.cols, map.has_bias() ? 1.0 : 0.0,
                features.data.data(), features.cols);
  return features;
}

FeatureMap identity_feature_map(std::int64_t d, std::int64_t feature_dim) {
  require(feature_dim >= 1 && feature_dim <= d,
          "identity feature map needs 1 <= D_Phi <= d (D_Phi = " + std::to_string(feature_dim) +
              ", d = " + std::to_string(d) + ")");
  FeatureMap map{Matrix(feature_dim, d), {}};
  for (std::int64_t k = 0; k < feature_dim; ++k) map.weight(k, k) = 1.0;
  return map;
}

Matrix normalized_features(const FeatureMap& map, const Matrix& x) {
  Matrix features = apply_feature_map(map, x);
  for (std::int64_t i = 0; i < features.rows; ++i) {
    double* f = features.row(i);
    double s = 0.0;
    for (std::int64_t k = 0; k < features.cols; ++k) s += f[k] * f[k];
    const double n = std::sqrt(s);
    if (!(n > 0.0) || !std::isfinite(n)) {
      throw KernelError("feature vector " + std::to_string(i) + " has norm " + std::to_string(n) +
                        " and cannot be normalised (the vector lies in the null space of W)");
    }
    for (std::int64_t k = 0; k < features.cols; ++k) f[k] /= n;
  }
  return features;
}

}  // namespace hopcap
