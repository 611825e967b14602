#include "uhop_ref.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace hopcap::ref {
namespace {

using Real = long double;
using Rows = std::vector<std::vector<Real>>;

Rows features(const Matrix& x, const FeatureMap& map, std::vector<Real>* norms = nullptr) {
  Rows f(static_cast<std::size_t>(x.rows), std::vector<Real>(static_cast<std::size_t>(map.feature_dim())));
  if (norms) norms->assign(f.size(), 0.0L);
  for (std::int64_t mu = 0; mu < x.rows; ++mu) {
    Real norm2 = 0.0L;
    for (std::int64_t k = 0; k < map.feature_dim(); ++k) {
      Real v = map.has_bias() ? map.bias[static_cast<std::size_t>(k)] : 0.0L;
      for (std::int64_t j = 0; j < x.cols; ++j) v += static_cast<Real>(map.weight(k, j)) * x(mu, j);
      f[static_cast<std::size_t>(mu)][static_cast<std::size_t>(k)] = v;
      norm2 += v * v;
    }
    const Real norm = std::sqrt(norm2);
    if (norms) (*norms)[static_cast<std::size_t>(mu)] = norm;
    for (Real& v : f[static_cast<std::size_t>(mu)]) v /= norm;
  }
  return f;
}

Real dot(const std::vector<Real>& a, const std::vector<Real>& b) {
  Real s = 0.0L;
  for (std::size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

// log Σ exp(v) with a max shift.
Real log_sum_exp(const std::vector<Real>& v) {
  const Real top = *std::max_element(v.begin(), v.end());
  Real s = 0.0L;
  for (Real e : v) s += std::exp(e - top);
  return top + std::log(s);
}

}  // namespace

double uhop_loss(const Matrix& x, const FeatureMap& map, const FeatureMap& detached,
                 UhopLossKind kind, double tau) {
  const Rows a = features(x, map);
  const Rows b = features(x, detached);
  const auto m = static_cast<std::size_t>(x.rows);
  const Real md = static_cast<Real>(m);
  const Real pairs = md * (md - 1.0L) / 2.0L;
  if (kind == UhopLossKind::per_memory) {
    Real total = 0.0L;
    for (std::size_t mu = 0; mu < m; ++mu) {
      std::vector<Real> row;
      for (std::size_t nu = 0; nu < m; ++nu) {
        if (nu != mu) row.push_back(dot(a[mu], b[nu]) / tau);
      }
      total += tau * log_sum_exp(row);
    }
    return static_cast<double>(total / md);
  }
  std::vector<Real> terms;
  for (std::size_t mu = 0; mu < m; ++mu) {
    for (std::size_t nu = mu + 1; nu < m; ++nu) terms.push_back(dot(a[mu], b[nu]) / tau);
  }
  if (kind == UhopLossKind::pairwise) {
    return static_cast<double>(tau * (log_sum_exp(terms) - std::log(pairs)));
  }
  terms.push_back(std::log(md * (md + 1.0L) / 2.0L));  // the phantom pairs at s = 0
  return static_cast<double>((log_sum_exp(terms) - std::log(pairs)) / md);
}

void uhop_gradient(const Matrix& x, const FeatureMap& map, UhopLossKind kind, double tau,
                   Matrix& grad_weight, std::vector<double>& grad_bias) {
  std::vector<Real> norms;
  const Rows f = features(x, map, &norms);
  const auto m = static_cast<std::size_t>(x.rows);
  const auto dphi = static_cast<std::size_t>(map.feature_dim());
  const Real md = static_cast<Real>(m);
  // dL/ds_{μν} for ordered pairs (μ row gets φ̂_ν).
  std::vector<std::vector<Real>> w(m, std::vector<Real>(m, 0.0L));
  if (kind == UhopLossKind::per_memory) {
    std::vector<Real> lse(m);
    for (std::size_t mu = 0; mu < m; ++mu) {
      std::vector<Real> row;
      for (std::size_t nu = 0; nu < m; ++nu) {
        if (nu != mu) row.push_back(dot(f[mu], f[nu]) / tau);
      }
      lse[mu] = log_sum_exp(row);
    }
    for (std::size_t mu = 0; mu < m; ++mu) {
      for (std::size_t nu = 0; nu < m; ++nu) {
        if (nu == mu) continue;
        const Real z = dot(f[mu], f[nu]) / tau;
        w[mu][nu] = (std::exp(z - lse[mu]) + std::exp(z - lse[nu])) / md;
      }
    }
  } else {
    std::vector<Real> terms;
    for (std::size_t mu = 0; mu < m; ++mu) {
      for (std::size_t nu = mu + 1; nu < m; ++nu) terms.push_back(dot(f[mu], f[nu]) / tau);
    }
    if (kind == UhopLossKind::as_coded) terms.push_back(std::log(md * (md + 1.0L) / 2.0L));
    const Real log_z = log_sum_exp(terms);
    for (std::size_t mu = 0; mu < m; ++mu) {
      for (std::size_t nu = 0; nu < m; ++nu) {
        if (nu == mu) continue;
        const Real p = std::exp(dot(f[mu], f[nu]) / tau - log_z);
        if (kind == UhopLossKind::pairwise) {
          w[mu][nu] = p;  // L = τ log Z: dL/ds = p, both orders
        } else if (nu > mu) {
          w[mu][nu] = p / (md * tau);  // stop-gradient: only the row memory moves
        }
      }
    }
  }
  grad_weight = Matrix(map.feature_dim(), x.cols);
  grad_bias.assign(map.has_bias() ? dphi : 0, 0.0);
  for (std::size_t mu = 0; mu < m; ++mu) {
    std::vector<Real> g(dphi, 0.0L);
    for (std::size_t nu = 0; nu < m; ++nu) {
      for (std::size_t k = 0; k < dphi; ++k) g[k] += w[mu][nu] * f[nu][k];
    }
    const Real radial = dot(g, f[mu]);
    for (std::size_t k = 0; k < dphi; ++k) {
      const Real gk = (g[k] - radial * f[mu][k]) / norms[mu];
      for (std::int64_t j = 0; j < x.cols; ++j) {
        grad_weight(static_cast<std::int64_t>(k), j) += static_cast<double>(gk * x(static_cast<std::int64_t>(mu), j));
      }
      if (map.has_bias()) grad_bias[k] += static_cast<double>(gk);
    }
  }
}

}  // namespace hopcap::ref
