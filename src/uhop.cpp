#include "hopcap/uhop.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <numbers>
#include <numeric>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/name_table.hpp"
#include "hopcap/rng.hpp"
#include "uhop_search.hpp"

namespace hopcap {
namespace {

// Stream labels: initial maps and mini-batches draw from separate, documented streams.
constexpr std::uint64_t kInitStream = 0x75686f702d696e69ULL;   // "uhop-ini"
constexpr std::uint64_t kBatchStream = 0x75686f702d626174ULL;  // "uhop-bat"

double degrees_from_cos(double c) {
  return std::acos(std::clamp(c, -1.0, 1.0)) * 180.0 / std::numbers::pi;
}

// Orthonormalises the rows of a (r×c, r ≤ c) in place: Gram–Schmidt applied twice, which is
// accurate to rounding for the well-conditioned Gaussian matrices it is used on.
void orthonormalize_rows(Matrix& a) {
  for (std::int64_t i = 0; i < a.rows; ++i) {
    for (int pass = 0; pass < 2; ++pass) {
      for (std::int64_t j = 0; j < i; ++j) {
        double dot = 0.0;
        for (std::int64_t k = 0; k < a.cols; ++k) dot += a(i, k) * a(j, k);
        for (std::int64_t k = 0; k < a.cols; ++k) a(i, k) -= dot * a(j, k);
      }
    }
    double norm = 0.0;
    for (std::int64_t k = 0; k < a.cols; ++k) norm += a(i, k) * a(i, k);
    norm = std::sqrt(norm);
    if (!(norm > 0.0)) throw KernelError("orthogonal initialisation: rank-deficient draw");
    for (std::int64_t k = 0; k < a.cols; ++k) a(i, k) /= norm;
  }
}

Matrix transpose(const Matrix& a) {
  Matrix t(a.cols, a.rows);
  for (std::int64_t i = 0; i < a.rows; ++i) {
    for (std::int64_t j = 0; j < a.cols; ++j) t(j, i) = a(i, j);
  }
  return t;
}

double frobenius(const std::vector<double>& v) {
  double s = 0.0;
  for (double e : v) s += e * e;
  return std::sqrt(s);
}

void project(FeatureMap& map, UhopProjection projection, double frobenius_target) {
  switch (projection) {
    case UhopProjection::none:
      return;
    case UhopProjection::unit_rows:
      for (std::int64_t k = 0; k < map.weight.rows; ++k) {
        double n = 0.0;
        for (std::int64_t j = 0; j < map.weight.cols; ++j) n += map.weight(k, j) * map.weight(k, j);
        n = std::sqrt(n);
        if (n > 0.0) {
          for (std::int64_t j = 0; j < map.weight.cols; ++j) map.weight(k, j) /= n;
        }
      }
      return;
    case UhopProjection::frobenius: {
      const double n = frobenius(map.weight.data);
      if (n > 0.0) {
        for (double& w : map.weight.data) w *= frobenius_target / n;
      }
      return;
    }
  }
}

// The rows of one mini-batch of an M-row set: `batch` distinct indices drawn by a partial
// Fisher–Yates shuffle keyed by (seed, restart, iteration), in increasing order.
std::vector<std::int64_t> batch_indices(std::int64_t m, std::int64_t batch, std::uint64_t seed, std::int64_t restart,
                                        std::int64_t iteration) {
  std::vector<std::int64_t> index(static_cast<std::size_t>(m));
  std::iota(index.begin(), index.end(), 0);
  rng::Stream stream(rng::derive(seed, kBatchStream), static_cast<std::uint64_t>(restart),
                     static_cast<std::uint64_t>(iteration));
  for (std::int64_t i = 0; i < batch; ++i) {
    const auto j = i + static_cast<std::int64_t>(stream.below(static_cast<std::uint64_t>(m - i)));
    std::swap(index[static_cast<std::size_t>(i)], index[static_cast<std::size_t>(j)]);
  }
  index.resize(static_cast<std::size_t>(batch));
  std::sort(index.begin(), index.end());
  return index;
}

// The mini-batch of a row-partitioned set, on every process: each fills the rows it owns and
// the sum over the processes (every other entry is zero) assembles the batch exactly. With
// RowPartition::whole it is the batch of the whole set.
Matrix draw_batch(const Matrix& local_rows, const kernels::RowPartition& partition, std::int64_t batch,
                  std::uint64_t seed, std::int64_t restart, std::int64_t iteration) {
  const std::vector<std::int64_t> index = batch_indices(partition.total, batch, seed, restart, iteration);
  Matrix x(batch, local_rows.cols);
  for (std::int64_t i = 0; i < batch; ++i) {
    const std::int64_t local = index[static_cast<std::size_t>(i)] - partition.first;
    if (local >= 0 && local < local_rows.rows) std::copy_n(local_rows.row(local), local_rows.cols, x.row(i));
  }
  partition.sum(x.data);
  return x;
}

// Optimiser state over the parameter vector (W entries, then b).
class Optimizer {
 public:
  Optimizer(const UhopSettings& s, std::size_t size) : s_(s), velocity_(size, 0.0), second_(size, 0.0) {}

  void step(FeatureMap& map, const Matrix& grad_w, const std::vector<double>& grad_b, double lr) {
    ++t_;
    lr_ = lr;
    std::size_t i = 0;
    for (std::size_t k = 0; k < map.weight.data.size(); ++k, ++i) update(map.weight.data[k], grad_w.data[k], i);
    for (std::size_t k = 0; k < map.bias.size(); ++k, ++i) update(map.bias[k], grad_b[k], i);
  }

 private:
  void update(double& p, double g, std::size_t i) {
    switch (s_.optimizer) {
      case UhopOptimizer::gd:
        p -= lr_ * g;
        return;
      case UhopOptimizer::sgd:
        velocity_[i] = s_.momentum * velocity_[i] + g;
        p -= lr_ * velocity_[i];
        return;
      case UhopOptimizer::adam: {
        velocity_[i] = s_.adam_beta1 * velocity_[i] + (1.0 - s_.adam_beta1) * g;
        second_[i] = s_.adam_beta2 * second_[i] + (1.0 - s_.adam_beta2) * g * g;
        const double mhat = velocity_[i] / (1.0 - std::pow(s_.adam_beta1, static_cast<double>(t_)));
        const double vhat = second_[i] / (1.0 - std::pow(s_.adam_beta2, static_cast<double>(t_)));
        p -= lr_ * mhat / (std::sqrt(vhat) + s_.adam_eps);
        return;
      }
    }
  }

  const UhopSettings& s_;
  std::vector<double> velocity_;  // SGD velocity, or Adam's first moment
  std::vector<double> second_;    // Adam's second moment
  std::int64_t t_ = 0;
  double lr_ = 0.0;
};

struct RestartOutcome {
  FeatureMap initial, final;
  std::vector<UhopTracePoint> trace;
  std::string stop_reason = "max_iterations";
  double tau_final = 0.0;
};

// The loss and gradient of step t of a restart (t < 0: the full set, no mini-batch).
using StepLoss = std::function<UhopLossValue(const FeatureMap&, const UhopLossOptions&, std::int64_t restart,
                                             std::int64_t t, Matrix*, std::vector<double>*)>;

RestartOutcome run_restart(std::int64_t d, const UhopSettings& s, std::int64_t restart, const StepLoss& step_loss,
                           const UhopProgress& progress) {
  RestartOutcome out;
  out.initial = initial_uhop_map(s.init, s.feature_dim, d, s.bias, s.seed, restart);
  FeatureMap map = out.initial;
  const double frobenius_target = frobenius(map.weight.data);
  project(map, s.projection, frobenius_target);
  Optimizer optimizer(s, map.weight.data.size() + map.bias.size());
  double tau = s.tau;
  Matrix grad_w;
  std::vector<double> grad_b;
  for (std::int64_t t = 0; t < s.iterations; ++t) {
    UhopLossOptions options{s.loss, tau, s.panel_rows};
    options.precision = s.precision;
    const UhopLossValue value = step_loss(map, options, restart, t, &grad_w, &grad_b);
    UhopTracePoint point;
    point.iteration = t;
    point.loss = value.loss;
    point.s_max = value.s_max;
    point.delta_min = 1.0 - value.s_max;
    point.min_angle_deg = degrees_from_cos(value.s_max);
    point.grad_norm = std::hypot(frobenius(grad_w.data), frobenius(grad_b));
    point.tau = tau;
    if (!std::isfinite(point.grad_norm)) {
      throw KernelError("U-Hop+ diverged: non-finite gradient at iteration " + std::to_string(t));
    }
    out.trace.push_back(point);
    if (progress) progress(restart, point);

    // With lr_follows_tau the step shrinks with τ: the loss's curvature grows like 1/τ, and a
    // fixed step would keep the optimiser oscillating around the optimal code.
    optimizer.step(map, grad_w, grad_b, s.lr_follows_tau ? s.lr * tau / s.tau : s.lr);
    project(map, s.projection, frobenius_target);
    for (double w : map.weight.data) {
      if (!std::isfinite(w)) {
        throw KernelError("U-Hop+ diverged: non-finite weights after iteration " + std::to_string(t) +
                          " (lower --lr)");
      }
    }
    const bool tau_settled = s.tau_min <= 0.0 || tau <= s.tau_min;
    if (s.tau_min > 0.0) tau = std::max(s.tau_min, tau * s.anneal);
    if (s.plateau_window > 0 && tau_settled && t >= s.plateau_window) {
      const UhopTracePoint& then = out.trace[static_cast<std::size_t>(t - s.plateau_window)];
      if (std::abs(point.loss - then.loss) <= s.plateau_tol &&
          std::abs(point.delta_min - then.delta_min) <= s.plateau_tol) {
        out.stop_reason = "plateau";
        break;
      }
    }
  }
  out.final = std::move(map);
  out.tau_final = tau;
  return out;
}

// After Algorithm 1's loop (the result holds its map): refine that map, or search, on the
// whole memory set, and keep the new map where its features are better separated. The
// separation is recomputed from the map applied to the memories.
void beyond_the_loop(const Matrix& memories, const UhopSettings& s, UhopResult& result) {
  result.method = s.method;
  result.min_angle_deg_paper = result.min_angle_deg_after;
  if (s.method == UhopMethod::paper) return;
  const uhop_search::Outcome found =
      s.method == UhopMethod::refine
          ? uhop_search::refine(memories, result.map, std::min(result.tau_final, 0.1))
          : uhop_search::search(memories, s.feature_dim, s.bias, {kUhopSearchStarts, s.hops}, s.seed);
  result.search_evaluations = found.evaluations;
  const kernels::SeparationReport after =
      kernels::feature_separation_report(memories, found.map.weight, found.map.bias);
  if (after.delta_min_sphere > result.delta_min_after) {
    result.map = found.map;
    result.delta_min_after = after.delta_min_sphere;
    result.min_angle_deg_after = after.min_angle_deg;
  }
}

// Moves the kept restart's map, trace and stop state into the result.
void take_best_restart(UhopResult& result, RestartOutcome&& best) {
  result.map = std::move(best.final);
  result.initial_map = std::move(best.initial);
  result.trace = std::move(best.trace);
  result.iterations = static_cast<std::int64_t>(result.trace.size());
  result.stop_reason = best.stop_reason;
  result.tau_final = best.tau_final;
}

}  // namespace

UhopSettings UhopTextSettings::parse(std::uint64_t seed) const {
  UhopSettings s;
  s.feature_dim = feature_dim;
  s.method = parse_uhop_method(method);
  s.hops = hops;
  s.bias = bias;
  s.loss = parse_uhop_loss(loss);
  s.tau = tau;
  s.tau_min = tau_min;
  s.anneal = anneal;
  s.optimizer = parse_uhop_optimizer(optimizer);
  s.lr = lr;
  s.lr_follows_tau = lr_follows_tau;
  s.momentum = momentum;
  s.projection = parse_uhop_projection(projection);
  s.init = parse_uhop_init(init);
  s.iterations = iterations;
  s.batch = batch;
  s.plateau_window = plateau_window;
  s.plateau_tol = plateau_tol;
  s.restarts = restarts;
  s.seed = seed;
  s.precision = kPrecisionNames.parse(precision);
  return s;
}

namespace {

// The U-Hop+ vocabularies, one table each (docs/science.md names them).
constexpr NameTable kOptimizerNames{"optimizer", std::array<Named<UhopOptimizer>, 3>{{{UhopOptimizer::gd, "gd"},
                                                                                      {UhopOptimizer::sgd, "sgd"},
                                                                                      {UhopOptimizer::adam, "adam"}}}};
constexpr NameTable kProjectionNames{"projection",
                                     std::array<Named<UhopProjection>, 3>{{{UhopProjection::none, "none"},
                                                                           {UhopProjection::unit_rows, "unit_rows"},
                                                                           {UhopProjection::frobenius, "frobenius"}}}};
constexpr NameTable kInitNames{"initialisation", std::array<Named<UhopInit>, 3>{{{UhopInit::gaussian, "gaussian"},
                                                                                 {UhopInit::identity, "identity"},
                                                                                 {UhopInit::orthogonal, "orthogonal"}}}};
constexpr NameTable kMethodNames{"U-Hop+ method", std::array<Named<UhopMethod>, 3>{{{UhopMethod::paper, "paper"},
                                                                                    {UhopMethod::refine, "refine"},
                                                                                    {UhopMethod::search, "search"}}}};

}  // namespace

UhopOptimizer parse_uhop_optimizer(std::string_view text) { return kOptimizerNames.parse(text); }
UhopProjection parse_uhop_projection(std::string_view text) { return kProjectionNames.parse(text); }
UhopInit parse_uhop_init(std::string_view text) { return kInitNames.parse(text); }
UhopMethod parse_uhop_method(std::string_view text) { return kMethodNames.parse(text); }

std::string to_string(UhopMethod v) { return std::string(kMethodNames.name(v)); }
std::string to_string(UhopOptimizer v) { return std::string(kOptimizerNames.name(v)); }
std::string to_string(UhopProjection v) { return std::string(kProjectionNames.name(v)); }
std::string to_string(UhopInit v) { return std::string(kInitNames.name(v)); }

void UhopSettings::validate(std::int64_t d) const {
  require(feature_dim >= 1, "feature dimension D_Phi must be >= 1");
  require(std::isfinite(tau) && tau > 0.0, "tau must be a finite number > 0");
  require(std::isfinite(tau_min) && tau_min >= 0.0, "tau_min must be >= 0 (0 = constant tau)");
  require(tau_min <= tau, "tau_min must not exceed tau");
  require(std::isfinite(anneal) && anneal > 0.0 && anneal <= 1.0, "anneal must be in (0, 1]");
  require(std::isfinite(lr) && lr > 0.0, "lr must be a finite number > 0");
  require(std::isfinite(momentum) && momentum >= 0.0 && momentum < 1.0, "momentum must be in [0, 1)");
  require(adam_beta1 >= 0.0 && adam_beta1 < 1.0 && adam_beta2 >= 0.0 && adam_beta2 < 1.0,
          "Adam betas must be in [0, 1)");
  require(adam_eps > 0.0, "Adam epsilon must be > 0");
  require(iterations >= 0, "iterations must be >= 0");
  require(batch == 0 || batch >= 2, "batch must be 0 (all memories) or >= 2");
  require(plateau_window >= 0, "plateau window must be >= 0 (0 = off)");
  require(plateau_tol >= 0.0, "plateau tolerance must be >= 0");
  require(restarts >= 1, "restarts must be >= 1");
  require(hops >= 0, "hops must be >= 0");
  require(panel_rows >= 0, "panel_rows must be >= 0");
  // The loop's smallest τ: the annealing floor, or τ itself when it stays constant.
  const double smallest_tau = tau_min > 0.0 ? std::min(tau, tau_min) : tau;
  require(precision != Precision::float32 || smallest_tau >= kUhopFloat32MinTau,
          "float32 U-Hop+ needs tau (and tau_min) >= " + std::to_string(kUhopFloat32MinTau) + " (got " +
              std::to_string(smallest_tau) + "); use precision float64 for smaller temperatures");
  require(init != UhopInit::identity || feature_dim <= d,
          "identity initialisation needs D_Phi <= d (D_Phi = " + std::to_string(feature_dim) +
              ", d = " + std::to_string(d) + ")");
}

FeatureMap initial_uhop_map(UhopInit init, std::int64_t feature_dim, std::int64_t d, bool bias,
                            std::uint64_t seed, std::int64_t restart) {
  require(feature_dim >= 1 && d >= 1, "feature map dimensions must be >= 1");
  FeatureMap map{Matrix(feature_dim, d), {}};
  rng::Stream stream(rng::derive(seed, kInitStream), static_cast<std::uint64_t>(restart), 0);
  const double kaiming = std::sqrt(2.0 / static_cast<double>(d));
  switch (init) {
    case UhopInit::gaussian:
      for (double& w : map.weight.data) w = kaiming * stream.normal();
      break;
    case UhopInit::identity:
      require(feature_dim <= d, "identity initialisation needs D_Phi <= d");
      for (std::int64_t k = 0; k < feature_dim; ++k) map.weight(k, k) = 1.0;
      break;
    case UhopInit::orthogonal: {
      Matrix g(std::min(feature_dim, d), std::max(feature_dim, d));
      for (double& w : g.data) w = stream.normal();
      orthonormalize_rows(g);
      map.weight = feature_dim <= d ? std::move(g) : transpose(g);
      break;
    }
  }
  if (bias) {
    // PyTorch's nn.Linear default: U(−1/√d, 1/√d); zero for the deterministic identity start.
    map.bias.assign(static_cast<std::size_t>(feature_dim), 0.0);
    if (init != UhopInit::identity) {
      rng::Stream bias_stream(rng::derive(seed, kInitStream), static_cast<std::uint64_t>(restart), 1);
      const double bound = 1.0 / std::sqrt(static_cast<double>(d));
      for (double& b : map.bias) b = bound * (2.0 * bias_stream.uniform01() - 1.0);
    }
  }
  return map;
}

std::int64_t uhop_search_anneals(std::int64_t m, std::int64_t d, std::int64_t feature_dim, bool bias,
                                 std::int64_t hops) {
  const bool free_points = m <= d + (bias ? 1 : 0);  // uhop_search::Whitening's case U = I
  return kUhopSearchStarts + uhop_search::symmetric_starts(m, feature_dim, free_points) + hops;
}

UhopResult train_uhop(const Matrix& memories, const UhopSettings& settings,
                      const UhopProgress& progress) {
  settings.validate(memories.cols);
  require(memories.rows >= 2, "U-Hop+ needs at least 2 memories");
  const bool full_batch = settings.batch == 0 || settings.batch >= memories.rows;
  const kernels::RowPartition whole = kernels::RowPartition::whole(memories.rows);
  const StepLoss step_loss = [&](const FeatureMap& map, const UhopLossOptions& options, std::int64_t restart,
                                 std::int64_t t, Matrix* grad_w, std::vector<double>* grad_b) {
    return full_batch || t < 0
               ? kernels::uhop_loss(memories, map, options, grad_w, grad_b)
               : kernels::uhop_loss(draw_batch(memories, whole, settings.batch, settings.seed, restart, t), map, options,
                                    grad_w, grad_b);
  };
  UhopResult result;
  double best = -1.0;
  RestartOutcome best_outcome;
  for (std::int64_t r = 0; r < settings.restarts; ++r) {
    RestartOutcome outcome = run_restart(memories.cols, settings, r, step_loss, progress);
    const kernels::SeparationReport after =
        kernels::feature_separation_report(memories, outcome.final.weight, outcome.final.bias);
    result.restart_delta_min.push_back(after.delta_min_sphere);
    if (after.delta_min_sphere > best) {
      best = after.delta_min_sphere;
      result.best_restart = r;
      result.delta_min_after = after.delta_min_sphere;
      result.min_angle_deg_after = after.min_angle_deg;
      best_outcome = std::move(outcome);
    }
  }
  const kernels::SeparationReport before =
      kernels::feature_separation_report(memories, best_outcome.initial.weight, best_outcome.initial.bias);
  result.delta_min_before = before.delta_min_sphere;
  result.min_angle_deg_before = before.min_angle_deg;
  take_best_restart(result, std::move(best_outcome));
  beyond_the_loop(memories, settings, result);
  result.loss_final =
      kernels::uhop_loss(memories, result.map, {settings.loss, result.tau_final, settings.panel_rows}).loss;
  return result;
}

UhopResult train_uhop_partitioned(const Matrix& local_rows, const kernels::RowPartition& partition,
                                  const UhopSettings& settings, const UhopProgress& progress) {
  settings.validate(local_rows.cols);
  require(partition.total >= 2, "U-Hop+ needs at least 2 memories");
  // Mini-batches are assembled on every process and their (small) loss is computed there
  // alike; full-set losses run partitioned.
  const bool full_batch = settings.batch == 0 || settings.batch >= partition.total;
  const StepLoss step_loss = [&](const FeatureMap& map, const UhopLossOptions& options, std::int64_t restart,
                                 std::int64_t t, Matrix* grad_w, std::vector<double>* grad_b) {
    if (full_batch || t < 0) return kernels::uhop_loss_partitioned(local_rows, partition, map, options, grad_w, grad_b);
    return kernels::uhop_loss(draw_batch(local_rows, partition, settings.batch, settings.seed, restart, t),
                              map, options, grad_w, grad_b);
  };
  // Separation of a map from the loss kernel's s_max, which every process gets alike.
  const auto separation = [&](const FeatureMap& map) {
    return kernels::uhop_loss_partitioned(local_rows, partition, map, {settings.loss, settings.tau, settings.panel_rows})
        .s_max;
  };
  UhopResult result;
  double best = -1.0;
  RestartOutcome best_outcome;
  for (std::int64_t r = 0; r < settings.restarts; ++r) {
    RestartOutcome outcome = run_restart(local_rows.cols, settings, r, step_loss, progress);
    const double delta = 1.0 - separation(outcome.final);
    result.restart_delta_min.push_back(delta);
    if (delta > best) {
      best = delta;
      result.best_restart = r;
      result.delta_min_after = delta;
      result.min_angle_deg_after = degrees_from_cos(1.0 - delta);
      best_outcome = std::move(outcome);
    }
  }
  const double s_before = separation(best_outcome.initial);
  result.delta_min_before = 1.0 - s_before;
  result.min_angle_deg_before = degrees_from_cos(s_before);
  take_best_restart(result, std::move(best_outcome));
  if (settings.method != UhopMethod::paper) {
    // Every process runs the same search on the gathered set, so all end with the same map,
    // that of train_uhop.
    Matrix all(partition.total, local_rows.cols);
    partition.gather_rows(local_rows.data, all.data, local_rows.cols);
    beyond_the_loop(all, settings, result);
  } else {
    beyond_the_loop(local_rows, settings, result);
  }
  result.loss_final = kernels::uhop_loss_partitioned(local_rows, partition, result.map,
                                                     {settings.loss, result.tau_final, settings.panel_rows})
                          .loss;
  return result;
}

}  // namespace hopcap
