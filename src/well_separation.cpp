#include "hopcap/well_separation.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "hopcap/bounds.hpp"
#include "hopcap/error.hpp"

namespace hopcap {
namespace {

void require_params(double beta, std::int64_t m_count, double max_norm) {
  require(std::isfinite(beta) && beta > 0.0,
          "well-separation: beta must be finite and > 0, got " + std::to_string(beta));
  require(m_count >= 1,
          "well-separation: number of memories M must be >= 1, got " + std::to_string(m_count));
  require(std::isfinite(max_norm) && max_norm > 0.0,
          "well-separation: max norm m must be finite and > 0, got " + std::to_string(max_norm));
}

void require_radius(double radius) {
  require(std::isfinite(radius) && radius > 0.0,
          "well-separation: radius R must be finite and > 0, got " + std::to_string(radius));
}

double radius_or_default(std::optional<double> radius, double beta, std::int64_t m_count,
                         double max_norm) {
  return radius ? *radius : ramsauer_radius(beta, m_count, max_norm);
}

}  // namespace

double ramsauer_radius(double beta, std::int64_t m_count, double max_norm) {
  require_params(beta, m_count, max_norm);
  return 1.0 / (beta * static_cast<double>(m_count) * max_norm);
}

double well_separation_threshold(double beta, std::int64_t m_count, double max_norm,
                                 double radius) {
  require_params(beta, m_count, max_norm);
  require_radius(radius);
  if (m_count == 1) return -std::numeric_limits<double>::infinity();
  // Sum of logarithms: 2(M−1)m/R itself may overflow for huge M and tiny R.
  const double log_term = std::log(2.0) + std::log(static_cast<double>(m_count - 1)) +
                          std::log(max_norm) - std::log(radius);
  return log_term / beta + 2.0 * max_norm * radius;
}

double retrieval_error_bound(double delta, double beta, std::int64_t m_count, double max_norm,
                             double radius) {
  require_params(beta, m_count, max_norm);
  require_radius(radius);
  if (std::isnan(delta)) throw KernelError("retrieval_error_bound: separation is NaN");
  if (m_count == 1) return 0.0;
  return 2.0 * max_norm * static_cast<double>(m_count - 1) *
         std::exp(-beta * (delta - 2.0 * max_norm * radius));
}

WellSeparation check_well_separation(std::span<const double> delta, double max_norm, double beta,
                                     std::optional<double> radius) {
  require(!delta.empty(), "well-separation: needs at least one memory");
  return check_well_separation_part(delta, static_cast<std::int64_t>(delta.size()), max_norm, beta, radius);
}

WellSeparation check_well_separation_part(std::span<const double> delta, std::int64_t m_count, double max_norm,
                                          double beta, std::optional<double> radius) {
  require(static_cast<std::int64_t>(delta.size()) <= m_count,
          "well-separation: a part of " + std::to_string(delta.size()) + " memories of a set of " +
              std::to_string(m_count));
  WellSeparation out;
  out.m_count = m_count;
  out.beta = beta;
  out.max_norm = max_norm;
  out.radius = radius_or_default(radius, beta, m_count, max_norm);
  out.threshold = well_separation_threshold(beta, m_count, max_norm, out.radius);
  out.stored.resize(delta.size());
  for (std::size_t mu = 0; mu < delta.size(); ++mu) {
    if (std::isnan(delta[mu])) {
      throw KernelError("well-separation: separation of memory " + std::to_string(mu) +
                        " is NaN");
    }
    const bool ok = delta[mu] >= out.threshold;
    out.stored[mu] = ok ? 1 : 0;
    out.stored_count += ok ? 1 : 0;
  }
  return out;
}

WellSeparation check_well_separation(const kernels::SeparationReport& report,
                                     SeparationSpace space, double beta,
                                     std::optional<double> radius) {
  // report.m is M of the whole set also when the report's rows are one part of it.
  if (space == SeparationSpace::raw) {
    return check_well_separation_part(report.raw_delta, report.m, report.max_norm, beta, radius);
  }
  std::vector<double> delta(report.row_max_cos.size());
  for (std::size_t mu = 0; mu < delta.size(); ++mu) delta[mu] = 1.0 - report.row_max_cos[mu];
  return check_well_separation_part(delta, report.m, 1.0, beta, radius);
}

namespace {

// Largest M ≤ m_limit where `holds` is true, for a condition true at M = 1 and, beyond some M,
// false (doubling, then bisection); {capacity, limit reached}.
std::pair<std::int64_t, bool> largest_m_where(const std::function<bool(std::int64_t)>& holds,
                                              std::int64_t m_limit) {
  std::int64_t lo = 1;
  std::int64_t hi = 0;  // first M found to fail; 0 while none is known
  while (lo < m_limit) {
    const std::int64_t probe = lo > m_limit / 2 ? m_limit : 2 * lo;
    if (holds(probe)) {
      lo = probe;
    } else {
      hi = probe;
      break;
    }
  }
  if (hi == 0) return {lo, true};
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (holds(mid) ? lo : hi) = mid;
  }
  return {lo, false};
}

void require_search(double beta, std::optional<double> radius, std::int64_t m_limit) {
  require_params(beta, 1, 1.0);
  if (radius) require_radius(*radius);
  require(m_limit >= 1, "theoretical capacity: search limit must be >= 1, got " +
                            std::to_string(m_limit));
}

}  // namespace

CapacityResult theoretical_capacity(const std::function<double(std::int64_t)>& delta_min_of_m,
                                    double beta, double max_norm, std::optional<double> radius,
                                    std::int64_t m_limit) {
  require_params(beta, 1, max_norm);
  require_search(beta, radius, m_limit);
  require(static_cast<bool>(delta_min_of_m), "theoretical capacity: no Delta_min(M) given");

  auto evaluate = [&](std::int64_t m, double& delta, double& threshold) {
    delta = delta_min_of_m(m);
    if (std::isnan(delta)) {
      throw KernelError("theoretical capacity: Delta_min(" + std::to_string(m) + ") is NaN");
    }
    threshold = well_separation_threshold(beta, m, max_norm,
                                          radius_or_default(radius, beta, m, max_norm));
    return delta >= threshold;
  };
  double delta = 0.0;
  double threshold = 0.0;
  // M = 1 always holds: its threshold is −∞.
  const auto [capacity, limit_reached] =
      largest_m_where([&](std::int64_t m) { return evaluate(m, delta, threshold); }, m_limit);
  CapacityResult result;
  result.capacity = capacity;
  result.limit_reached = limit_reached;
  evaluate(capacity, result.delta_min, result.threshold);
  return result;
}

CapacityResult best_lower_capacity(std::int64_t dim, double beta, std::optional<double> radius,
                                   std::int64_t m_limit) {
  require(dim >= 2, "best_lower_capacity: dimension must be >= 2, got " + std::to_string(dim));
  require_search(beta, radius, m_limit);
  const auto threshold_at = [&](std::int64_t m) {
    return well_separation_threshold(beta, m, 1.0, radius_or_default(radius, beta, m, 1.0));
  };
  const auto holds = [&](std::int64_t m) {
    if (m == 1) return true;
    const double threshold = threshold_at(m);
    if (bounds::prop31_lower(m, dim) >= threshold) return true;
    if (threshold <= 0.0) return true;
    if (threshold >= 2.0) return false;  // no two points are more than Δ = 2 apart
    const double theta = 2.0 * std::asin(std::sqrt(0.5 * threshold));
    return bounds::csw_log2_count(dim, theta) >= std::log2(static_cast<double>(m));
  };
  const auto [capacity, limit_reached] = largest_m_where(holds, m_limit);
  CapacityResult result;
  result.capacity = capacity;
  result.limit_reached = limit_reached;
  result.threshold = threshold_at(capacity);
  result.delta_min = capacity >= 2 ? std::max(bounds::prop31_lower(capacity, dim),
                                              bounds::separation_of_angle(bounds::csw_lower_angle(dim, capacity)))
                                   : bounds::prop31_lower(1, dim);
  return result;
}

CapacityResult prop31_capacity(std::int64_t dim, double beta, std::optional<double> radius,
                               std::int64_t m_limit) {
  require(dim >= 2, "prop31_capacity: dimension must be >= 2, got " + std::to_string(dim));
  return theoretical_capacity(
      [dim](std::int64_t m) { return bounds::prop31_lower(m, dim); }, beta, 1.0, radius,
      m_limit);
}

}  // namespace hopcap
