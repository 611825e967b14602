#pragma once
// Naive reference twins of the separation metrics (hopcap/kernels/metrics.hpp): plain double
// loops over all ordered pairs, never optimised, used only to check the blocked kernels.

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "hopcap/matrix.hpp"

namespace hopcap::ref {

/// Δ_μ = ⟨ξ_μ,ξ_μ⟩ − max_{ν≠μ}⟨ξ_μ,ξ_ν⟩ for one memory, by a loop over every ν (+∞ for M = 1).
double raw_delta_row(const Matrix& x, std::int64_t mu);

/// max_{ν≠μ} ⟨ξ̂_μ, ξ̂_ν⟩ of the normalised rows for one memory (−1 for M = 1).
double max_cos_row(const Matrix& x, std::int64_t mu);

struct Separation {
  std::vector<double> raw_delta;  ///< Δ_μ for every μ
  double raw_delta_min = 0.0;
  double max_norm = 0.0;
  std::vector<double> row_max_cos;  ///< per μ, on the normalised rows
  double max_cos = -1.0;            ///< s_max
  double min_angle_deg = 180.0;     ///< min over all pairs of the angle (atan2 form)
  double delta_min_sphere = 2.0;    ///< 1 − s_max
  // Indices, the smallest among exact ties (−1 where there is no partner, M = 1).
  std::vector<std::int64_t> raw_nearest;  ///< the ν attaining max_{ν≠μ}⟨ξ_μ,ξ_ν⟩
  std::vector<std::int64_t> nearest;      ///< the ν attaining row_max_cos[μ]
  std::int64_t raw_argmin = -1;           ///< smallest μ attaining raw_delta_min
  /// The smallest μ attaining max_cos with its nearest, as (smaller, larger); −1 for M = 1.
  std::array<std::int64_t, 2> closest_pair{-1, -1};
};

/// Every quantity above by loops over all pairs.
Separation separation(const Matrix& x);

/// Φ(ξ) = W ξ (+ b) for every row, by explicit loops; bias empty or weight.rows entries.
Matrix features(const Matrix& x, const Matrix& weight, std::span<const double> bias);

}  // namespace hopcap::ref
