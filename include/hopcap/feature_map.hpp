#pragma once
// Linear (or affine) feature map Φ(x) = W x (+ b) of a kernelized Hopfield model,
// W ∈ R^{D_Φ×d}. The paper's map is linear; the bias exists for parity with its official code.

#include <cstdint>
#include <vector>

#include "hopcap/matrix.hpp"

namespace hopcap {

struct FeatureMap {
  Matrix weight;             ///< D_Φ × d; row k maps x to feature k
  std::vector<double> bias;  ///< empty (linear map) or D_Φ entries (affine map)

  std::int64_t input_dim() const { return weight.cols; }
  std::int64_t feature_dim() const { return weight.rows; }
  bool has_bias() const { return !bias.empty(); }
  /// Throws ConfigError if the shapes are inconsistent or an entry is not finite.
  void validate() const;
};

/// features := X Wᵀ (+ 1 bᵀ) for the rows of x (n×d → n×D_Φ), one GEMM.
Matrix apply_feature_map(const FeatureMap& map, const Matrix& x);

/// Φ̂(x) = Φ(x)/‖Φ(x)‖ for every row: the memories of Stage-II retrieval inside feature space
/// (the paper's landscape and basin figures). Throws KernelError for a zero feature vector.
Matrix normalized_features(const FeatureMap& map, const Matrix& x);

/// The identity-like map: the first D_Φ coordinates (D_Φ ≤ d), useful as a KHM baseline.
FeatureMap identity_feature_map(std::int64_t d, std::int64_t feature_dim);

}  // namespace hopcap
