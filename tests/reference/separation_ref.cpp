#include "separation_ref.hpp"

#include <cmath>

namespace hopcap::ref {

std::vector<double> softmax(std::span<const double> z) {
  std::vector<double> p(z.size());
  for (std::size_t i = 0; i < z.size(); ++i) {
    long double denominator = 0.0L;
    for (std::size_t j = 0; j < z.size(); ++j) {
      denominator += std::exp(static_cast<long double>(z[j]) - static_cast<long double>(z[i]));
    }
    p[i] = static_cast<double>(1.0L / denominator);
  }
  return p;
}

std::vector<double> entmax(double alpha, std::span<const double> z) {
  const long double am1 = static_cast<long double>(alpha) - 1.0L;
  const long double exponent = 1.0L / am1;
  auto weight = [&](std::size_t i, long double theta) {
    const long double u = am1 * static_cast<long double>(z[i]) - theta;
    return u > 0.0L ? std::pow(u, exponent) : 0.0L;
  };
  auto mass = [&](long double theta) {
    long double s = 0.0L;
    for (std::size_t i = 0; i < z.size(); ++i) s += weight(i, theta);
    return s;
  };
  // Bracket: mass is ≥ 1 at lo and 0 at hi, and decreases in θ.
  long double hi = am1 * static_cast<long double>(z[0]);
  for (double v : z) hi = std::max(hi, am1 * static_cast<long double>(v));
  long double lo = hi - 1.0L;
  for (int iter = 0; iter < 400; ++iter) {
    const long double mid = 0.5L * (lo + hi);
    (mass(mid) >= 1.0L ? lo : hi) = mid;
  }
  const long double total = mass(lo);
  std::vector<double> p(z.size());
  for (std::size_t i = 0; i < z.size(); ++i) p[i] = static_cast<double>(weight(i, lo) / total);
  return p;
}

std::vector<double> separate(const Separation& sep, std::span<const double> z) {
  switch (sep.kind) {
    case SeparationKind::softmax:
      return softmax(z);
    case SeparationKind::sparsemax:
      return entmax(2.0, z);
    case SeparationKind::entmax15:
      return entmax(1.5, z);
    case SeparationKind::entmax:
      return entmax(sep.alpha, z);
  }
  return {};
}

}  // namespace hopcap::ref
