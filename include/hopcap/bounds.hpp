#pragma once
// Closed-form bounds on the separation of optimal spherical codes and on A(n, θ), the largest
// number of points on S^{n−1} with pairwise angles ≥ θ. Pure functions, no state.
//
// Conventions: angles are in radians (use radians()/degrees() to convert); separations are
// Δ = 1 − cos θ of unit vectors; rates are bits per dimension, (1/n) log2 A(n, θ), without the
// o(1) terms. Gamma-function ratios go through std::lgamma, so large d and M do not overflow.
// Arguments outside a formula's range throw ConfigError naming the function and the range.

#include <cstdint>
#include <numbers>

namespace hopcap::bounds {

constexpr double radians(double degrees) { return degrees * (std::numbers::pi / 180.0); }
constexpr double degrees(double radians) { return radians * (180.0 / std::numbers::pi); }

// ---- Proposition 3.1 (Hu, Wu, Liu 2024): Δ_min of the optimal M-point code on S^{d−1} --------

/// ½ ((√π / M) Γ((d+1)/2) / Γ(d/2 + 1))^{2/(d−1)}; d = 2: π²/(8M²), d = 3: 2/(3M).
/// Pre: M ≥ 1, d ≥ 2.
double prop31_lower(std::int64_t m, std::int64_t d);
/// 2 ((2√π / M) Γ((d+1)/2) / Γ(d/2))^{1/(d−1)}; d = 2: 2π/M, d = 3: 4/√M. Above 2 (vacuous)
/// for large d and small M. Pre: M ≥ 1, d ≥ 2.
double prop31_upper(std::int64_t m, std::int64_t d);

// ---- Chabauty–Shannon–Wyner lower bound ---------------------------------------------------------

/// Normalised area of a cap of angular radius θ on S^{n−1}:
/// μ_n(θ) = [Γ(n/2) / (√π Γ((n−1)/2))] ∫_0^θ sin^{n−2} t dt, integrated by adaptive
/// Gauss–Legendre to a relative accuracy of about 1e-13 (μ_3(θ) = (1 − cos θ)/2).
/// Pre: n ≥ 2, 0 ≤ θ ≤ π.
double cap_fraction(std::int64_t n, double theta);
/// log2 μ_n(θ), finite where μ_n itself underflows (large n, small θ). Pre: as cap_fraction, θ > 0.
double log2_cap_fraction(std::int64_t n, double theta);
/// Finite CSW bound A(n, θ) ≥ 1/μ_n(θ) (a maximal code's caps of radius θ cover the sphere).
/// May be +∞ in double for huge n; use csw_log2_count then. Pre: n ≥ 2, 0 < θ ≤ π.
double csw_count(std::int64_t n, double theta);
/// log2 of csw_count.
double csw_log2_count(std::int64_t n, double theta);
/// Asymptotic CSW rate −log2 sin θ. Pre: 0 < θ ≤ π/2.
double csw_rate(double theta);

// ---- Kabatiansky–Levenshtein upper bound ------------------------------------------------------

/// Upper end of the angles where Levenshtein's refinement holds: 62.9974°, in radians.
constexpr double levenshtein_theta_max = radians(62.9974);
/// The rounded constant of Levenshtein's refinement.
constexpr double levenshtein_constant = 0.0990;

/// KL form ((1+s)/(2s)) log2((1+s)/(2s)) − ((1−s)/(2s)) log2((1−s)/(2s)), s = sin θ.
/// Pre: 0 < θ < π/2.
double kl_rate(double theta);
/// Levenshtein's refinement −½ log2(1 − cos θ) − 0.0990. Pre: 0 < θ ≤ 62.9974°.
double levenshtein_rate(double theta);
/// The KL upper bound as tabulated: the Levenshtein refinement where it is valid
/// (θ ≤ 62.9974°, inclusive), the KL form above. Pre: 0 < θ < π/2.
double kl_combined_rate(double theta);

// ---- Rankin bounds ----------------------------------------------------------------------------

/// Upper bound on A(n, θ) for θ ≥ π/2: 2n at θ = π/2 (|cos θ| ≤ 1e-12 counts as π/2), else
/// min(n + 1, floor(1 − 1/cos θ)). The floor is taken after a relative slack of 1e-12 upward,
/// so a cosine such as −1/3 that carries rounding error still gives the exact 4 (an upper bound
/// may only err upward). Pre: n ≥ 1, π/2 ≤ θ ≤ π.
std::int64_t rankin_max_points(std::int64_t n, double theta);
/// The same bound from the cosine c directly. Pre: n ≥ 1, −1 ≤ c ≤ 0.
std::int64_t rankin_max_points_cos(std::int64_t n, double c);
/// Rankin's rate −½ log2(1 − cos θ) = −log2(√2 sin(θ/2)). Pre: 0 < θ < π/2.
double rankin_rate(double theta);

// ---- Fejes Tóth (d = 3) -----------------------------------------------------------------------

/// Largest possible minimal angle of N ≥ 3 points on S²: arccos((cot²ω − 1)/2) with
/// ω = πN/(6(N−2)); equality at N = 3, 4, 6, 12. Radians.
double fejes_toth_max_angle(std::int64_t n);

// ---- Separation Δ = 1 − cos θ_min of exact codes ---------------------------------------------

/// Regular simplex of M ≥ 2 points (cos = −1/(M−1)): M/(M−1).
double simplex_delta(std::int64_t m);
/// Cross-polytope ±e_i (cos = 0): 1.
double cross_polytope_delta();
/// Regular M-gon, M ≥ 2: 1 − cos(2π/M), evaluated as 2 sin²(π/M).
double polygon_delta(std::int64_t m);
/// Icosahedron (cos = 1/√5): 1 − 1/√5.
double icosahedron_delta();
/// 24-cell (cos = 1/2): 1/2.
double cell24_delta();
/// E8 roots (cos = 1/2): 1/2.
double e8_delta();
/// 600-cell (cos 36° = (1+√5)/4): 1 − (1+√5)/4.
double cell600_delta();

}  // namespace hopcap::bounds
