#include "metrics_ref.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace hopcap::ref {
namespace {

double dot(const Matrix& x, std::int64_t a, std::int64_t b) {
  double s = 0.0;
  for (std::int64_t k = 0; k < x.cols; ++k) s += x(a, k) * x(b, k);
  return s;
}

Matrix normalised(const Matrix& x) {
  Matrix u = x;
  for (std::int64_t i = 0; i < x.rows; ++i) {
    const double n = std::sqrt(dot(x, i, i));
    for (std::int64_t k = 0; k < x.cols; ++k) u(i, k) = x(i, k) / n;
  }
  return u;
}

// Angle between unit rows a and b as 2·atan2(|a−b|, |a+b|).
double unit_angle(const Matrix& u, std::int64_t a, std::int64_t b) {
  double diff = 0.0;
  double sum = 0.0;
  for (std::int64_t k = 0; k < u.cols; ++k) {
    diff += (u(a, k) - u(b, k)) * (u(a, k) - u(b, k));
    sum += (u(a, k) + u(b, k)) * (u(a, k) + u(b, k));
  }
  return 2.0 * std::atan2(std::sqrt(diff), std::sqrt(sum));
}

}  // namespace

double raw_delta_row(const Matrix& x, std::int64_t mu) {
  double best = -std::numeric_limits<double>::infinity();
  for (std::int64_t nu = 0; nu < x.rows; ++nu) {
    if (nu != mu) best = std::max(best, dot(x, mu, nu));
  }
  return dot(x, mu, mu) - best;
}

double max_cos_row(const Matrix& x, std::int64_t mu) {
  const Matrix u = normalised(x);
  double best = -1.0;
  for (std::int64_t nu = 0; nu < x.rows; ++nu) {
    if (nu != mu) best = std::max(best, dot(u, mu, nu));
  }
  return std::min(best, 1.0);
}

Separation separation(const Matrix& x) {
  Separation s;
  const Matrix u = normalised(x);
  s.raw_delta_min = std::numeric_limits<double>::infinity();
  double min_angle = std::numbers::pi;
  for (std::int64_t mu = 0; mu < x.rows; ++mu) {
    s.max_norm = std::max(s.max_norm, std::sqrt(dot(x, mu, mu)));
    // Strict comparisons over ν in increasing order: the smallest ν wins among exact ties.
    double raw_best = -std::numeric_limits<double>::infinity();
    double best = -std::numeric_limits<double>::infinity();
    std::int64_t raw_arg = -1, arg = -1;
    for (std::int64_t nu = 0; nu < x.rows; ++nu) {
      if (nu == mu) continue;
      if (dot(x, mu, nu) > raw_best) {
        raw_best = dot(x, mu, nu);
        raw_arg = nu;
      }
      if (dot(u, mu, nu) > best) {
        best = dot(u, mu, nu);
        arg = nu;
      }
      min_angle = std::min(min_angle, unit_angle(u, mu, nu));
    }
    const double delta = dot(x, mu, mu) - raw_best;
    s.raw_delta.push_back(delta);
    s.raw_nearest.push_back(raw_arg);
    if (delta < s.raw_delta_min || s.raw_argmin < 0) {
      s.raw_delta_min = delta;
      s.raw_argmin = mu;
    }
    best = std::clamp(best, -1.0, 1.0);
    s.row_max_cos.push_back(best);
    s.nearest.push_back(arg);
    if (best > s.max_cos || (mu == 0 && x.rows >= 2)) {
      s.max_cos = best;
      if (x.rows >= 2) s.closest_pair = {std::min(mu, arg), std::max(mu, arg)};
    }
  }
  s.min_angle_deg = min_angle * 180.0 / std::numbers::pi;
  s.delta_min_sphere = 1.0 - s.max_cos;
  return s;
}

Matrix features(const Matrix& x, const Matrix& weight, std::span<const double> bias) {
  Matrix f(x.rows, weight.rows);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    for (std::int64_t k = 0; k < weight.rows; ++k) {
      double s = bias.empty() ? 0.0 : bias[static_cast<std::size_t>(k)];
      for (std::int64_t j = 0; j < x.cols; ++j) s += weight(k, j) * x(i, j);
      f(i, k) = s;
    }
  }
  return f;
}

}  // namespace hopcap::ref
