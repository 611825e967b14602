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

// ---- Levenshtein's universal bound (finite n) -------------------------------------------------

/// Degrees above which levenshtein_log2_count gives up and returns +∞ (a true, vacuous bound):
/// only angles far below a degree are affected (e.g. n = 3 at θ < 0.01°).
constexpr std::int64_t levenshtein_max_degree = 100000;

/// log2 of Levenshtein's bound L(n, s) ≥ A(n, θ), s = cos θ (Levenshtein 1979; the form of his
/// Handbook of Coding Theory chapter). With P^{a,b}_k the Jacobi polynomials P_k^{(α,β)},
/// α = a + (n−3)/2, β = b + (n−3)/2, normalised to P(1) = 1, and t^{a,b}_k the largest zero of
/// P^{a,b}_k (t^{1,1}_0 = −1), for s in [t^{1,1}_{k−1}, t^{1,0}_k]:
///   L_{2k−1} = C(k+n−3, k−1) [(2k+n−3)/(n−1) − (P_{k−1}(s) − P_k(s)) / ((1−s) P_k(s))],
/// and for s in [t^{1,0}_k, t^{1,1}_k]:
///   L_{2k} = C(k+n−2, k) [(2k+n−1)/(n−1) − (1+s)(P_k(s) − P_{k+1}(s)) / ((1−s)(P_k(s) + P_{k+1}(s)))],
/// with P = P^{0,0} (Gegenbauer). L_1 = 1 − 1/s and L_2 = 2n(1−s)/(1−ns) are Rankin's bounds; the
/// bound is attained by E8 (n = 8, s = ½: 240) and the Leech lattice (n = 24, s = ½: 196560).
/// The result carries a relative slack of 1e-12 upward (an upper bound may only err upward).
/// +∞ beyond levenshtein_max_degree. Pre: n ≥ 2, 0 < θ ≤ π.
double levenshtein_log2_count(std::int64_t n, double theta);
/// The degree τ of the piece L_τ used at θ. Pre: as levenshtein_log2_count.
std::int64_t levenshtein_degree(std::int64_t n, double theta);

// ---- Fejes Tóth (d = 3) -----------------------------------------------------------------------

/// Largest possible minimal angle of N ≥ 3 points on S²: arccos((cot²ω − 1)/2) with
/// ω = πN/(6(N−2)); equality at N = 3, 4, 6, 12. Radians.
double fejes_toth_max_angle(std::int64_t n);

// ---- Bounds on θ*(n, M), the largest minimal angle of M points on S^{n−1} ------------------------
//
// θ*(n, M) ≥ θ exactly when A(n, θ) ≥ M, so a lower bound on A gives a lower bound on θ* (the
// largest θ where it still reaches M) and an upper bound on A an upper bound on θ* (the smallest θ
// where it falls below M). Angles in radians; NaN where a bound does not apply.

struct OptimalAngleBounds {
  std::int64_t dim = 0;     ///< n
  std::int64_t count = 0;   ///< M
  /// Proposition 3.1 as the paper states it, on Δ, turned into angles θ = arccos(1 − Δ); an upper
  /// value above 2 (vacuous) gives 180°.
  double prop31_lower = 0.0;
  double prop31_upper = 0.0;
  /// The largest θ with csw_count(n, θ) ≥ M (existence: a maximal code).
  double csw_lower = 0.0;
  /// The smallest θ with Levenshtein's L(n, cos θ) < M; 180° for M = 2.
  double levenshtein_upper = 0.0;
  /// Rankin's finite bounds (θ ≥ 90° only): arccos(−1/(M−1)) for M ≤ n+1, 90° for M > n+1.
  double rankin_upper = 0.0;
  /// Fejes Tóth for n = 3, M ≥ 3; NaN otherwise.
  double fejes_toth_upper = 0.0;
  /// KL's asymptotic upper bound on the rate (bits per dimension) at the angle best_lower;
  /// asymptotic (o(1) dropped), not a finite-n bound. NaN unless 0 < best_lower < 90°.
  double kl_asymptotic_rate = 0.0;
  const char* best_lower_name = "";  ///< the largest finite lower bound (its key)
  double best_lower = 0.0;
  const char* best_upper_name = "";  ///< the smallest finite upper bound (its key)
  double best_upper = 0.0;
};

/// Every bound above at (n, M). Pre: n ≥ 2, M ≥ 2.
OptimalAngleBounds optimal_angle_bounds(std::int64_t n, std::int64_t m);
/// The CSW lower bound alone (the largest θ with csw_count(n, θ) ≥ M). Pre: n ≥ 2, M ≥ 2.
double csw_lower_angle(std::int64_t n, std::int64_t m);
/// The Levenshtein upper bound alone. Pre: n ≥ 2, M ≥ 2.
double levenshtein_upper_angle(std::int64_t n, std::int64_t m);
/// Rankin's finite upper bound alone. Pre: n ≥ 1, M ≥ 2.
double rankin_upper_angle(std::int64_t n, std::int64_t m);
/// Δ = 1 − cos θ (as 2 sin²(θ/2) below 60°, for small angles); NaN stays NaN.
double separation_of_angle(double theta);

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
