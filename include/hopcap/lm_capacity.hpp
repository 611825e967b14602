#pragma once
// The statistical-physics capacity of the MHM with memories uniform on the sphere: Lucibello &
// Mézard, PRL 132, 077301 (2024), arXiv:2304.14964, and its finite-d form at hopcap's retrieval
// radius ε (derivation in docs/science.md, "The MHM against Lucibello–Mézard").
//
// Conventions. Lucibello–Mézard put the state and the patterns on the sphere of radius √d and
// weigh pattern μ by exp(λ x·ξ^μ) = exp(λ d φ^μ), φ^μ the cosine. hopcap's unit-norm MHM weighs
// it by exp(β ⟨ξ^μ, x⟩) = exp(β φ^μ). The weights agree exactly when β = λ·d.
//
// With M = e^{α d} memories, the memory is retrieved while the non-target weight
// Σ_{μ≥2} exp(−λ d (1 − φ^μ)) stays exponentially small, that is for α < α_c(λ):
//   φ*(λ) = (√(1 + 4λ²) − 1) / (2λ),   g_max(λ) = ½ ln(1 − φ*²) + λ φ*,   α_c(λ) = λ − g_max(λ).

#include <cstdint>

namespace hopcap {

struct LmThreshold {
  double lambda = 0.0;
  double overlap = 0.0;  ///< φ*(λ): the cosine of the non-target memories that dominate the weight
  double g_max = 0.0;    ///< g_max(λ) = max_φ [½ ln(1 − φ²) + λ φ]
  double alpha_c = 0.0;  ///< α_c(λ) = λ − g_max(λ): lim ln M*/d
};

/// The threshold at λ > 0 (finite); throws ConfigError otherwise.
LmThreshold lm_threshold(double lambda);

/// ln E[exp(−λ d (1 − φ))] for the cosine φ between a fixed unit vector and one uniform on
/// S^{d−1}: the expected weight of one non-target memory relative to the target's. Exactly
/// Γ(d/2) (2/(λd))^{d/2−1} e^{−λd} I_{d/2−1}(λd). Logarithm, since it underflows for large d.
/// Needs λ > 0 finite and d >= 2 (ConfigError).
double lm_log_spurious_weight(double lambda, std::int64_t d);

/// ln E[exp(−λ d (1 − φ)) · √(2(1 − φ))]: the same weight times the distance ‖ξ^μ − ξ^1‖ of
/// that memory from the target, whose sum over the non-target memories bounds ‖x − ξ^1‖ at
/// the retrieval fixed point to first order.
double lm_log_spurious_distance(double lambda, std::int64_t d);

/// ln M_ε / d, where M_ε = 1 + ε / E[exp(−λd(1 − φ)) √(2(1 − φ))] is the number of memories at
/// which the expected first-order bound on ‖x − ξ^1‖ reaches ε: hopcap's finite-d estimate of
/// ln M*/d. Tends to α_c(λ) as d → ∞. Needs ε > 0 finite (ConfigError).
double lm_rate_at_radius(double lambda, std::int64_t d, double epsilon);

/// The large-d expansion of lm_rate_at_radius: α_c(λ) + ln(ε √(1 − φ*⁴) / √(2(1 − φ*))) / d,
/// from the Laplace approximation of the expectation (error O(1/d²)).
double lm_rate_at_radius_asymptotic(double lambda, std::int64_t d, double epsilon);

}  // namespace hopcap
