#include "uhop_search.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <exception>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/rng.hpp"
#include "icosahedral_orbits.hpp"
#include "kernels/parallel_panels.hpp"

namespace hopcap::uhop_search {
namespace {

constexpr std::uint64_t kStartStream = 0x75686f702d737472ULL;  // "uhop-str"
constexpr std::uint64_t kHopStream = 0x75686f702d686f70ULL;    // "uhop-hop"
constexpr std::uint64_t kSymmetricStream = 0x75686f702d73796dULL;  // "uhop-sym"

// The floor of every refinement: the pairwise loss lies within τ log P of s_max, so at 10⁻⁶
// the code it settles on is the max–min code of its basin to well under 10⁻³ degrees.
constexpr double kTauEnd = 1e-6;
constexpr double kTauFactor = 0.3;        // τ between refinement levels
constexpr std::int64_t kLevelSteps = 200;  // quasi-Newton steps per level at most
constexpr std::int64_t kLastLevelSteps = 600;
constexpr int kHistory = 8;  // L-BFGS pairs kept
// Basin hopping: noise per coordinate, in units of the code's minimal angle (over √D_Φ).
constexpr double kGlobalShake = 0.1;
constexpr double kLocalShake = 0.6;
// Quick anneals within this angle (radians) of the best code are settled from kSettleTau.
constexpr double kSettleMargin = 0.2 * 3.141592653589793 / 180.0;
constexpr double kSettleTau = 3e-5;
// Starts with the icosahedron's rotations (D_Φ = 3 with free points, M a sum of its orbits),
// refined from τ = 0.01 like every other start: at N = 120 each of 10 such starts reached the
// best-known code, which 256 random starts and 240 hops did not.
constexpr std::int64_t kSymmetricStarts = 2;
constexpr double kSymmetricTau = 0.01;

// A GEMM of the search is small (M·(d + 1)·D_Φ at most) and runs on the calling thread alone
// (kernels::on_calling_thread): split over threads, its tiles would follow the thread count,
// and so would the last bits of the learned map (seen at 3 threads).
using kernels::on_calling_thread;

// Lower Cholesky factor of a symmetric n×n matrix in place (upper triangle zeroed); false when
// a pivot is not clearly positive (a rank-deficient Gram matrix).
bool cholesky(Matrix& a) {
  const std::int64_t n = a.rows;
  double largest = 0.0;
  for (std::int64_t i = 0; i < n; ++i) largest = std::max(largest, a(i, i));
  for (std::int64_t j = 0; j < n; ++j) {
    double pivot = a(j, j);
    for (std::int64_t k = 0; k < j; ++k) pivot -= a(j, k) * a(j, k);
    if (!(pivot > 1e-13 * largest)) return false;
    const double root = std::sqrt(pivot);
    a(j, j) = root;
    for (std::int64_t i = j + 1; i < n; ++i) {
      double s = a(i, j);
      for (std::int64_t k = 0; k < j; ++k) s -= a(i, k) * a(j, k);
      a(i, j) = s / root;
    }
    for (std::int64_t i = 0; i < j; ++i) a(i, j) = 0.0;
  }
  return true;
}

// Factor of gram, with the smallest ridge (relative 10⁻¹⁰, 10⁻⁸, ...) that makes it definite.
Matrix factor_with_ridge(const Matrix& gram, double* ridge_used) {
  double trace = 0.0;
  for (std::int64_t i = 0; i < gram.rows; ++i) trace += gram(i, i);
  const double scale = trace / static_cast<double>(std::max<std::int64_t>(gram.rows, 1));
  double ridge = 0.0;
  for (int attempt = 0; attempt < 8; ++attempt) {
    Matrix l = gram;
    for (std::int64_t i = 0; i < l.rows; ++i) l(i, i) += ridge;
    if (cholesky(l)) {
      *ridge_used = ridge;
      return l;
    }
    ridge = ridge == 0.0 ? 1e-10 * scale : ridge * 100.0;
  }
  throw KernelError("U-Hop+ search: the memories' Gram matrix cannot be factored (non-finite memories?)");
}

// Solves L y = b (forward) and Lᵀ y = b (backward) in place for one vector.
void solve_lower(const Matrix& l, double* y) {
  for (std::int64_t i = 0; i < l.rows; ++i) {
    double s = y[i];
    for (std::int64_t k = 0; k < i; ++k) s -= l(i, k) * y[k];
    y[i] = s / l(i, i);
  }
}
void solve_upper_transposed(const Matrix& l, double* y) {
  for (std::int64_t i = l.rows - 1; i >= 0; --i) {
    double s = y[i];
    for (std::int64_t k = i + 1; k < l.rows; ++k) s -= l(k, i) * y[k];
    y[i] = s / l(i, i);
  }
}

struct Evaluation {
  double loss = 0.0;
  double s_max = 1.0;
};

// The pairwise loss of the features U Pᵀ and its gradient with respect to P.
Evaluation evaluate(const Matrix& basis, const Matrix& p, double tau, Matrix* grad, std::int64_t& evaluations) {
  ++evaluations;
  const UhopLossValue v = kernels::uhop_loss(basis, FeatureMap{p, {}}, {UhopLossKind::pairwise, tau, 0}, grad, nullptr);
  return {v.loss, v.s_max};
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Limited-memory BFGS with an Armijo backtracking line search on the loss at one τ. The
// curvature grows like 1/τ: a quasi-Newton step follows it where a fixed step cannot.
void minimise_at(const Matrix& basis, Matrix& p, double tau, std::int64_t max_steps, double stall,
                 std::int64_t& evaluations) {
  Matrix grad;
  Evaluation now = evaluate(basis, p, tau, &grad, evaluations);
  std::deque<std::pair<std::vector<double>, std::vector<double>>> history;  // (s, y)
  std::vector<double> recent;  // loss after every step, for the stall test
  const std::size_t n = p.data.size();
  std::vector<double> direction(n), trial_grad_flat, alpha(kHistory);
  Matrix trial(p.rows, p.cols), trial_grad;
  for (std::int64_t step = 0; step < max_steps; ++step) {
    const std::vector<double>& g = grad.data;
    const double gnorm = std::sqrt(dot(g, g));
    if (!(gnorm > 1e-14)) break;
    // Two-loop recursion: direction = −H g.
    direction = g;
    for (std::size_t h = history.size(); h-- > 0;) {
      const auto& [s, y] = history[h];
      alpha[h] = dot(s, direction) / dot(y, s);
      for (std::size_t i = 0; i < n; ++i) direction[i] -= alpha[h] * y[i];
    }
    double gamma = 0.1 * tau / gnorm;  // first step: a move of 0.1 τ
    if (!history.empty()) {
      const auto& [s, y] = history.back();
      gamma = dot(s, y) / dot(y, y);
    }
    for (double& e : direction) e *= gamma;
    for (std::size_t h = 0; h < history.size(); ++h) {
      const auto& [s, y] = history[h];
      const double beta = dot(y, direction) / dot(y, s);
      for (std::size_t i = 0; i < n; ++i) direction[i] += (alpha[h] - beta) * s[i];
    }
    for (double& e : direction) e = -e;
    double slope = dot(g, direction);
    if (!(slope < 0.0)) {  // not a descent direction: steepest descent from a fresh history
      history.clear();
      for (std::size_t i = 0; i < n; ++i) direction[i] = -0.1 * tau / gnorm * g[i];
      slope = dot(g, direction);
    }
    double t = 1.0;
    bool accepted = false;
    Evaluation next;
    for (int tries = 0; tries < 40; ++tries) {
      for (std::size_t i = 0; i < n; ++i) trial.data[i] = p.data[i] + t * direction[i];
      next = evaluate(basis, trial, tau, &trial_grad, evaluations);
      if (next.loss <= now.loss + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) {
      if (history.empty()) break;  // no descent even along the gradient: converged to rounding
      history.clear();
      continue;
    }
    std::vector<double> s(n), y(n);
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = trial.data[i] - p.data[i];
      y[i] = trial_grad.data[i] - g[i];
    }
    if (dot(s, y) > 1e-12 * std::sqrt(dot(s, s) * dot(y, y))) {
      history.emplace_back(std::move(s), std::move(y));
      if (history.size() > kHistory) history.pop_front();
    }
    std::swap(p, trial);
    std::swap(grad, trial_grad);
    now = next;
    recent.push_back(now.loss);
    // Stalled: the last 10 steps gained less than stall·τ together.
    if (recent.size() > 10 && recent[recent.size() - 11] - now.loss < stall * tau) break;
  }
}

// Rescales every feature to unit length where the features are the coordinates (free points):
// the loss does not change, and equal norms keep the quasi-Newton model well scaled.
void normalise_free_points(Matrix& p) {
  for (std::int64_t mu = 0; mu < p.cols; ++mu) {
    double s = 0.0;
    for (std::int64_t k = 0; k < p.rows; ++k) s += p(k, mu) * p(k, mu);
    if (s > 0.0) {
      const double inv = 1.0 / std::sqrt(s);
      for (std::int64_t k = 0; k < p.rows; ++k) p(k, mu) *= inv;
    }
  }
}

// How far each level of an anneal goes: a search compares many codes, the final refinement
// settles one.
struct Effort {
  std::int64_t steps_scale = 1;
  double stall = 1e-3;
};
constexpr Effort kSearchEffort{1, 1e-3};
constexpr Effort kFinalEffort{10, 1e-7};

// τ from tau_start down to kTauEnd by kTauFactor, minimising at each level; returns s_max.
double anneal(const Whitening& w, Matrix& p, double tau_start, const Effort& effort, std::int64_t& evaluations) {
  double tau = std::max(tau_start, kTauEnd);
  while (true) {
    if (w.free_points()) normalise_free_points(p);
    const bool last = tau <= kTauEnd;
    minimise_at(w.basis(), p, tau, (last ? kLastLevelSteps : kLevelSteps) * effort.steps_scale, effort.stall,
                evaluations);
    if (last) break;
    tau = std::max(kTauEnd, tau * kTauFactor);
  }
  return evaluate(w.basis(), p, kTauEnd, nullptr, evaluations).s_max;
}

double angle_radians(double s) { return std::acos(std::clamp(s, -1.0, 1.0)); }

}  // namespace

Whitening::Whitening(const Matrix& memories, bool bias) : bias_(bias) {
  const std::int64_t m = memories.rows, d = memories.cols, n = d + (bias ? 1 : 0);
  augmented_ = Matrix(m, n, 1.0);
  for (std::int64_t i = 0; i < m; ++i) std::copy_n(memories.row(i), d, augmented_.row(i));
  double ridge = 0.0;
  free_ = m <= n;
  if (free_) {
    // Features can be any M × D_Φ matrix: the coordinates are the features themselves, and a
    // map is recovered as Θ = P K⁻¹ A with K = A Aᵀ.
    Matrix gram(m, m);
    on_calling_thread([&] {
      blas::gemm_nt(m, m, n, 1.0, augmented_.data.data(), n, augmented_.data.data(), n, 0.0, gram.data.data(), m);
    });
    factor_ = factor_with_ridge(gram, &ridge);
    basis_ = Matrix(m, m);
    if (ridge == 0.0) {
      for (std::int64_t i = 0; i < m; ++i) basis_(i, i) = 1.0;
    } else {
      // With a ridge the recovered map gives K (K + εI)⁻¹ Pᵀ: the basis says so exactly.
      for (std::int64_t j = 0; j < m; ++j) {
        std::vector<double> column(gram.row(j), gram.row(j) + m);  // K symmetric: column j
        solve_lower(factor_, column.data());
        solve_upper_transposed(factor_, column.data());
        for (std::int64_t i = 0; i < m; ++i) basis_(j, i) = column[static_cast<std::size_t>(i)];
      }
    }
  } else {
    // U = A L⁻ᵀ with Aᵀ A = L Lᵀ: orthonormal columns spanning the range of the maps.
    Matrix gram(n, n);
    on_calling_thread([&] {
      blas::gemm_tn(n, n, m, 1.0, augmented_.data.data(), n, augmented_.data.data(), n, 0.0, gram.data.data(), n);
    });
    factor_ = factor_with_ridge(gram, &ridge);
    basis_ = augmented_;
    for (std::int64_t i = 0; i < m; ++i) solve_lower(factor_, basis_.row(i));
  }
}

Matrix Whitening::to_coordinates(const FeatureMap& map) const {
  const std::int64_t dphi = map.feature_dim(), n = augmented_.cols, d = n - (bias_ ? 1 : 0);
  Matrix theta(dphi, n);
  for (std::int64_t k = 0; k < dphi; ++k) {
    std::copy_n(map.weight.row(k), d, theta.row(k));
    if (bias_) theta(k, d) = map.bias[static_cast<std::size_t>(k)];
  }
  if (free_) {
    // P = Θ Aᵀ: the features (for a ridge basis, close to them; a start need not be exact).
    Matrix p(dphi, augmented_.rows);
    on_calling_thread([&] {
      blas::gemm_nt(dphi, augmented_.rows, n, 1.0, theta.data.data(), n, augmented_.data.data(), n, 0.0,
          p.data.data(), augmented_.rows);
    });
    return p;
  }
  Matrix p(dphi, n);  // P = Θ L
  on_calling_thread([&] {
    blas::gemm_nn(dphi, n, n, 1.0, theta.data.data(), n, factor_.data.data(), n, 0.0, p.data.data(), n);
  });
  return p;
}

FeatureMap Whitening::to_map(const Matrix& p) const {
  const std::int64_t dphi = p.rows, n = augmented_.cols, d = n - (bias_ ? 1 : 0), m = augmented_.rows;
  Matrix theta(dphi, n);
  if (free_) {
    // Θ = P K⁻¹ A: row k of P K⁻¹ solves K y = p_k.
    Matrix y = p;
    for (std::int64_t k = 0; k < dphi; ++k) {
      solve_lower(factor_, y.row(k));
      solve_upper_transposed(factor_, y.row(k));
    }
    on_calling_thread([&] {
      blas::gemm_nn(dphi, n, m, 1.0, y.data.data(), m, augmented_.data.data(), n, 0.0, theta.data.data(), n);
    });
  } else {
    theta = p;  // Θ = P L⁻¹: Lᵀ θ_kᵀ = p_kᵀ
    for (std::int64_t k = 0; k < dphi; ++k) solve_upper_transposed(factor_, theta.row(k));
  }
  FeatureMap map{Matrix(dphi, d), {}};
  if (bias_) map.bias.assign(static_cast<std::size_t>(dphi), 0.0);
  for (std::int64_t k = 0; k < dphi; ++k) {
    std::copy_n(theta.row(k), d, map.weight.row(k));
    if (bias_) map.bias[static_cast<std::size_t>(k)] = theta(k, d);
  }
  return map;
}

Outcome refine(const Matrix& memories, const FeatureMap& start, double tau_start) {
  const Whitening w(memories, start.has_bias());
  Matrix p = w.to_coordinates(start);
  Outcome out;
  out.s_max = anneal(w, p, tau_start, kFinalEffort, out.evaluations);
  out.map = w.to_map(p);
  return out;
}

std::int64_t symmetric_starts(std::int64_t m, std::int64_t feature_dim, bool free_points) {
  return feature_dim == 3 && free_points && icosahedral_split(m) && m >= 2 ? kSymmetricStarts : 0;
}

Outcome search(const Matrix& memories, std::int64_t feature_dim, bool bias, const Budget& budget,
               std::uint64_t seed) {
  require(budget.starts >= 1, "U-Hop+ search needs at least one start");
  const Whitening w(memories, bias);
  const Matrix& u = w.basis();
  const std::int64_t m = u.rows, r = u.cols;
  Outcome out;
  Matrix best;
  double best_s = std::numeric_limits<double>::infinity();
  // A quick anneal stops short of its basin's max–min code by more than the gaps between
  // basins; a candidate that comes near the best is settled (every level run to a standstill)
  // before the two are compared, so the best is always a settled code.
  const auto consider = [&](Matrix&& p, double quick_s) {
    if (std::isfinite(best_s) && angle_radians(quick_s) < angle_radians(best_s) - kSettleMargin) return;
    const double settled = anneal(w, p, kSettleTau, kFinalEffort, out.evaluations);
    if (settled < best_s) {
      best_s = settled;
      best = std::move(p);
    }
  };
  for (std::int64_t s = 0; s < budget.starts; ++s) {
    rng::Stream stream(rng::derive(seed, kStartStream), static_cast<std::uint64_t>(s), 0);
    Matrix p(feature_dim, r);
    for (double& e : p.data) e = stream.normal();
    // From τ = 0.1 the loss is a smooth Gaussian energy whose minimiser is a good code with a
    // large basin; from 0.01 the starts end in more varied codes (at M = 13 the optimum is
    // reached only from there).
    const double got = anneal(w, p, s % 2 == 0 ? 0.1 : 0.01, kSearchEffort, out.evaluations);
    consider(std::move(p), got);
  }
  const std::int64_t symmetric = symmetric_starts(m, feature_dim, w.free_points());
  for (std::int64_t s = 0; s < symmetric; ++s) {
    const Matrix points =
        *icosahedral_start(m, rng::derive(rng::derive(seed, kSymmetricStream), static_cast<std::uint64_t>(s)));
    // The coordinates whose features U Pᵀ are the points (U = I, or its ridge basis close to it).
    Matrix p(feature_dim, r);
    on_calling_thread([&] {
      blas::gemm_tn(feature_dim, r, m, 1.0, points.data.data(), feature_dim, u.data.data(), r, 0.0, p.data.data(),
          r);
    });
    const double got = anneal(w, p, kSymmetricTau, kSearchEffort, out.evaluations);
    consider(std::move(p), got);
  }
  Matrix features(m, feature_dim), moved(m, feature_dim);
  for (std::int64_t h = 0; h < budget.hops; ++h) {
    // Perturb the best code's normalised features, then project back onto the range of the
    // maps. Odd hops shake every point a little; even hops shake hard the points within 2.5 θ
    // of a random point (a local rearrangement the rest of the code need not follow).
    on_calling_thread([&] {
      blas::gemm_nt(m, feature_dim, r, 1.0, u.data.data(), r, best.data.data(), r, 0.0, features.data.data(),
          feature_dim);
    });
    for (std::int64_t i = 0; i < m; ++i) {
      double norm = 0.0;
      for (std::int64_t k = 0; k < feature_dim; ++k) norm += features(i, k) * features(i, k);
      norm = norm > 0.0 ? std::sqrt(norm) : 1.0;
      for (std::int64_t k = 0; k < feature_dim; ++k) features(i, k) /= norm;
    }
    const double theta = angle_radians(best_s);
    rng::Stream stream(rng::derive(seed, kHopStream), static_cast<std::uint64_t>(h), 0);
    const bool local = h % 2 == 0;
    const std::int64_t centre = static_cast<std::int64_t>(stream.below(static_cast<std::uint64_t>(m)));
    const double cap = std::cos(std::min(2.5 * theta, std::acos(-1.0)));
    const double sigma = (local ? kLocalShake : kGlobalShake) * theta / std::sqrt(static_cast<double>(feature_dim));
    for (std::int64_t i = 0; i < m; ++i) {
      double c = 0.0;
      for (std::int64_t k = 0; k < feature_dim; ++k) c += features(i, k) * features(centre, k);
      const bool shaken = !local || c >= cap;
      for (std::int64_t k = 0; k < feature_dim; ++k) {
        const double noise = stream.normal();
        moved(i, k) = features(i, k) + (shaken ? sigma * noise : 0.0);
      }
    }
    Matrix p(feature_dim, r);
    on_calling_thread([&] {
      blas::gemm_tn(feature_dim, r, m, 1.0, moved.data.data(), feature_dim, u.data.data(), r, 0.0, p.data.data(), r);
    });
    // Re-sharpen from a τ at which the loss still sees the neighbours of every point.
    const double tau = std::clamp(0.1 * (1.0 - best_s), 1e-5, 0.1);
    const double got = anneal(w, p, tau, kSearchEffort, out.evaluations);
    consider(std::move(p), got);
  }
  out.s_max = best_s;
  out.map = w.to_map(best);
  return out;
}

}  // namespace hopcap::uhop_search
