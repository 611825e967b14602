#pragma once
// Naive reference twins of the retrieval kernels: plain loops over every (query, memory) pair.
// Never optimise these; they exist to be obviously right.

#include <optional>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap::ref {

/// β·K(ξ_μ, x) for every state row and memory, by explicit sums.
Matrix retrieval_scores(const Matrix& memories, const Matrix& states, double beta,
                        const std::optional<FeatureMap>& map, KhmScores variant);

/// One update x ← Ξ Sep(scores) by explicit sums; also returns the weights.
Matrix retrieval_step(const Matrix& memories, const Matrix& states,
                      const RetrievalSettings& settings, const std::optional<FeatureMap>& map,
                      Matrix& probabilities);

/// Softmax MHM energy ½‖x‖² − β⁻¹ log Σ_μ exp(β ξ_μᵀx), summed naively with a max shift.
double softmax_mhm_energy(const Matrix& memories, const double* x, double beta);

}  // namespace hopcap::ref
