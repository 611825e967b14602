#include "hopcap/bounds.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

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

// Jacobi polynomials P_k^{(α,β)}(x) / P_k^{(α,β)}(1) at one x, one degree per step(), by the
// three-term recurrence rewritten for the normalised values (P_k(1) = C(k+α, k) overflows for
// the degrees and α of large n, the ratios do not). For large n they fall like x^k and would
// underflow: the pair (previous, value) is then rescaled by one positive factor, which keeps
// every sign and the ratio of the pair, all that the bound uses.
class NormalizedJacobi {
 public:
  NormalizedJacobi(double alpha, double beta, double x) : alpha_(alpha), beta_(beta), x_(x) {}
  std::int64_t degree() const { return k_; }
  double value() const { return current_; }
  double previous() const { return previous_; }
  void step() {
    const double a = alpha_, b = beta_;
    ++k_;
    double next = 0.0;
    if (k_ == 1) {
      next = ((a + 1.0) + (a + b + 2.0) * (x_ - 1.0) / 2.0) / (a + 1.0);
    } else {
      const double k = static_cast<double>(k_);
      const double s = 2.0 * k + a + b;
      const double ak = 2.0 * k * (k + a + b) * (s - 2.0);
      const double bk = (s - 1.0) * (s * (s - 2.0) * x_ + a * a - b * b);
      const double ck = 2.0 * (k + a - 1.0) * (k + b - 1.0) * s;
      const double r1 = k / (k + a);                              // P_{k−1}(1) / P_k(1)
      const double r2 = k * (k - 1.0) / ((k + a) * (k + a - 1.0));  // P_{k−2}(1) / P_k(1)
      next = (bk * r1 * current_ - ck * r2 * previous_) / ak;
    }
    previous_ = current_;
    current_ = next;
    if (std::abs(current_) < 1e-200 && std::abs(previous_) < 1e-200) {
      current_ *= 1e200;
      previous_ *= 1e200;
    }
  }

 private:
  double alpha_, beta_, x_;
  std::int64_t k_ = 0;
  double current_ = 1.0;
  double previous_ = 0.0;
};

double log2_binomial(double top, double bottom) {
  return (std::lgamma(top + 1.0) - std::lgamma(bottom + 1.0) - std::lgamma(top - bottom + 1.0)) /
         std::numbers::ln2;
}

struct LevenshteinPiece {
  std::int64_t degree = 0;  // τ; 0 when beyond levenshtein_max_degree
  double log2_count = 0.0;
};

// The piece of Levenshtein's bound at s. The index k of the interval comes from signs alone: for
// orthogonal polynomials with interlacing zeros, the smallest j with P_j(s) ≤ 0 has
// t_{j−1} < s ≤ t_j (above t_j every P_i, i ≤ j, is positive; between t_{j−1} and t_j, P_j is
// not). With k_a for the family (1,0) and k_b for (1,1), t^{1,1}_{k−1} < t^{1,0}_k < t^{1,1}_k
// leaves two cases: k_a = k_b = k (odd piece 2k−1) or k_a = k_b + 1 (even piece 2k, k = k_b).
LevenshteinPiece levenshtein_piece(std::int64_t n, double s) {
  const double half = 0.5 * static_cast<double>(n - 3);
  NormalizedJacobi p10(half + 1.0, half, s);
  NormalizedJacobi p11(half + 1.0, half + 1.0, s);
  std::int64_t ka = 0;
  std::int64_t kb = 0;
  while (kb == 0 || (ka == 0 && p10.degree() <= kb)) {
    if (p11.degree() >= levenshtein_max_degree) return {};
    p10.step();
    p11.step();
    if (ka == 0 && p10.value() <= 0.0) ka = p10.degree();
    if (kb == 0 && p11.value() <= 0.0) kb = p11.degree();
  }
  const std::int64_t k = kb;
  const bool odd = ka != 0 && ka <= kb;
  // Both pieces use a ratio of two consecutive degrees, which shares one scale: P_{k−1}, P_k for
  // the odd piece, P_k, P_{k+1} for the even one.
  NormalizedJacobi gegenbauer(half, half, s);
  while (gegenbauer.degree() < (odd ? k : k + 1)) gegenbauer.step();
  const double nd = static_cast<double>(n);
  const double kd = static_cast<double>(k);
  LevenshteinPiece piece;
  double bracket = 0.0;
  if (odd) {
    const double pk_minus = gegenbauer.previous();  // P_{k−1}
    const double pk = gegenbauer.value();           // P_k
    piece.degree = 2 * k - 1;
    bracket = (2.0 * kd + nd - 3.0) / (nd - 1.0) - (pk_minus - pk) / ((1.0 - s) * pk);
    piece.log2_count = log2_binomial(kd + nd - 3.0, kd - 1.0);
  } else {
    const double pk = gegenbauer.previous();     // P_k
    const double pk_plus = gegenbauer.value();   // P_{k+1}
    piece.degree = 2 * k;
    bracket = (2.0 * kd + nd - 1.0) / (nd - 1.0) -
              (1.0 + s) * (pk - pk_plus) / ((1.0 - s) * (pk + pk_plus));
    piece.log2_count = log2_binomial(kd + nd - 2.0, kd);
  }
  if (!(bracket > 0.0) || !std::isfinite(bracket)) {
    throw KernelError("levenshtein bound: non-positive factor " + std::to_string(bracket) +
                      " at n = " + std::to_string(n) + ", s = " + std::to_string(s));
  }
  piece.log2_count += std::log2(bracket);
  piece.log2_count += 1e-12 * (1.0 + std::abs(piece.log2_count));
  return piece;
}

void require_levenshtein(const char* what, std::int64_t n, double theta) {
  require(n >= 2, std::string(what) + ": dimension n must be >= 2, got " + std::to_string(n));
  require(theta > 0.0 && theta <= kPi,
          std::string(what) + ": needs 0 < theta <= 180 deg, got " + deg_text(theta));
}

// The largest angle where `holds` (true for small θ, false for large) is true and the smallest
// where it is false, to a relative width of 1e-15: {lo, hi}, lo = 0 if it never held, hi = π if
// it always held.
template <class F>
std::pair<double, double> angle_switch(const F& holds) {
  if (holds(kPi)) return {kPi, kPi};
  double lo = 0.0;
  double hi = kPi;
  for (int iter = 0; iter < 2000 && hi - lo > 1e-15 * hi; ++iter) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    (holds(mid) ? lo : hi) = mid;
  }
  return {lo, hi};
}

void require_angle_args(const char* what, std::int64_t n, std::int64_t m) {
  require(n >= 2, std::string(what) + ": dimension n must be >= 2, got " + std::to_string(n));
  require(m >= 2, std::string(what) + ": number of points M must be >= 2, got " +
                      std::to_string(m));
}

// θ with 1 − cos θ = Δ, 180° for Δ ≥ 2.
double angle_of_separation(double delta) {
  if (delta >= 2.0) return kPi;
  return 2.0 * std::asin(std::sqrt(0.5 * delta));
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
  // b → 0 as θ → 90° (b log b → 0), where sin θ may round to 1.
  return a * std::log2(a) - (b > 0.0 ? b * std::log2(b) : 0.0);
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

double levenshtein_log2_count(std::int64_t n, double theta) {
  require_levenshtein("levenshtein_log2_count", n, theta);
  const LevenshteinPiece piece = levenshtein_piece(n, std::cos(theta));
  return piece.degree == 0 ? std::numeric_limits<double>::infinity() : piece.log2_count;
}

std::int64_t levenshtein_degree(std::int64_t n, double theta) {
  require_levenshtein("levenshtein_degree", n, theta);
  return levenshtein_piece(n, std::cos(theta)).degree;
}

double csw_lower_angle(std::int64_t n, std::int64_t m) {
  require_angle_args("csw_lower_angle", n, m);
  const double target = std::log2(static_cast<double>(m));
  return angle_switch([&](double t) { return csw_log2_count(n, t) >= target; }).first;
}

double levenshtein_upper_angle(std::int64_t n, std::int64_t m) {
  require_angle_args("levenshtein_upper_angle", n, m);
  const double target = std::log2(static_cast<double>(m));
  return angle_switch([&](double t) { return levenshtein_log2_count(n, t) >= target; }).second;
}

double rankin_upper_angle(std::int64_t n, std::int64_t m) {
  require(n >= 1, "rankin_upper_angle: dimension n must be >= 1, got " + std::to_string(n));
  require(m >= 2, "rankin_upper_angle: number of points M must be >= 2, got " + std::to_string(m));
  // floor(1 − 1/cos θ) < M exactly when cos θ < −1/(M−1); n+1 < M already at any θ > 90°.
  if (m <= n + 1) return std::acos(-1.0 / static_cast<double>(m - 1));
  return kHalfPi;
}

double separation_of_angle(double theta) {
  // 2 sin²(θ/2) keeps small separations exact; above 60° 1 − cos θ has no cancellation and gives
  // 90° exactly 1.
  if (theta > kPi / 3.0) return 1.0 - std::cos(theta);
  const double h = std::sin(0.5 * theta);
  return 2.0 * h * h;
}

OptimalAngleBounds optimal_angle_bounds(std::int64_t n, std::int64_t m) {
  require_angle_args("optimal_angle_bounds", n, m);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  OptimalAngleBounds b;
  b.dim = n;
  b.count = m;
  b.prop31_lower = angle_of_separation(prop31_lower(m, n));
  b.prop31_upper = angle_of_separation(prop31_upper(m, n));
  b.csw_lower = csw_lower_angle(n, m);
  b.levenshtein_upper = levenshtein_upper_angle(n, m);
  b.rankin_upper = rankin_upper_angle(n, m);
  b.fejes_toth_upper = n == 3 && m >= 3 ? fejes_toth_max_angle(m) : nan;
  // Ties go to the first in each list.
  const std::array<std::pair<const char*, double>, 2> lower = {
      {{"csw_lower", b.csw_lower}, {"prop31_lower", b.prop31_lower}}};
  b.best_lower_name = lower[0].first;
  b.best_lower = lower[0].second;
  for (const auto& [name, angle] : lower) {
    if (angle > b.best_lower) {
      b.best_lower_name = name;
      b.best_lower = angle;
    }
  }
  const std::array<std::pair<const char*, double>, 4> upper = {
      {{"rankin_upper", b.rankin_upper},
       {"fejes_toth_upper", b.fejes_toth_upper},
       {"levenshtein_upper", b.levenshtein_upper},
       {"prop31_upper", b.prop31_upper}}};
  b.best_upper_name = upper[0].first;
  b.best_upper = upper[0].second;
  for (const auto& [name, angle] : upper) {
    if (angle < b.best_upper) {  // NaN never wins
      b.best_upper_name = name;
      b.best_upper = angle;
    }
  }
  b.kl_asymptotic_rate =
      b.best_lower > 0.0 && b.best_lower < kHalfPi ? kl_combined_rate(b.best_lower) : nan;
  return b;
}

double fejes_toth_max_angle(std::int64_t n) {
  require(n >= 3, "fejes_toth_max_angle: needs N >= 3 points, got " + std::to_string(n));
  // With ω = π/6 + δ, δ = π/(3(N−2)): √3 − cot ω = 2 sin δ / sin(δ + π/6), so
  // 1 − cos θ = (3 − cot²ω)/2 keeps its accuracy for large N, where cos θ → 1.
  const double delta = kPi / (3.0 * (static_cast<double>(n) - 2.0));
  const double root3 = std::sqrt(3.0);
  const double gap = 2.0 * std::sin(delta) / std::sin(delta + kPi / 6.0);
  const double separation = 0.5 * gap * (2.0 * root3 - gap);
  return 2.0 * std::asin(std::sqrt(std::clamp(0.5 * separation, 0.0, 1.0)));
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
