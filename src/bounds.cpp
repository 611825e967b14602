#include "hopcap/bounds.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "hopcap/error.hpp"

namespace hopcap::bounds {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kHalfPi = std::numbers::pi / 2.0;
// |cos θ| at or below this counts as θ = π/2 in the Rankin bounds.
constexpr double kRightAngleCos = 1e-12;

std::string deg_text(double theta) { return std::to_string(degrees(theta)) + " deg"; }

void require_m_d(const char* what, std::int64_t m, std::int64_t d) {
  require(m >= 1, std::string(what) + ": number of points M must be >= 1, got " +
                      std::to_string(m));
  require(d >= 2, std::string(what) + ": dimension d must be >= 2, got " + std::to_string(d));
}

void require_open_acute(const char* what, double theta) {
  require(theta > 0.0 && theta < kHalfPi,
          std::string(what) + ": needs 0 < theta < 90 deg, got " + deg_text(theta));
}

// 20-point Gauss–Legendre rule on [−1, 1], nodes found once by Newton's method on P_20.
struct GaussLegendre {
  static constexpr int kPoints = 20;
  std::array<double, kPoints> node{};
  std::array<double, kPoints> weight{};

  GaussLegendre() {
    for (int i = 0; i < kPoints; ++i) {
      double x = std::cos(kPi * (i + 0.75) / (kPoints + 0.5));
      double dp = 0.0;
      for (int iter = 0; iter < 100; ++iter) {
        double p0 = 1.0;
        double p1 = x;
        for (int k = 2; k <= kPoints; ++k) {
          const double p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = kPoints * (x * p1 - p0) / (x * x - 1.0);
        const double step = p1 / dp;
        x -= step;
        if (std::abs(step) < 1e-16) break;
      }
      node[static_cast<std::size_t>(i)] = x;
      weight[static_cast<std::size_t>(i)] = 2.0 / ((1.0 - x * x) * dp * dp);
    }
  }
};

template <class F>
double gauss_legendre(const F& f, double a, double b) {
  static const GaussLegendre rule;
  const double half = 0.5 * (b - a);
  const double mid = 0.5 * (a + b);
  double s = 0.0;
  for (std::size_t i = 0; i < GaussLegendre::kPoints; ++i) {
    s += rule.weight[i] * f(mid + half * rule.node[i]);
  }
  return half * s;
}

// Bisects a panel until one 20-point rule and the sum over its two halves agree to `tol`, or to
// the rounding level of the integrand, which keeps the recursion from chasing noise.
template <class F>
double adaptive(const F& f, double a, double b, double whole, double tol, int depth) {
  const double mid = 0.5 * (a + b);
  const double left = gauss_legendre(f, a, mid);
  const double right = gauss_legendre(f, mid, b);
  const double halves = left + right;
  const double noise = 64.0 * std::numeric_limits<double>::epsilon() * std::abs(halves);
  if (depth <= 0 || std::abs(halves - whole) <= std::max(tol, noise)) return halves;
  return adaptive(f, a, mid, left, 0.5 * tol, depth - 1) +
         adaptive(f, mid, b, right, 0.5 * tol, depth - 1);
}

// ∫_0^length g(u) du for g largest at u = 0 and decaying on the scale `width`. Panels double in
// length away from u = 0, so a peak much narrower than the interval (large n) is resolved.
template <class G>
double graded_integral(const G& g, double length, double width) {
  double total = 0.0;
  double near = 0.0;
  double far = std::min(width, length);
  while (near < length) {
    const double whole = gauss_legendre(g, near, far);
    total += adaptive(g, near, far, whole, 1e-15 * std::max(total, whole), 24);
    near = far;
    far = std::min(2.0 * far, length);
  }
  return total;
}

// ln of ∫_0^θ sin^{n−2} t dt for n ≥ 4 and 0 < θ ≤ π. With p = min(θ, π/2) the integrand is
// written in the distance u from p and divided by its maximum sin^{n−2} p:
//   t = p − u:     (sin t / sin p)^{n−2} = exp((n−2) log1p(−2 sin²(u/2) − cot p · sin u)),
//   t = π/2 + u:   sin^{n−2} t           = exp((n−2) log1p(−2 sin²(u/2))).
// Both forms keep full relative accuracy for large n, where exp((n−2) log sin t) would lose
// (n−2)·ε to the rounding of sin t.
double log_sine_power_integral(std::int64_t n, double theta) {
  const double power = static_cast<double>(n - 2);
  const double peak = std::min(theta, kHalfPi);
  const double cot_peak = theta >= kHalfPi ? 0.0 : std::cos(peak) / std::sin(peak);
  auto ratio_power = [power](double arg) {
    return arg <= -1.0 ? 0.0 : std::exp(power * std::log1p(arg));
  };
  const auto left = [&](double u) {
    const double h = std::sin(0.5 * u);
    return ratio_power(-2.0 * h * h - cot_peak * std::sin(u));
  };
  const auto right = [&](double u) {
    const double h = std::sin(0.5 * u);
    return ratio_power(-2.0 * h * h);
  };
  // Near u = 0, ln of the integrand ≈ −power·(cot p · u + u²/2).
  const double width = 1.0 / (power * cot_peak + std::sqrt(power));
  double total = graded_integral(left, peak, width);
  if (theta > kHalfPi) total += graded_integral(right, theta - kHalfPi, width);
  return power * std::log(std::sin(peak)) + std::log(total);
}

// ln(Γ(x + ½) / Γ(x)) for x > 0. An lgamma difference loses about ε·lgamma(x) absolutely
// (1e-12 at x = 5000); instead the asymptotic series
//   ½ ln x − 1/(8x) + 1/(192x³) − 1/(640x⁵) + 17/(14336x⁷) − 5115/(3041280x⁹) + …
// (from ln Γ(x+a) − ln Γ(x) = a ln x + Σ_k (−1)^k (B_k(a) − B_k)/(k(k−1)x^{k−1})) is used for
// x ≥ 16, where its first omitted term is below 1e-16, and the recursion
// Γ(x+½)/Γ(x) = [x / (x+½)] · Γ(x+3/2)/Γ(x+1) steps smaller x up to it.
double log_gamma_half_ratio(double x) {
  double log_product = 0.0;
  while (x < 16.0) {
    log_product += std::log(x / (x + 0.5));
    x += 1.0;
  }
  const double r = 1.0 / x;
  const double r2 = r * r;
  // k = 12 term: (2^{−11} − 2) B_12 / (12·11) with B_12 = −691/2730.
  const double c11 = (2.0 - 1.0 / 2048.0) * (691.0 / 2730.0) / 132.0;
  const double series =
      r * (-1.0 / 8.0 +
           r2 * (1.0 / 192.0 +
                 r2 * (-1.0 / 640.0 +
                       r2 * (17.0 / 14336.0 + r2 * (-5115.0 / 3041280.0 + r2 * c11)))));
  return 0.5 * std::log(x) + series + log_product;
}

// ln μ_n(θ) for n ≥ 2, 0 < θ ≤ π.
double log_cap_fraction(std::int64_t n, double theta) {
  if (n == 2) return std::log(theta / kPi);
  if (n == 3) return 2.0 * std::log(std::sin(0.5 * theta));  // (1 − cos θ)/2 = sin²(θ/2)
  // C_n = Γ(n/2) / (√π Γ((n−1)/2)).
  const double log_c =
      log_gamma_half_ratio(0.5 * static_cast<double>(n - 1)) - 0.5 * std::log(kPi);
  return log_c + log_sine_power_integral(n, theta);
}

void require_cap(const char* what, std::int64_t n, double theta, bool allow_zero) {
  require(n >= 2, std::string(what) + ": dimension n must be >= 2, got " + std::to_string(n));
  require((allow_zero ? theta >= 0.0 : theta > 0.0) && theta <= kPi,
          std::string(what) + ": needs " + (allow_zero ? "0 <= " : "0 < ") +
              "theta <= 180 deg, got " + deg_text(theta));
}

}  // namespace

double prop31_lower(std::int64_t m, std::int64_t d) {
  require_m_d("prop31_lower", m, d);
  const double dd = static_cast<double>(d);
  const double log_base = 0.5 * std::log(kPi) - std::log(static_cast<double>(m)) +
                          std::lgamma(0.5 * (dd + 1.0)) - std::lgamma(0.5 * dd + 1.0);
  return 0.5 * std::exp(2.0 / (dd - 1.0) * log_base);
}

double prop31_upper(std::int64_t m, std::int64_t d) {
  require_m_d("prop31_upper", m, d);
  const double dd = static_cast<double>(d);
  const double log_base = std::log(2.0) + 0.5 * std::log(kPi) -
                          std::log(static_cast<double>(m)) + std::lgamma(0.5 * (dd + 1.0)) -
                          std::lgamma(0.5 * dd);
  return 2.0 * std::exp(log_base / (dd - 1.0));
}

double cap_fraction(std::int64_t n, double theta) {
  require_cap("cap_fraction", n, theta, true);
  if (theta == 0.0) return 0.0;
  if (n == 3) return std::pow(std::sin(0.5 * theta), 2);
  return std::exp(log_cap_fraction(n, theta));
}

double log2_cap_fraction(std::int64_t n, double theta) {
  require_cap("log2_cap_fraction", n, theta, false);
  return log_cap_fraction(n, theta) / std::numbers::ln2;
}

double csw_count(std::int64_t n, double theta) {
  require_cap("csw_count", n, theta, false);
  if (n == 3) return 1.0 / std::pow(std::sin(0.5 * theta), 2);
  return std::exp(-log_cap_fraction(n, theta));
}

double csw_log2_count(std::int64_t n, double theta) {
  require_cap("csw_log2_count", n, theta, false);
  return -log_cap_fraction(n, theta) / std::numbers::ln2;
}

double csw_rate(double theta) {
  require(theta > 0.0 && theta <= kHalfPi,
          "csw_rate: needs 0 < theta <= 90 deg, got " + deg_text(theta));
  return -std::log2(std::sin(theta));
}

double kl_rate(double theta) {
  require_open_acute("kl_rate", theta);
  const double s = std::sin(theta);
  const double a = (1.0 + s) / (2.0 * s);
  const double b = (1.0 - s) / (2.0 * s);
  return a * std::log2(a) - b * std::log2(b);
}

double levenshtein_rate(double theta) {
  require(theta > 0.0 && theta <= levenshtein_theta_max,
          "levenshtein_rate: the refinement holds only for 0 < theta <= 62.9974 deg, got " +
              deg_text(theta));
  return -0.5 * std::log2(1.0 - std::cos(theta)) - levenshtein_constant;
}

double kl_combined_rate(double theta) {
  require_open_acute("kl_combined_rate", theta);
  return theta <= levenshtein_theta_max ? levenshtein_rate(theta) : kl_rate(theta);
}

std::int64_t rankin_max_points_cos(std::int64_t n, double c) {
  require(n >= 1, "rankin_max_points: dimension n must be >= 1, got " + std::to_string(n));
  require(c >= -1.0 && c <= 0.0,
          "rankin_max_points: needs a cosine in [-1, 0] (angle >= 90 deg), got " +
              std::to_string(c));
  if (c >= -kRightAngleCos) return 2 * n;
  const double count = std::floor((1.0 - 1.0 / c) * (1.0 + 1e-12));
  return std::min(n + 1, static_cast<std::int64_t>(count));
}

std::int64_t rankin_max_points(std::int64_t n, double theta) {
  // θ ≥ 1 rad only rules out negative angles, whose cosine can be ≤ 0 as well.
  require(theta >= 1.0 && theta <= kPi && std::cos(theta) <= kRightAngleCos,
          "rankin_max_points: needs 90 deg <= theta <= 180 deg, got " + deg_text(theta));
  return rankin_max_points_cos(n, std::min(std::cos(theta), 0.0));
}

double rankin_rate(double theta) {
  require_open_acute("rankin_rate", theta);
  return -0.5 * std::log2(1.0 - std::cos(theta));
}

double fejes_toth_max_angle(std::int64_t n) {
  require(n >= 3, "fejes_toth_max_angle: needs N >= 3 points, got " + std::to_string(n));
  const double nd = static_cast<double>(n);
  const double omega = kPi * nd / (6.0 * (nd - 2.0));
  const double cot = std::cos(omega) / std::sin(omega);
  return std::acos(std::clamp(0.5 * (cot * cot - 1.0), -1.0, 1.0));
}

double simplex_delta(std::int64_t m) {
  require(m >= 2, "simplex_delta: needs M >= 2 points, got " + std::to_string(m));
  const double md = static_cast<double>(m);
  return md / (md - 1.0);
}

double cross_polytope_delta() { return 1.0; }

double polygon_delta(std::int64_t m) {
  require(m >= 2, "polygon_delta: needs M >= 2 points, got " + std::to_string(m));
  const double s = std::sin(kPi / static_cast<double>(m));
  return 2.0 * s * s;
}

double icosahedron_delta() { return 1.0 - 1.0 / std::sqrt(5.0); }
double cell24_delta() { return 0.5; }
double e8_delta() { return 0.5; }
double cell600_delta() { return 1.0 - (1.0 + std::sqrt(5.0)) / 4.0; }

}  // namespace hopcap::bounds
