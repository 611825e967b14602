#include "hopcap/kernels/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"

namespace hopcap::kernels {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Columns per work item of the column scan: one item reads a 512-byte strip of every tile row.
constexpr std::int64_t kColumnChunk = 64;

std::size_t idx(std::int64_t i) { return static_cast<std::size_t>(i); }

// Running maxima for every memory: of raw inner products and of cosines, with their arguments.
struct RowBest {
  std::vector<double> raw;
  std::vector<std::int64_t> raw_arg;
  std::vector<double> cos;
  std::vector<std::int64_t> cos_arg;

  explicit RowBest(std::int64_t m)
      : raw(idx(m), -kInf), raw_arg(idx(m), -1), cos(idx(m), -kInf), cos_arg(idx(m), -1) {}
};

// Folds the tile G = X[i0:i0+bi] X[j0:j0+bj]ᵀ (row-major, leading dimension bj, j0 ≥ i0) into
// the running maxima. Each unordered pair uses one Gram entry (the upper triangle on the
// diagonal tile), so the maxima are exactly symmetric. Candidates reach every memory in
// increasing index order and updates are strict, so among exact ties the smaller index wins.
void scan_tile(const double* tile, std::int64_t i0, std::int64_t bi, std::int64_t j0,
               std::int64_t bj, const std::vector<double>& inv_norm, RowBest& best) {
  const bool diagonal = (i0 == j0);
  const std::int64_t column_chunks = (bj + kColumnChunk - 1) / kColumnChunk;
  const double* inv = inv_norm.data();
#pragma omp parallel
  {
    // Rows of block i0: on the diagonal tile, partners c < r are read from the upper triangle.
#pragma omp for schedule(static) nowait
    for (std::int64_t r = 0; r < bi; ++r) {
      const std::int64_t i = i0 + r;
      const double inv_i = inv[i];
      double raw_best = best.raw[idx(i)];
      double cos_best = best.cos[idx(i)];
      std::int64_t raw_arg = best.raw_arg[idx(i)];
      std::int64_t cos_arg = best.cos_arg[idx(i)];
      auto offer = [&](double g, std::int64_t j) {
        const double c = g * (inv_i * inv[j]);
        if (g > raw_best) {
          raw_best = g;
          raw_arg = j;
        }
        if (c > cos_best) {
          cos_best = c;
          cos_arg = j;
        }
      };
      if (diagonal) {
        for (std::int64_t c = 0; c < r; ++c) offer(tile[c * bj + r], j0 + c);
      }
      const double* g = tile + r * bj;
      for (std::int64_t c = diagonal ? r + 1 : 0; c < bj; ++c) offer(g[c], j0 + c);
      best.raw[idx(i)] = raw_best;
      best.cos[idx(i)] = cos_best;
      best.raw_arg[idx(i)] = raw_arg;
      best.cos_arg[idx(i)] = cos_arg;
    }
    // Columns of block j0 (disjoint from block i0 off the diagonal), swept row by row so the
    // tile is read contiguously.
    if (!diagonal) {
#pragma omp for schedule(static)
      for (std::int64_t chunk = 0; chunk < column_chunks; ++chunk) {
        const std::int64_t c_begin = chunk * kColumnChunk;
        const std::int64_t c_end = std::min(c_begin + kColumnChunk, bj);
        for (std::int64_t r = 0; r < bi; ++r) {
          const std::int64_t i = i0 + r;
          const double inv_i = inv[i];
          const double* g = tile + r * bj;
          for (std::int64_t c = c_begin; c < c_end; ++c) {
            const std::size_t j = idx(j0 + c);
            const double cosine = g[c] * (inv_i * inv[j]);
            if (g[c] > best.raw[j]) {
              best.raw[j] = g[c];
              best.raw_arg[j] = i;
            }
            if (cosine > best.cos[j]) {
              best.cos[j] = cosine;
              best.cos_arg[j] = i;
            }
          }
        }
      }
    }
  }
}

double norm_of(std::span<const double> v) {
  double s = 0.0;
  for (double e : v) s += e * e;
  return std::sqrt(s);
}

// Φ(ξ) = W ξ (+ b) for every row of x, one GEMM.
Matrix features_of(const Matrix& x, const Matrix& weight, std::span<const double> bias) {
  require(weight.rows >= 1 && weight.cols >= 1,
          "feature map W must have at least one row (D_Phi >= 1) and one column");
  require(static_cast<std::int64_t>(weight.data.size()) == weight.rows * weight.cols,
          "feature map W: storage does not match its shape");
  require(weight.cols == x.cols, "feature map W expects vectors of dimension " +
                                     std::to_string(weight.cols) + ", got " +
                                     std::to_string(x.cols));
  require(bias.empty() || static_cast<std::int64_t>(bias.size()) == weight.rows,
          "feature map bias must be empty or have D_Phi = " + std::to_string(weight.rows) +
              " entries, got " + std::to_string(bias.size()));
  const std::int64_t features_dim = weight.rows;
  Matrix features(x.rows, features_dim);
  if (x.rows == 0) return features;
  if (!bias.empty()) {
    for (std::int64_t i = 0; i < x.rows; ++i) std::copy(bias.begin(), bias.end(), features.row(i));
  }
  blas::gemm_nt(x.rows, features_dim, x.cols, 1.0, x.data.data(), x.cols, weight.data.data(),
                weight.cols, bias.empty() ? 0.0 : 1.0, features.data.data(), features_dim);
  return features;
}

}  // namespace

double angle_between(std::span<const double> u, std::span<const double> v) {
  if (u.size() != v.size()) throw KernelError("angle_between: vectors of different dimension");
  const double nu = norm_of(u);
  const double nv = norm_of(v);
  if (!(nu > 0.0) || !(nv > 0.0) || !std::isfinite(nu) || !std::isfinite(nv)) {
    throw KernelError("angle_between: a vector has zero or non-finite norm");
  }
  double diff = 0.0;
  double sum = 0.0;
  for (std::size_t k = 0; k < u.size(); ++k) {
    const double a = u[k] / nu;
    const double b = v[k] / nv;
    diff += (a - b) * (a - b);
    sum += (a + b) * (a + b);
  }
  return 2.0 * std::atan2(std::sqrt(diff), std::sqrt(sum));
}

SeparationReport separation_report(const Matrix& x, const SeparationOptions& options) {
  require(options.block >= 1,
          "separation block size must be >= 1, got " + std::to_string(options.block));
  require(x.rows >= 1 && x.cols >= 1, "separation metrics need at least one vector of "
                                      "dimension >= 1 (got " + std::to_string(x.rows) + "x" +
                                          std::to_string(x.cols) + ")");
  require(static_cast<std::int64_t>(x.data.size()) == x.rows * x.cols,
          "separation metrics: matrix storage does not match its shape");
  const std::int64_t m = x.rows;
  const std::int64_t dim = x.cols;

  SeparationReport rep;
  rep.m = m;
  rep.dim = dim;

  std::vector<double> sq(idx(m));
  std::vector<double> inv_norm(idx(m));
  rep.max_norm = 0.0;
  rep.min_norm = kInf;
  for (std::int64_t i = 0; i < m; ++i) {
    const double* r = x.row(i);
    double s = 0.0;
    for (std::int64_t k = 0; k < dim; ++k) s += r[k] * r[k];
    const double n = std::sqrt(s);
    if (!(n > 0.0) || !std::isfinite(n)) {
      throw KernelError("separation metrics: vector " + std::to_string(i) + " has norm " +
                        std::to_string(n) + "; its direction on the sphere is undefined");
    }
    sq[idx(i)] = s;
    inv_norm[idx(i)] = 1.0 / n;
    rep.max_norm = std::max(rep.max_norm, n);
    rep.min_norm = std::min(rep.min_norm, n);
  }

  RowBest best(m);
  const std::int64_t block = std::min(options.block, m);
  std::vector<double> tile(idx(block * block));
  for (std::int64_t i0 = 0; i0 < m; i0 += block) {
    const std::int64_t bi = std::min(block, m - i0);
    for (std::int64_t j0 = i0; j0 < m; j0 += block) {
      const std::int64_t bj = std::min(block, m - j0);
      blas::gemm_nt(bi, bj, dim, 1.0, x.row(i0), dim, x.row(j0), dim, 0.0, tile.data(), bj);
      scan_tile(tile.data(), i0, bi, j0, bj, inv_norm, best);
    }
  }

  // With M = 1 the maxima stay at −∞, which yields the documented conventions: Δ = +∞ and,
  // after clamping, cos = −1.
  rep.raw_delta.resize(idx(m));
  rep.row_max_cos.resize(idx(m));
  rep.raw_nearest = std::move(best.raw_arg);
  rep.nearest = std::move(best.cos_arg);
  rep.raw_delta_min = kInf;
  rep.max_cos = -kInf;
  std::int64_t first = -1;
  for (std::int64_t i = 0; i < m; ++i) {
    const double delta = sq[idx(i)] - best.raw[idx(i)];
    rep.raw_delta[idx(i)] = delta;
    if (delta < rep.raw_delta_min || rep.raw_argmin < 0) {
      rep.raw_delta_min = delta;
      rep.raw_argmin = i;
    }
    const double c = std::clamp(best.cos[idx(i)], -1.0, 1.0);
    rep.row_max_cos[idx(i)] = c;
    if (c > rep.max_cos) {
      rep.max_cos = c;
      first = i;
    }
  }
  if (m >= 2) {
    const std::int64_t partner = rep.nearest[idx(first)];
    rep.closest_pair = {std::min(first, partner), std::max(first, partner)};
    rep.min_angle_deg = angle_between(x.row_span(rep.closest_pair[0]),
                                      x.row_span(rep.closest_pair[1])) *
                        (180.0 / std::numbers::pi);
  } else {
    rep.min_angle_deg = 180.0;
  }
  rep.delta_min_sphere = 1.0 - rep.max_cos;
  if (!std::isfinite(rep.max_cos) || std::isnan(rep.raw_delta_min)) {
    throw KernelError("separation metrics: result is not finite");
  }
  return rep;
}

SeparationReport feature_separation_report(const Matrix& x, const Matrix& weight,
                                           std::span<const double> bias,
                                           const SeparationOptions& options) {
  require(x.rows >= 1, "feature separation needs at least one vector");
  return separation_report(features_of(x, weight, bias), options);
}

SeparationReport separation_report_partitioned(const Matrix& x_local, const RowPartition& partition,
                                               const SeparationOptions& options) {
  require(options.block >= 1,
          "separation block size must be >= 1, got " + std::to_string(options.block));
  require(partition.parts() >= 1 && partition.part >= 0 && partition.part < partition.parts() &&
              partition.part_first.front() == 0 && partition.part_first.back() == partition.total,
          "separation metrics: inconsistent row partition");
  require(partition.total >= 1 && x_local.cols >= 1,
          "separation metrics need at least one vector of dimension >= 1");
  require(partition.first == partition.part_first[idx(partition.part)] &&
              x_local.rows == partition.rows_of(partition.part) &&
              static_cast<std::int64_t>(x_local.data.size()) == x_local.rows * x_local.cols,
          "separation metrics: the local rows do not match the row partition");
  const std::int64_t m = partition.total;
  const std::int64_t dim = x_local.cols;
  const std::int64_t local = x_local.rows;

  SeparationReport rep;
  rep.m = m;
  rep.dim = dim;

  // Norms of the local rows. A bad row is reported on every process alike (the largest bad
  // index), so no process is left in a later collective.
  std::vector<double> sq(idx(local)), inv_norm(idx(local));
  double local_max_norm = 0.0, local_min_norm = kInf;
  double bad = -1.0, bad_norm = 0.0;
  for (std::int64_t i = 0; i < local; ++i) {
    const double n = norm_of(x_local.row_span(i));
    if (!(n > 0.0) || !std::isfinite(n)) {
      bad = static_cast<double>(partition.first + i);
      bad_norm = n;
      continue;
    }
    sq[idx(i)] = n * n;
    inv_norm[idx(i)] = 1.0 / n;
    local_max_norm = std::max(local_max_norm, n);
    local_min_norm = std::min(local_min_norm, n);
  }
  {
    std::vector<double> reduced{bad, local_max_norm, -local_min_norm, static_cast<double>(dim),
                                -static_cast<double>(dim)};
    partition.max(reduced);
    if (reduced[3] != -reduced[4]) throw KernelError("separation metrics: the parts have different dimensions");
    if (reduced[0] >= 0.0) {
      const bool mine = reduced[0] == bad;
      throw KernelError("separation metrics: vector " + std::to_string(static_cast<std::int64_t>(reduced[0])) +
                        " has " + (mine ? "norm " + std::to_string(bad_norm) : std::string("zero or non-finite norm")) +
                        "; its direction on the sphere is undefined");
    }
    rep.max_norm = reduced[1];
    rep.min_norm = -reduced[2];
  }

  // Every part's rows visit every process in turn (one broadcast each, so at most one foreign
  // part is held at a time); each process scans its own rows against them. Every pair is seen
  // from both of its sides, and ties go to the smaller index whatever the visiting order.
  std::vector<double> best_raw(idx(local), -kInf), best_cos(idx(local), -kInf);
  std::vector<std::int64_t> raw_arg(idx(local), -1), cos_arg(idx(local), -1);
  const std::int64_t block = std::min(options.block, m);
  std::vector<double> tile(idx(block * block));
  std::vector<double> visitor, visitor_inv;
  for (int p = 0; p < partition.parts(); ++p) {
    const std::int64_t rows = partition.rows_of(p);
    if (rows == 0) continue;
    const std::int64_t visitor_first = partition.part_first[idx(p)];
    if (p == partition.part) {
      visitor.assign(x_local.data.begin(), x_local.data.end());
    } else {
      visitor.assign(idx(rows * dim), 0.0);
    }
    partition.broadcast(visitor, p);
    visitor_inv.resize(idx(rows));
    for (std::int64_t j = 0; j < rows; ++j) {
      visitor_inv[idx(j)] = 1.0 / norm_of(std::span<const double>(visitor.data() + j * dim, idx(dim)));
    }
    for (std::int64_t i0 = 0; i0 < local; i0 += block) {
      const std::int64_t bi = std::min(block, local - i0);
      for (std::int64_t j0 = 0; j0 < rows; j0 += block) {
        const std::int64_t bj = std::min(block, rows - j0);
        blas::gemm_nt(bi, bj, dim, 1.0, x_local.row(i0), dim, visitor.data() + j0 * dim, dim, 0.0, tile.data(), bj);
#pragma omp parallel for schedule(static)
        for (std::int64_t r = 0; r < bi; ++r) {
          const std::int64_t li = i0 + r;
          const std::int64_t gi = partition.first + li;
          const double inv_i = inv_norm[idx(li)];
          double raw_best = best_raw[idx(li)], cos_best = best_cos[idx(li)];
          std::int64_t raw_j = raw_arg[idx(li)], cos_j = cos_arg[idx(li)];
          const double* g = tile.data() + r * bj;
          for (std::int64_t c = 0; c < bj; ++c) {
            const std::int64_t gj = visitor_first + j0 + c;
            if (gj == gi) continue;
            const double cosine = g[c] * (inv_i * visitor_inv[idx(j0 + c)]);
            if (g[c] > raw_best || (g[c] == raw_best && gj < raw_j)) {
              raw_best = g[c];
              raw_j = gj;
            }
            if (cosine > cos_best || (cosine == cos_best && gj < cos_j)) {
              cos_best = cosine;
              cos_j = gj;
            }
          }
          best_raw[idx(li)] = raw_best;
          best_cos[idx(li)] = cos_best;
          raw_arg[idx(li)] = raw_j;
          cos_arg[idx(li)] = cos_j;
        }
      }
    }
  }

  // Per-row results of the local rows, then the global extremes with their smallest index.
  rep.raw_delta.resize(idx(local));
  rep.row_max_cos.resize(idx(local));
  rep.raw_nearest = std::move(raw_arg);
  rep.nearest = std::move(cos_arg);
  double local_delta_min = kInf, local_max_cos = -kInf;
  for (std::int64_t i = 0; i < local; ++i) {
    rep.raw_delta[idx(i)] = sq[idx(i)] - best_raw[idx(i)];
    rep.row_max_cos[idx(i)] = std::clamp(best_cos[idx(i)], -1.0, 1.0);
    local_delta_min = std::min(local_delta_min, rep.raw_delta[idx(i)]);
    local_max_cos = std::max(local_max_cos, rep.row_max_cos[idx(i)]);
  }
  std::vector<double> extremes{-local_delta_min, local_max_cos};
  partition.max(extremes);
  rep.raw_delta_min = -extremes[0];
  rep.max_cos = extremes[1];
  if (!std::isfinite(rep.max_cos) || std::isnan(rep.raw_delta_min)) {
    throw KernelError("separation metrics: result is not finite");
  }
  // Smallest indices attaining them, as −(largest −index); the closest row's partner comes along.
  std::vector<double> firsts{-kInf, -kInf};
  for (std::int64_t i = local - 1; i >= 0; --i) {
    if (rep.raw_delta[idx(i)] == rep.raw_delta_min) firsts[0] = -static_cast<double>(partition.first + i);
    if (rep.row_max_cos[idx(i)] == rep.max_cos) firsts[1] = -static_cast<double>(partition.first + i);
  }
  partition.max(firsts);
  rep.raw_argmin = static_cast<std::int64_t>(-firsts[0]);
  rep.delta_min_sphere = 1.0 - rep.max_cos;
  rep.min_angle_deg = 180.0;
  if (m >= 2) {
    const std::int64_t closest = static_cast<std::int64_t>(-firsts[1]);
    const auto owner = [&](std::int64_t row) {
      int p = 0;
      while (partition.part_first[idx(p) + 1] <= row) ++p;
      return p;
    };
    // The partner and both rows come from their owners; the angle is then evaluated alike on
    // every process.
    std::vector<double> partner{owner(closest) == partition.part
                                    ? static_cast<double>(rep.nearest[idx(closest - partition.first)])
                                    : 0.0};
    partition.broadcast(partner, owner(closest));
    const auto other = static_cast<std::int64_t>(partner[0]);
    rep.closest_pair = {std::min(closest, other), std::max(closest, other)};
    std::vector<double> u(idx(dim)), v(idx(dim));
    for (int k = 0; k < 2; ++k) {
      std::vector<double>& row = k == 0 ? u : v;
      const std::int64_t g = rep.closest_pair[idx(k)];
      if (owner(g) == partition.part) std::copy_n(x_local.row(g - partition.first), dim, row.begin());
      partition.broadcast(row, owner(g));
    }
    rep.min_angle_deg = angle_between(u, v) * (180.0 / std::numbers::pi);
  }
  return rep;
}

SeparationReport feature_separation_report_partitioned(const Matrix& x_local, const RowPartition& partition,
                                                       const Matrix& weight, std::span<const double> bias,
                                                       const SeparationOptions& options) {
  return separation_report_partitioned(features_of(x_local, weight, bias), partition, options);
}

}  // namespace hopcap::kernels
