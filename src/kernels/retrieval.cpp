#include "hopcap/kernels/retrieval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <omp.h>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"
#include "kernels/parallel_panels.hpp"

namespace hopcap {
namespace {

// Auto block size keeps one block's score matrix near 2^22 doubles (32 MiB).
constexpr std::int64_t kScoresPerBlock = std::int64_t{1} << 22;
// Scores per thread panel in advance(): 2 × 256 KiB (scores and weights) fit in L2.
constexpr std::int64_t kPanelScores = std::int64_t{1} << 15;
constexpr std::int64_t kMinPanelRows = 32;

double squared_norm(const double* x, std::int64_t n) {
  double s = 0.0;
  for (std::int64_t j = 0; j < n; ++j) s += x[j] * x[j];
  return s;
}

void normalize_features(Matrix& features) {
  for (std::int64_t i = 0; i < features.rows; ++i) {
    double* f = features.row(i);
    const double n = std::sqrt(squared_norm(f, features.cols));
    if (!(n > 0.0) || !std::isfinite(n)) {
      throw KernelError("KHM: a feature vector Phi(x) has norm " + std::to_string(n) +
                        " and cannot be normalised (x lies in the null space of W)");
    }
    for (std::int64_t k = 0; k < features.cols; ++k) f[k] /= n;
  }
}

}  // namespace

void RetrievalSettings::validate() const {
  require(std::isfinite(beta) && beta > 0.0, "beta must be a finite number > 0");
  require(max_iterations >= 1, "max_iterations (t_max) must be >= 1");
  require(std::isfinite(tolerance) && tolerance >= 0.0, "tolerance must be >= 0");
  require(std::isfinite(epsilon) && epsilon >= 0.0, "epsilon must be >= 0");
  require(block_size >= 0, "block_size must be >= 0 (0 = automatic)");
}

Retriever::Retriever(const Matrix& memories, const RetrievalSettings& settings,
                     std::optional<FeatureMap> feature_map)
    : memories_(memories), settings_(settings), feature_map_(std::move(feature_map)) {
  settings_.validate();
  require(memories_.rows >= 1 && memories_.cols >= 1, "retrieval needs at least one memory of dimension >= 1");
  for (double v : memories_.data) {
    if (!std::isfinite(v)) throw ConfigError("memories contain a non-finite value");
  }
  if (feature_map_) {
    feature_map_->validate();
    require(feature_map_->input_dim() == memories_.cols,
            "feature map input dimension " + std::to_string(feature_map_->input_dim()) +
                " does not match the memory dimension d = " + std::to_string(memories_.cols));
    memory_features_ = apply_feature_map(*feature_map_, memories_);
    if (settings_.khm_scores == KhmScores::normalized) normalize_features(memory_features_);
  }
}

std::int64_t Retriever::block_rows() const {
  if (settings_.block_size > 0) return settings_.block_size;
  return std::max<std::int64_t>(1, kScoresPerBlock / memories_.rows);
}

void Retriever::scores(const Matrix& states, Matrix& out) const {
  if (states.cols != dim()) throw KernelError("scores: state dimension does not match d");
  if (out.rows != states.rows || out.cols != memory_count()) out = Matrix(states.rows, memory_count());
  scores_rows(states.data.data(), states.rows, out.data.data());
}

void Retriever::scores_rows(const double* states, std::int64_t rows, double* out) const {
  if (!feature_map_) {
    blas::gemm_nt(rows, memory_count(), dim(), settings_.beta, states, dim(),
                  memories_.data.data(), dim(), 0.0, out, memory_count());
    return;
  }
  Matrix x(rows, dim());
  std::copy_n(states, rows * dim(), x.data.begin());
  Matrix features = apply_feature_map(*feature_map_, x);
  if (settings_.khm_scores == KhmScores::normalized) normalize_features(features);
  blas::gemm_nt(rows, memory_count(), features.cols, settings_.beta, features.data.data(),
                features.cols, memory_features_.data.data(), memory_features_.cols, 0.0, out,
                memory_count());
}

void Retriever::step(const Matrix& states, Matrix& next, Matrix& probabilities) const {
  Matrix z;
  step(states, next, probabilities, z);
}

void Retriever::step(const Matrix& states, Matrix& next, Matrix& probabilities, Matrix& z) const {
  scores(states, z);
  if (probabilities.rows != z.rows || probabilities.cols != z.cols) probabilities = Matrix(z.rows, z.cols);
  kernels::separate_rows(settings_.separation, z.data.data(), z.rows, z.cols,
                         probabilities.data.data());
  if (next.rows != states.rows || next.cols != dim()) next = Matrix(states.rows, dim());
  blas::gemm_nn(states.rows, dim(), memory_count(), 1.0, probabilities.data.data(),
                memory_count(), memories_.data.data(), dim(), 0.0, next.data.data(), dim());
}

void Retriever::advance(const Matrix& states, Matrix& next) const {
  if (states.cols != dim()) throw KernelError("advance: state dimension does not match d");
  const std::int64_t n = states.rows;
  const std::int64_t m = memory_count();
  const std::int64_t d = dim();
  if (next.rows != n || next.cols != d) next = Matrix(n, d);
  const std::int64_t threads = omp_get_max_threads();
  if (n < 2 * threads) {
    Matrix p, z;
    step(states, next, p, z);
    return;
  }
  // Panels of about kPanelScores scores stay in a core's L2 cache through all three phases.
  // At least kMinPanelRows rows, or the GEMMs degrade to matrix-vector speed.
  const std::int64_t panel = std::min(std::max(kPanelScores / m, kMinPanelRows), (n + threads - 1) / threads);
  const std::int64_t panels = (n + panel - 1) / panel;
  struct Scratch {
    std::vector<double> z, p;
  };
  const auto make_scratch = [panel, m] {
    return Scratch{std::vector<double>(static_cast<std::size_t>(panel * m)),
                   std::vector<double>(static_cast<std::size_t>(panel * m))};
  };
  kernels::parallel_panels(panels, make_scratch, [&](std::int64_t c, Scratch& scratch) {
    const std::int64_t first = c * panel;
    const std::int64_t rows = std::min(panel, n - first);
    scores_rows(states.row(first), rows, scratch.z.data());
    kernels::separate_rows(settings_.separation, scratch.z.data(), rows, m, scratch.p.data());
    blas::gemm_nn(rows, d, m, 1.0, scratch.p.data(), m, memories_.data.data(), d, 0.0,
                  next.row(first), d);
  });
}

double Retriever::energy(std::span<const double> state) const {
  if (static_cast<std::int64_t>(state.size()) != dim()) throw KernelError("energy: wrong state dimension");
  Matrix x(1, dim());
  std::copy(state.begin(), state.end(), x.data.begin());
  Matrix z;
  scores(x, z);
  std::vector<double> p(static_cast<std::size_t>(memory_count()));
  kernels::separate(settings_.separation, z.data, p);
  double self = 0.0;
  if (!feature_map_) {
    self = squared_norm(x.data.data(), dim());
  } else if (settings_.khm_scores == KhmScores::normalized) {
    self = 1.0;
  } else {
    const Matrix f = apply_feature_map(*feature_map_, x);
    self = squared_norm(f.data.data(), f.cols);
  }
  return 0.5 * self - kernels::conjugate(settings_.separation, z.data, p) / settings_.beta;
}

void Retriever::run(Matrix& states, std::span<const std::int64_t> targets,
                    std::span<QueryOutcome> outcomes) const {
  const std::int64_t n = states.rows;
  if (states.cols != dim() || static_cast<std::int64_t>(targets.size()) != n ||
      static_cast<std::int64_t>(outcomes.size()) != n) {
    throw KernelError("run: states, targets and outcomes disagree in size");
  }
  for (std::int64_t t : targets) {
    if (t < -1 || t >= memory_count()) throw KernelError("run: target index out of range");
  }
  const std::int64_t block = block_rows();
  Matrix chunk;
  for (std::int64_t first = 0; first < n; first += block) {
    const std::int64_t rows = std::min(block, n - first);
    chunk = Matrix(rows, dim());
    std::copy_n(states.row(first), rows * dim(), chunk.data.begin());
    const auto offset = static_cast<std::size_t>(first);
    const auto count = static_cast<std::size_t>(rows);
    run_block(chunk, targets.subspan(offset, count), outcomes.subspan(offset, count));
    std::copy_n(chunk.data.begin(), rows * dim(), states.row(first));
  }
}

void Retriever::run_block(Matrix& states, std::span<const std::int64_t> targets,
                          std::span<QueryOutcome> outcomes) const {
  const std::int64_t n = states.rows;
  const std::int64_t d = dim();
  for (auto& o : outcomes) o = QueryOutcome{};

  // Queries still moving; converged ones are frozen so they cost nothing further.
  std::vector<std::int64_t> active(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) active[static_cast<std::size_t>(i)] = i;
  Matrix current, next, z;
  for (int t = 0; t < settings_.max_iterations && !active.empty(); ++t) {
    const auto na = static_cast<std::int64_t>(active.size());
    current = Matrix(na, d);
    for (std::int64_t a = 0; a < na; ++a) {
      std::copy_n(states.row(active[static_cast<std::size_t>(a)]), d, current.row(a));
    }
    advance(current, next);
    std::vector<std::int64_t> still_active;
    still_active.reserve(active.size());
    for (std::int64_t a = 0; a < na; ++a) {
      const std::int64_t i = active[static_cast<std::size_t>(a)];
      double diff2 = 0.0;
      const double* xn = next.row(a);
      const double* xc = current.row(a);
      for (std::int64_t j = 0; j < d; ++j) diff2 += (xn[j] - xc[j]) * (xn[j] - xc[j]);
      std::copy_n(xn, d, states.row(i));
      QueryOutcome& o = outcomes[static_cast<std::size_t>(i)];
      o.iterations = t + 1;
      if (!std::isfinite(diff2)) throw KernelError("retrieval produced a non-finite state");
      if (std::sqrt(diff2) <= settings_.tolerance) {
        o.converged = true;
      } else {
        still_active.push_back(i);
      }
    }
    active.swap(still_active);
  }

  // Final weights p(x_T), from which argmax, metastable size and energy are read.
  scores(states, z);
  Matrix p(n, memory_count());
  kernels::separate_rows(settings_.separation, z.data.data(), n, memory_count(), p.data.data());
  std::vector<double> self(static_cast<std::size_t>(n), 1.0);
  if (!feature_map_) {
    for (std::int64_t i = 0; i < n; ++i) self[static_cast<std::size_t>(i)] = squared_norm(states.row(i), d);
  } else if (settings_.khm_scores == KhmScores::raw_features) {
    const Matrix f = apply_feature_map(*feature_map_, states);
    for (std::int64_t i = 0; i < n; ++i) self[static_cast<std::size_t>(i)] = squared_norm(f.row(i), f.cols);
  }
  const double threshold = settings_.separation.metastable_threshold();
  const std::int64_t m = memory_count();
#pragma omp parallel for schedule(static) default(none) \
    shared(n, m, d, z, p, self, states, targets, outcomes, threshold)
  for (std::int64_t i = 0; i < n; ++i) {
    const double* pi = p.row(i);
    std::int64_t best = 0;
    std::int64_t above = 0;
    for (std::int64_t mu = 0; mu < m; ++mu) {
      if (pi[mu] > pi[best]) best = mu;
      if (pi[mu] > threshold) ++above;
    }
    QueryOutcome& o = outcomes[static_cast<std::size_t>(i)];
    o.argmax = best;
    o.metastable_size = above;
    const std::int64_t target = targets[static_cast<std::size_t>(i)];
    const double* xi = memories_.row(target >= 0 ? target : best);
    const double* x = states.row(i);
    double dist2 = 0.0;
    for (std::int64_t j = 0; j < d; ++j) dist2 += (x[j] - xi[j]) * (x[j] - xi[j]);
    o.distance = std::sqrt(dist2);
    o.retrieved = target >= 0 && best == target && o.distance <= settings_.epsilon;
    o.energy = 0.5 * self[static_cast<std::size_t>(i)] -
               kernels::conjugate(settings_.separation,
                                  std::span<const double>(z.row(i), static_cast<std::size_t>(m)),
                                  std::span<const double>(pi, static_cast<std::size_t>(m))) /
                   settings_.beta;
  }
}

RetrievalSummary summarize(std::span<const QueryOutcome> outcomes, std::int64_t memory_count) {
  RetrievalSummary s;
  s.queries = static_cast<std::int64_t>(outcomes.size());
  s.metastable_histogram.assign(static_cast<std::size_t>(memory_count + 1), 0);
  if (outcomes.empty()) return s;
  s.iterations_min = std::numeric_limits<std::int32_t>::max();
  double iterations = 0.0, distance = 0.0, energy = 0.0, metastable = 0.0;
  for (const QueryOutcome& o : outcomes) {
    s.retrieved += o.retrieved ? 1 : 0;
    s.converged += o.converged ? 1 : 0;
    iterations += o.iterations;
    s.iterations_min = std::min(s.iterations_min, o.iterations);
    s.iterations_max = std::max(s.iterations_max, o.iterations);
    distance += o.distance;
    s.distance_max = std::max(s.distance_max, o.distance);
    energy += o.energy;
    metastable += static_cast<double>(o.metastable_size);
    const auto bin = std::clamp<std::int64_t>(o.metastable_size, 0, memory_count);
    ++s.metastable_histogram[static_cast<std::size_t>(bin)];
  }
  const auto n = static_cast<double>(s.queries);
  s.success_rate = static_cast<double>(s.retrieved) / n;
  s.converged_rate = static_cast<double>(s.converged) / n;
  s.iterations_mean = iterations / n;
  s.distance_mean = distance / n;
  s.energy_mean = energy / n;
  s.metastable_mean = metastable / n;
  return s;
}

}  // namespace hopcap
