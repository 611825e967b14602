#include "hopcap/lm_capacity.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "hopcap/error.hpp"

namespace hopcap {
namespace {

void require_lambda(double lambda) {
  if (!(std::isfinite(lambda) && lambda > 0.0)) {
    throw ConfigError("lambda must be a finite number > 0 (got " + std::to_string(lambda) + ")");
  }
}

void require_dimension(std::int64_t d) {
  if (d < 2) throw ConfigError("the Lucibello-Mezard weights need d >= 2 (got " + std::to_string(d) + ")");
}

// ln E[exp(−λd(1 − cos θ)) · f(θ)] over θ with density sin^{d−2}θ / Z on [0, π], where
// Z = √π Γ((d−1)/2) / Γ(d/2). Composite Simpson rule in log space (the integrand is one
// bump of width ~1/√d around the dominant overlap), with enough points to resolve it.
template <class LogFactor>
double log_expectation(double lambda, std::int64_t d, LogFactor log_factor) {
  require_lambda(lambda);
  require_dimension(d);
  const double dd = static_cast<double>(d);
  const double wanted = 400.0 * std::sqrt(dd);
  const auto intervals = 2 * static_cast<std::int64_t>(std::clamp(wanted, 4096.0, 4194304.0) / 2);
  const double h = std::numbers::pi / static_cast<double>(intervals);
  std::vector<double> logs(static_cast<std::size_t>(intervals + 1));
  double peak = -INFINITY;
  for (std::int64_t k = 0; k <= intervals; ++k) {
    const double theta = h * static_cast<double>(k);
    const double half = std::sin(0.5 * theta);
    // 1 − cos θ = 2 sin²(θ/2), without cancellation near θ = 0.
    double l = -2.0 * lambda * dd * half * half + log_factor(theta);
    if (d > 2) l += (dd - 2.0) * std::log(std::sin(theta));  // −∞ at the ends: weight 0
    logs[static_cast<std::size_t>(k)] = l;
    peak = std::max(peak, l);
  }
  double sum = 0.0;
  for (std::int64_t k = 0; k <= intervals; ++k) {
    const double weight = (k == 0 || k == intervals) ? 1.0 : (k % 2 == 1 ? 4.0 : 2.0);
    sum += weight * std::exp(logs[static_cast<std::size_t>(k)] - peak);
  }
  const double log_z = 0.5 * std::log(std::numbers::pi) + std::lgamma(0.5 * (dd - 1.0)) - std::lgamma(0.5 * dd);
  return peak + std::log(sum * h / 3.0) - log_z;
}

}  // namespace

LmThreshold lm_threshold(double lambda) {
  require_lambda(lambda);
  LmThreshold t;
  t.lambda = lambda;
  // (√(1+4λ²) − 1)/(2λ) written as 2λ/(√(1+4λ²) + 1): no cancellation at small λ.
  t.overlap = 2.0 * lambda / (std::sqrt(1.0 + 4.0 * lambda * lambda) + 1.0);
  // φ* solves λφ² + φ − λ = 0, so 1 − φ*² = φ*/λ = 1/(1 + λφ*): ln(1 − φ*²) = −log1p(λφ*),
  // accurate at small λ and where φ* rounds to 1.
  const double log_one_minus_phi2 = -std::log1p(lambda * t.overlap);
  t.g_max = 0.5 * log_one_minus_phi2 + lambda * t.overlap;
  // λ − λφ* = λ(1 − φ*) = λ(1 − φ*²)/(1 + φ*) = φ*/(1 + φ*): no cancellation at large λ.
  t.alpha_c = t.overlap / (1.0 + t.overlap) - 0.5 * log_one_minus_phi2;
  return t;
}

double lm_log_spurious_weight(double lambda, std::int64_t d) {
  return log_expectation(lambda, d, [](double) { return 0.0; });
}

double lm_log_spurious_distance(double lambda, std::int64_t d) {
  // ‖ξ^μ − ξ^1‖ = √(2(1 − cos θ)) = 2 sin(θ/2).
  return log_expectation(lambda, d, [](double theta) { return std::log(2.0 * std::sin(0.5 * theta)); });
}

double lm_rate_at_radius(double lambda, std::int64_t d, double epsilon) {
  if (!(std::isfinite(epsilon) && epsilon > 0.0)) {
    throw ConfigError("epsilon must be a finite number > 0 (got " + std::to_string(epsilon) + ")");
  }
  // ln M_ε = ln(1 + ε/E) = softplus(ln ε − ln E), computed without overflow.
  const double t = std::log(epsilon) - lm_log_spurious_distance(lambda, d);
  const double log_m = t > 0.0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t));
  return log_m / static_cast<double>(d);
}

double lm_rate_at_radius_asymptotic(double lambda, std::int64_t d, double epsilon) {
  if (!(std::isfinite(epsilon) && epsilon > 0.0)) {
    throw ConfigError("epsilon must be a finite number > 0 (got " + std::to_string(epsilon) + ")");
  }
  require_dimension(d);
  const LmThreshold t = lm_threshold(lambda);
  const double phi = t.overlap;
  // 1 − φ*² = φ*/λ and 1 − φ* = φ*/(λ(1 + φ*)), exact forms that keep precision at large λ.
  const double one_minus_phi4 = phi / lambda * (1.0 + phi * phi);
  const double one_minus_phi = phi / (lambda * (1.0 + phi));
  const double correction = std::log(epsilon) + 0.5 * std::log(one_minus_phi4) - 0.5 * std::log(2.0 * one_minus_phi);
  return t.alpha_c + correction / static_cast<double>(d);
}

}  // namespace hopcap
