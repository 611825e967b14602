#pragma once
// Naive reference twins of the U-Hop+ losses: explicit loops over every pair, long double,
// straight from the formulas in hopcap/kernels/uhop_loss.hpp. Never optimise these.

#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap::ref {

/// The loss, with the official code's stop-gradient made explicit for as_coded: the first
/// factor of each pair uses `map`, the second `detached` (pass the same map for the value).
double uhop_loss(const Matrix& x, const FeatureMap& map, const FeatureMap& detached,
                 UhopLossKind kind, double tau);

/// Analytic gradient by explicit sums: ∂L/∂W (D_Φ×d) and ∂L/∂b (empty without a bias).
void uhop_gradient(const Matrix& x, const FeatureMap& map, UhopLossKind kind, double tau,
                   Matrix& grad_weight, std::vector<double>& grad_bias);

}  // namespace hopcap::ref
