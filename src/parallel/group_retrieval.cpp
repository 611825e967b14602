#include "hopcap/parallel/group_retrieval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"
#include "hopcap/kernels/exp.hpp"

namespace hopcap::parallel {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr std::int64_t kScoresPerBlock = std::int64_t{1} << 22;
constexpr int kMaxBisectionSteps = 200;

double squared_norm(const double* x, std::int64_t n) {
  double s = 0.0;
  for (std::int64_t j = 0; j < n; ++j) s += x[j] * x[j];
  return s;
}

// α of the separation (1 for softmax).
double alpha_of(const Separation& sep) {
  switch (sep.kind) {
    case SeparationKind::softmax: return 1.0;
    case SeparationKind::sparsemax: return 2.0;
    case SeparationKind::entmax15: return 1.5;
    case SeparationKind::entmax: return sep.alpha;
  }
  return 1.0;
}

// [(α−1) u]^{1/(α−1)} for u > 0, without pow for sparsemax and 1.5-entmax.
double entmax_weight(double am1, double u) {
  if (u <= 0.0) return 0.0;
  if (am1 == 1.0) return u;
  if (am1 == 0.5) return 0.25 * u * u;
  return std::pow(am1 * u, 1.0 / am1);
}

}  // namespace

GroupRetriever::GroupRetriever(const Group& group, const Matrix& local_memories,
                               std::int64_t first_row, std::int64_t memory_count,
                               const RetrievalSettings& settings,
                               std::optional<FeatureMap> feature_map)
    : group_(group),
      memories_(local_memories),
      first_row_(first_row),
      memory_count_(memory_count),
      settings_(settings),
      feature_map_(std::move(feature_map)) {
  settings_.validate();
  require(memory_count_ >= 1, "retrieval needs at least one memory");
  require(first_row_ >= 0 && first_row_ + memories_.rows <= memory_count_,
          "group retrieval: the local rows lie outside the memory set");
  if (feature_map_) {
    feature_map_->validate();
    require(feature_map_->input_dim() == memories_.cols,
            "feature map input dimension does not match the memory dimension");
    if (memories_.rows > 0) {
      memory_features_ = settings_.khm_scores == KhmScores::normalized
                             ? normalized_features(*feature_map_, memories_)
                             : apply_feature_map(*feature_map_, memories_);
    }
  }
}

void GroupRetriever::local_scores(const Matrix& states, Matrix& z) const {
  const std::int64_t n = states.rows;
  const std::int64_t local = memories_.rows;
  if (z.rows != n || z.cols != local) z = Matrix(n, local);
  if (local == 0 || n == 0) return;
  if (!feature_map_) {
    blas::gemm_nt(n, local, states.cols, settings_.beta, states.data.data(), states.cols,
                  memories_.data.data(), memories_.cols, 0.0, z.data.data(), local);
    return;
  }
  const Matrix f = settings_.khm_scores == KhmScores::normalized ? normalized_features(*feature_map_, states)
                                                                 : apply_feature_map(*feature_map_, states);
  blas::gemm_nt(n, local, f.cols, settings_.beta, f.data.data(), f.cols, memory_features_.data.data(),
                memory_features_.cols, 0.0, z.data.data(), local);
}

void GroupRetriever::separate(Matrix& z, Matrix& p, std::vector<double>* softmax_lse) const {
  const std::int64_t n = z.rows;
  const std::int64_t local = z.cols;
  if (p.rows != n || p.cols != local) p = Matrix(n, local);
  // Checked collectively: a rank that threw alone would leave the others in the next reduction.
  std::vector<std::int64_t> non_finite{0};
  for (double v : z.data) {
    if (!std::isfinite(v)) non_finite[0] = 1;
  }
  group_.sum(non_finite);
  if (non_finite[0] != 0) throw KernelError("retrieval: non-finite score");
  // Row maxima over the whole group.
  std::vector<double> row_max(static_cast<std::size_t>(n), kNegInf);
  for (std::int64_t i = 0; i < n; ++i) {
    const double* zi = z.row(i);
    for (std::int64_t j = 0; j < local; ++j) row_max[static_cast<std::size_t>(i)] = std::max(row_max[static_cast<std::size_t>(i)], zi[j]);
  }
  group_.max(row_max);
  std::vector<double> total(static_cast<std::size_t>(n), 0.0);
  const double alpha = alpha_of(settings_.separation);

  if (alpha == 1.0) {
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const double* zi = z.row(i);
      double* pi = p.row(i);
      total[static_cast<std::size_t>(i)] =
          kernels::exp_shifted_sum(zi, row_max[static_cast<std::size_t>(i)], local, pi);
    }
    group_.sum(total);
    for (std::int64_t i = 0; i < n; ++i) {
      const double inv = 1.0 / total[static_cast<std::size_t>(i)];
      double* pi = p.row(i);
      for (std::int64_t j = 0; j < local; ++j) pi[j] *= inv;
    }
    if (softmax_lse != nullptr) {
      softmax_lse->resize(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) {
        (*softmax_lse)[static_cast<std::size_t>(i)] =
            row_max[static_cast<std::size_t>(i)] + std::log(total[static_cast<std::size_t>(i)]);
      }
    }
    return;
  }

  // α-entmax: weights w_i(t) = [(α−1)(z_i − max − t)]_+^{1/(α−1)}; the largest weight is at
  // most 1, so t ∈ [−1/(α−1), 0]. Only local scores above max − 1/(α−1) can ever weigh.
  const double am1 = alpha - 1.0;
  std::vector<std::vector<double>> candidates(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const double* zi = z.row(i);
    for (std::int64_t j = 0; j < local; ++j) {
      const double u = zi[j] - row_max[static_cast<std::size_t>(i)];
      if (u > -1.0 / am1) candidates[static_cast<std::size_t>(i)].push_back(u);
    }
  }
  std::vector<double> lo(static_cast<std::size_t>(n), -1.0 / am1), hi(static_cast<std::size_t>(n), 0.0);
  std::vector<double> mid(static_cast<std::size_t>(n)), mass(static_cast<std::size_t>(n));
  for (int step = 0; step < kMaxBisectionSteps; ++step) {
    bool moving = false;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto r = static_cast<std::size_t>(i);
      mid[r] = 0.5 * (lo[r] + hi[r]);
      if (mid[r] > lo[r] && mid[r] < hi[r]) moving = true;
    }
    if (!moving) break;  // every bracket is down to adjacent doubles (same on every rank)
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const auto r = static_cast<std::size_t>(i);
      double s = 0.0;
      for (double u : candidates[r]) s += entmax_weight(am1, u - mid[r]);
      mass[r] = s;
    }
    group_.sum(mass);
    for (std::size_t r = 0; r < mid.size(); ++r) {
      if (!(mid[r] > lo[r] && mid[r] < hi[r])) continue;
      (mass[r] >= 1.0 ? lo[r] : hi[r]) = mid[r];
    }
  }
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const double* zi = z.row(i);
    double* pi = p.row(i);
    double s = 0.0;
    for (std::int64_t j = 0; j < local; ++j) {
      pi[j] = entmax_weight(am1, (zi[j] - row_max[static_cast<std::size_t>(i)]) - lo[static_cast<std::size_t>(i)]);
      s += pi[j];
    }
    total[static_cast<std::size_t>(i)] = s;
  }
  group_.sum(total);
  for (std::int64_t i = 0; i < n; ++i) {
    const double inv = 1.0 / total[static_cast<std::size_t>(i)];
    double* pi = p.row(i);
    for (std::int64_t j = 0; j < local; ++j) pi[j] *= inv;
  }
}

void GroupRetriever::step(const Matrix& states, Matrix& next, Matrix& local_probabilities) const {
  Matrix z;
  local_scores(states, z);
  separate(z, local_probabilities, nullptr);
  next = Matrix(states.rows, states.cols);
  if (memories_.rows > 0 && states.rows > 0) {
    blas::gemm_nn(states.rows, states.cols, memories_.rows, 1.0, local_probabilities.data.data(),
                  memories_.rows, memories_.data.data(), memories_.cols, 0.0, next.data.data(),
                  next.cols);
  }
  group_.sum(next.data);
}

void GroupRetriever::run(Matrix& states, std::span<const std::int64_t> targets,
                         const Matrix& target_memories, std::span<QueryOutcome> outcomes) const {
  const std::int64_t n = states.rows;
  const std::int64_t d = states.cols;
  if (d != memories_.cols || static_cast<std::int64_t>(targets.size()) != n ||
      static_cast<std::int64_t>(outcomes.size()) != n || target_memories.rows != n ||
      target_memories.cols != d) {
    throw KernelError("group retrieval: states, targets, target memories and outcomes disagree in size");
  }
  // The block size must be the same on every rank: derive it from the largest slice.
  const std::int64_t widest = (memory_count_ + group_.size() - 1) / group_.size();
  const std::int64_t block =
      settings_.block_size > 0 ? settings_.block_size : std::max<std::int64_t>(1, kScoresPerBlock / widest);
  for (auto& o : outcomes) o = QueryOutcome{};

  for (std::int64_t first = 0; first < n; first += block) {
    const std::int64_t rows = std::min(block, n - first);
    std::vector<std::int64_t> active(static_cast<std::size_t>(rows));
    for (std::int64_t i = 0; i < rows; ++i) active[static_cast<std::size_t>(i)] = first + i;
    Matrix current, next, p;
    for (int t = 0; t < settings_.max_iterations && !active.empty(); ++t) {
      const auto na = static_cast<std::int64_t>(active.size());
      current = Matrix(na, d);
      for (std::int64_t a = 0; a < na; ++a) std::copy_n(states.row(active[static_cast<std::size_t>(a)]), d, current.row(a));
      step(current, next, p);
      std::vector<std::int64_t> still_active;
      for (std::int64_t a = 0; a < na; ++a) {
        const std::int64_t i = active[static_cast<std::size_t>(a)];
        double diff2 = 0.0;
        for (std::int64_t j = 0; j < d; ++j) diff2 += (next(a, j) - current(a, j)) * (next(a, j) - current(a, j));
        if (!std::isfinite(diff2)) throw KernelError("retrieval produced a non-finite state");
        std::copy_n(next.row(a), d, states.row(i));
        QueryOutcome& o = outcomes[static_cast<std::size_t>(i)];
        o.iterations = t + 1;
        if (std::sqrt(diff2) <= settings_.tolerance) {
          o.converged = true;
        } else {
          still_active.push_back(i);
        }
      }
      active.swap(still_active);
    }

    // Final weights p(x_T) of the block: argmax, metastable size, distance, energy.
    Matrix block_states(rows, d);
    std::copy_n(states.row(first), rows * d, block_states.data.begin());
    Matrix z;
    local_scores(block_states, z);
    std::vector<double> lse;
    separate(z, p, &lse);
    const double threshold = settings_.separation.metastable_threshold();
    const double alpha = alpha_of(settings_.separation);
    std::vector<double> best_value(static_cast<std::size_t>(rows), kNegInf);
    std::vector<std::int64_t> best_index(static_cast<std::size_t>(rows), memory_count_);
    std::vector<std::int64_t> above(static_cast<std::size_t>(rows), 0);
    std::vector<double> conjugate(static_cast<std::size_t>(rows), 0.0);
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto r = static_cast<std::size_t>(i);
      const double* pi = p.row(i);
      const double* zi = z.row(i);
      double inner = 0.0, entropy = 0.0;
      for (std::int64_t j = 0; j < p.cols; ++j) {
        if (pi[j] > best_value[r]) {
          best_value[r] = pi[j];
          best_index[r] = first_row_ + j;
        }
        if (pi[j] > threshold) ++above[r];
        inner += pi[j] * zi[j];
        entropy += pi[j] - std::pow(pi[j], alpha);
      }
      conjugate[r] = inner + entropy / (alpha * (alpha - 1.0));
    }
    group_.max_location(best_value, best_index);
    group_.sum(above);
    if (alpha != 1.0) group_.sum(conjugate);
    // Distance to the target, or to the argmax memory (owned by one rank) without a target.
    std::vector<double> dist2(static_cast<std::size_t>(rows), 0.0);
    for (std::int64_t i = 0; i < rows; ++i) {
      const std::int64_t q = first + i;
      const std::int64_t target = targets[static_cast<std::size_t>(q)];
      const double* x = states.row(q);
      const double* xi = nullptr;
      if (target >= 0) {
        if (group_.is_root()) xi = target_memories.row(q);
      } else {
        const std::int64_t local = best_index[static_cast<std::size_t>(i)] - first_row_;
        if (local >= 0 && local < memories_.rows) xi = memories_.row(local);
      }
      if (xi != nullptr) {
        for (std::int64_t j = 0; j < d; ++j) dist2[static_cast<std::size_t>(i)] += (x[j] - xi[j]) * (x[j] - xi[j]);
      }
    }
    group_.sum(dist2);
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto r = static_cast<std::size_t>(i);
      const std::int64_t q = first + i;
      QueryOutcome& o = outcomes[static_cast<std::size_t>(q)];
      o.argmax = best_index[r];
      o.metastable_size = above[r];
      o.distance = std::sqrt(dist2[r]);
      const std::int64_t target = targets[static_cast<std::size_t>(q)];
      o.retrieved = target >= 0 && o.argmax == target && o.distance <= settings_.epsilon;
      double self = 1.0;
      if (!feature_map_) {
        self = squared_norm(states.row(q), d);
      } else if (settings_.khm_scores == KhmScores::raw_features) {
        Matrix x(1, d);
        std::copy_n(states.row(q), d, x.data.begin());
        const Matrix f = apply_feature_map(*feature_map_, x);
        self = squared_norm(f.data.data(), f.cols);
      }
      const double psi = alpha == 1.0 ? lse[r] : conjugate[r];
      o.energy = 0.5 * self - psi / settings_.beta;
    }
  }
}

}  // namespace hopcap::parallel
