#include "hopcap/kernels/separation.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/kernels/exp.hpp"
#include "kernels/parallel_panels.hpp"

namespace hopcap {

Separation Separation::parse(std::string_view text) {
  const NamedValue<SeparationKind> named = kSeparationNames.parse_parametric(text);
  switch (named.value) {
    case SeparationKind::softmax: return {SeparationKind::softmax, 1.0};
    case SeparationKind::sparsemax: return {SeparationKind::sparsemax, 2.0};
    case SeparationKind::entmax15: return {SeparationKind::entmax15, 1.5};
    case SeparationKind::entmax: break;
  }
  const std::string_view value = *named.parameter;
  double alpha = 0.0;
  const auto* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, alpha);
  if (ec != std::errc{} || ptr != end || value.empty() || !std::isfinite(alpha)) {
    throw ConfigError("separation function '" + std::string(text) + "': cannot read alpha from '" +
                      std::string(value) + "'");
  }
  if (!(alpha > 1.0)) {
    throw ConfigError("separation function '" + std::string(text) +
                      "': entmax needs alpha > 1 (use softmax for alpha = 1)");
  }
  // The alphas of the named maps select their exact algorithms.
  if (alpha == 1.5) return {SeparationKind::entmax15, 1.5};
  if (alpha == 2.0) return {SeparationKind::sparsemax, 2.0};
  return {SeparationKind::entmax, alpha};
}

std::string Separation::name() const {
  if (kind != SeparationKind::entmax) return std::string(kSeparationNames.name(kind));
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, alpha);
  return "entmax:" + std::string(buf, ptr);
}

double Separation::metastable_threshold() const {
  return kind == SeparationKind::softmax ? 0.01 : 0.0;
}

namespace kernels {
namespace {

void check_input(std::span<const double> z, std::span<double> p) {
  if (z.empty()) throw KernelError("separation: empty score vector");
  if (p.size() != z.size()) throw KernelError("separation: output size differs from input size");
}

double max_finite(std::span<const double> z) {
  double m = -std::numeric_limits<double>::infinity();
  for (double v : z) {
    if (!std::isfinite(v)) throw KernelError("separation: non-finite score");
    m = std::max(m, v);
  }
  return m;
}

void softmax(std::span<const double> z, std::span<double> p) {
  const double zmax = max_finite(z);
  // exp(z − max) ≤ 1: no overflow; the maximum contributes exactly 1, so sum ≥ 1.
  const double sum = exp_shifted_sum(z.data(), zmax, static_cast<std::int64_t>(z.size()), p.data());
  const double inv = 1.0 / sum;
  for (std::size_t i = 0; i < z.size(); ++i) p[i] *= inv;
}

// Sparsemax (Martins & Astudillo 2016): p = [z − τ]_+, τ from the sorted scores. Scores are
// shifted by their maximum first, so τ is computed from differences of order one and stays
// exact for scores of any magnitude (β·s up to 10⁴ and beyond).
void sparsemax(std::span<const double> z, std::span<double> p, std::vector<double>& sorted) {
  const double zmax = max_finite(z);
  // The largest weight is at most 1, so τ ≥ max − 1: only scores above max − 1 can be in the
  // support, and only they need sorting (a few of thousands at typical β).
  sorted.clear();
  for (double v : z) {
    if (v - zmax > -1.0) sorted.push_back(v - zmax);
  }
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  double cumulative = 0.0;
  double tau = 0.0;
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    cumulative += sorted[k];
    const double candidate = (cumulative - 1.0) / static_cast<double>(k + 1);
    if (sorted[k] > candidate) {
      tau = candidate;  // support still contains the (k+1)-th largest score
    } else {
      break;
    }
  }
  for (std::size_t i = 0; i < z.size(); ++i) p[i] = std::max((z[i] - zmax) - tau, 0.0);
}

// 1.5-entmax (Peters, Niculae & Martins 2019): p = [z/2 − τ]_+², τ solved exactly per support
// size from the mean and variance of the largest k scores.
void entmax15(std::span<const double> z, std::span<double> p, std::vector<double>& sorted) {
  // Shift by the maximum so sums of squares stay well-conditioned for large scores.
  const double shift = 0.5 * max_finite(z);
  const std::size_t n = z.size();
  // The largest weight is at most 1, so τ ≥ max/2 − 1: only entries above that threshold can be
  // in the support (or change its size count below), and only they need sorting.
  sorted.clear();
  for (double v : z) {
    if (0.5 * v - shift > -1.0) sorted.push_back(0.5 * v);
  }
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  // Support size = number of k with τ_k ≤ s_(k); τ* = τ at that size.
  double sum = 0.0, sum_sq = 0.0, tau = 0.0;
  std::size_t support = 0;
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    const double s = sorted[k] - shift;
    sum += s;
    sum_sq += s * s;
    const double count = static_cast<double>(k + 1);
    const double mean = sum / count;
    const double spread = sum_sq - count * mean * mean;  // Σ (s − mean)² over the top k+1
    const double delta = std::max((1.0 - spread) / count, 0.0);
    const double candidate = mean - std::sqrt(delta);
    if (candidate <= s) {
      ++support;
      if (support == k + 1) tau = candidate;  // relative to the shift
    }
  }
  if (support == 0) throw KernelError("entmax15: empty support (non-finite scores?)");
  for (std::size_t i = 0; i < n; ++i) {
    const double t = std::max((0.5 * z[i] - shift) - tau, 0.0);
    p[i] = t * t;
  }
}

// General α-entmax: p_i ∝ [z_i − t]_+^{1/(α−1)} with t the root of
// Σ [(α−1)(z_i − t)]_+^{1/(α−1)} = 1, found by bisection until the bracket stops shrinking.
// Working with t = θ/(α−1) keeps the precision as α → 1; working with z − max z keeps it for
// scores of any magnitude.
void entmax_bisect(double alpha, std::span<const double> z, std::span<double> p,
                   std::vector<double>& candidates) {
  const double zmax = max_finite(z);
  const std::size_t n = z.size();
  const double am1 = alpha - 1.0;
  const double exponent = 1.0 / am1;
  auto weight = [&](double shifted, double t) {
    const double u = am1 * (shifted - t);
    return u > 0.0 ? std::pow(u, exponent) : 0.0;
  };
  // t ≥ max − 1/(α−1) (the largest weight is at most 1): scores at or below that bound weigh
  // nothing at any t the bisection visits, so the mass sums over the others only.
  candidates.clear();
  for (double v : z) {
    if (v - zmax > -1.0 / am1) candidates.push_back(v - zmax);
  }
  auto mass = [&](double t) {
    double s = 0.0;
    for (double c : candidates) s += weight(c, t);
    return s;
  };
  // At t_lo the largest entry alone has mass 1; at t_hi every entry has mass ≤ 1/n.
  double lo = -1.0 / am1;
  double hi = -std::pow(1.0 / static_cast<double>(n), am1) / am1;
  for (int iter = 0; iter < 2000; ++iter) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (mass(mid) >= 1.0) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = weight(z[i] - zmax, lo);
    total += p[i];
  }
  for (std::size_t i = 0; i < n; ++i) p[i] /= total;
}

void separate_with(const Separation& sep, std::span<const double> z, std::span<double> p,
                   std::vector<double>& scratch) {
  check_input(z, p);
  switch (sep.kind) {
    case SeparationKind::softmax: softmax(z, p); return;
    case SeparationKind::sparsemax: sparsemax(z, p, scratch); return;
    case SeparationKind::entmax15: entmax15(z, p, scratch); return;
    case SeparationKind::entmax:
      if (!(sep.alpha > 1.0)) throw KernelError("separation: entmax needs alpha > 1");
      entmax_bisect(sep.alpha, z, p, scratch);
      return;
  }
}

}  // namespace

void separate(const Separation& sep, std::span<const double> z, std::span<double> p) {
  std::vector<double> scratch;
  separate_with(sep, z, p, scratch);
}

void separate_rows(const Separation& sep, const double* z, std::int64_t rows, std::int64_t cols,
                   double* p) {
  if (rows < 0 || cols < 1) throw KernelError("separate_rows: bad block shape");
  // A throw may not cross the OpenMP region: record the first message and rethrow after it.
  std::string error;
  // An exponential or a bisection per entry: some 20 flops each.
#pragma omp parallel default(none) shared(sep, z, rows, cols, p, error) \
    if (worth_a_team(20.0 * static_cast<double>(rows) * static_cast<double>(cols)))
  {
    std::vector<double> scratch;
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < rows; ++i) {
      try {
        const auto n = static_cast<std::size_t>(cols);
        separate_with(sep, std::span<const double>(z + i * cols, n), std::span<double>(p + i * cols, n),
                      scratch);
      } catch (const std::exception& e) {
#pragma omp critical(hopcap_separation_error)
        if (error.empty()) error = e.what();
      }
    }
  }
  if (!error.empty()) throw KernelError(error);
}

double tsallis_entropy(double alpha, std::span<const double> p) {
  double h = 0.0;
  if (alpha == 1.0) {
    for (double v : p) {
      if (v > 0.0) h -= v * std::log(v);
    }
    return h;
  }
  for (double v : p) h += v - std::pow(v, alpha);
  return h / (alpha * (alpha - 1.0));
}

double conjugate(const Separation& sep, std::span<const double> z, std::span<const double> p) {
  if (z.size() != p.size() || z.empty()) throw KernelError("conjugate: sizes differ or are empty");
  if (sep.kind == SeparationKind::softmax) {
    double zmax = -std::numeric_limits<double>::infinity();
    for (double v : z) zmax = std::max(zmax, v);
    double sum = 0.0;
    for (double v : z) sum += std::exp(v - zmax);
    return zmax + std::log(sum);
  }
  double dot = 0.0;
  for (std::size_t i = 0; i < z.size(); ++i) dot += p[i] * z[i];
  return dot + tsallis_entropy(sep.alpha, p);
}

}  // namespace kernels
}  // namespace hopcap
