#pragma once
// The well-separation condition of Hu et al. (2023), in the letters of the paper: memory ξ_μ is
// provably stored (T maps the ball S_μ of radius R around it into itself) when
//
//     Δ_μ ≥ Δ_th(β, M, m, R) := (1/β) ln(2(M−1) m / R) + 2 m R,
//
// with M memories, m = max_μ ‖ξ_μ‖ and inverse temperature β. The radius R is an explicit
// parameter; by default it is Ramsauer's R = 1/(β M m), because the series' R = ½·(minimum
// distance) makes the condition unsatisfiable on the unit sphere. For a KHM the same formula
// is applied to Δ^Φ_μ of the normalised features (m = 1).
//
// Theoretical capacity. Given a separation that an M-point memory set is known to reach, as a
// function M ↦ Δ_min(M) (e.g. the Prop 3.1 lower bound for the optimal code on S^{D−1}, or a
// measured Δ^Φ_min), the capacity is the largest M with Δ_min(M) ≥ Δ_th(β, M, m, R(M)), where
// R(M) is a fixed R or Ramsauer's 1/(β M m). It is found by doubling, then bisection. The
// result always satisfies the condition at `capacity` and violates it at `capacity + 1`
// (unless the search limit was reached); when Δ_min is non-increasing in M, as the Prop 3.1
// bound is, the condition holds exactly for M ≤ capacity, since Δ_th grows with M.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "hopcap/kernels/metrics.hpp"

namespace hopcap {

/// Ramsauer's radius R = 1/(β M m). Pre: β > 0, M ≥ 1, m > 0 (else ConfigError).
double ramsauer_radius(double beta, std::int64_t m_count, double max_norm);

/// Δ_th(β, M, m, R) = (1/β) ln(2(M−1) m / R) + 2 m R; −∞ for M = 1 (nothing to separate from).
/// Pre: β > 0, M ≥ 1, m > 0, R > 0, all finite (else ConfigError).
double well_separation_threshold(double beta, std::int64_t m_count, double max_norm,
                                 double radius);

/// Retrieval-error bound for queries in S_μ: ‖T(x) − ξ_μ‖ ≤ 2 m (M−1) exp(−β(Δ_μ − 2 m R)).
/// 0 for M = 1 or Δ_μ = +∞. Pre: as well_separation_threshold, Δ_μ not NaN.
double retrieval_error_bound(double delta, double beta, std::int64_t m_count, double max_norm,
                             double radius);

/// Which separation of a SeparationReport the condition is applied to.
enum class SeparationSpace {
  raw,     ///< Δ_μ of the vectors as given, m = report.max_norm
  sphere,  ///< 1 − row_max_cos of the normalised vectors, m = 1 (the KHM reading)
};

struct WellSeparation {
  std::int64_t m_count = 0;          ///< M
  double beta = 0.0;                 ///< β
  double max_norm = 0.0;             ///< m
  double radius = 0.0;               ///< R used (given, or Ramsauer's 1/(β M m))
  double threshold = 0.0;            ///< Δ_th(β, M, m, R)
  std::vector<std::uint8_t> stored;  ///< 1 where Δ_μ ≥ Δ_th
  std::int64_t stored_count = 0;     ///< number of provably stored memories
  bool all_stored() const { return stored_count == m_count; }
};

/// Applies the condition to every Δ_μ (one per memory; +∞ allowed, NaN is a KernelError).
/// radius empty → Ramsauer's R. Pre: delta non-empty, β > 0, m > 0.
WellSeparation check_well_separation(std::span<const double> delta, double max_norm, double beta,
                                     std::optional<double> radius = std::nullopt);

/// The condition for a part of a set of M = m_count memories (a row block of a partitioned
/// set): `delta` holds the Δ_μ of the part's memories, the threshold is that of all M, and
/// `stored` and `stored_count` cover the part only. Pre: delta.size() ≤ m_count, as above.
WellSeparation check_well_separation_part(std::span<const double> delta, std::int64_t m_count,
                                          double max_norm, double beta,
                                          std::optional<double> radius = std::nullopt);

/// The same for the raw or the spherical separations of a report (of the whole set, or of one
/// part of a partitioned set: the threshold is always that of report.m memories).
WellSeparation check_well_separation(const kernels::SeparationReport& report,
                                     SeparationSpace space, double beta,
                                     std::optional<double> radius = std::nullopt);

struct CapacityResult {
  std::int64_t capacity = 0;   ///< largest M found with Δ_min(M) ≥ Δ_th (≥ 1)
  bool limit_reached = false;  ///< the condition still held at the search limit
  double delta_min = 0.0;      ///< Δ_min(capacity)
  double threshold = 0.0;      ///< Δ_th at capacity
};

/// Default search limit of the capacity searches.
constexpr std::int64_t kCapacitySearchLimit = std::int64_t{1} << 62;

/// Largest M ≤ m_limit with delta_min_of_m(M) ≥ Δ_th(β, M, m, R(M)); see the file comment.
/// delta_min_of_m must not return NaN (KernelError). Pre: β > 0, m > 0, m_limit ≥ 1.
CapacityResult theoretical_capacity(const std::function<double(std::int64_t)>& delta_min_of_m,
                                    double beta, double max_norm,
                                    std::optional<double> radius = std::nullopt,
                                    std::int64_t m_limit = kCapacitySearchLimit);

/// Capacity implied by the Prop 3.1 lower bound on the optimal code's Δ_min on S^{dim−1}
/// (e.g. dim = D_Φ), with unit-norm memories (m = 1): an M-point code at least that separated
/// exists, so at least this many memories can be provably stored. Pre: dim ≥ 2.
CapacityResult prop31_capacity(std::int64_t dim, double beta,
                               std::optional<double> radius = std::nullopt,
                               std::int64_t m_limit = kCapacitySearchLimit);

/// The same at the strongest valid lower bound on the optimal code's Δ_min: the larger of
/// Prop 3.1's and the CSW bound's (an M-point code with 1 − cos θ ≥ Δ_csw(M) exists, where
/// Δ_csw(M) is the largest separation with csw_count(dim, θ) ≥ M). CSW is the larger wherever it
/// was checked (1.3 to 3 times Prop 3.1's separation), so this capacity is never below
/// prop31_capacity. The condition at M is evaluated without inverting CSW: Δ_csw(M) ≥ Δ_th(M)
/// exactly when csw_count(dim, arccos(1 − Δ_th(M))) ≥ M. Pre: dim ≥ 2.
CapacityResult best_lower_capacity(std::int64_t dim, double beta,
                                   std::optional<double> radius = std::nullopt,
                                   std::int64_t m_limit = kCapacitySearchLimit);

}  // namespace hopcap
