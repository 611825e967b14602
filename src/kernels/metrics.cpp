#include "hopcap/kernels/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <set>
#include <string>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"
#include "hopcap/kernels/fixed_order_dot.hpp"
#include "hopcap/rng.hpp"
#include "hopcap/sizes.hpp"
#include "kernels/parallel_panels.hpp"

namespace hopcap::kernels {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Columns per work item of the column scan: one item reads a 512-byte strip of every tile row.
constexpr std::int64_t kColumnChunk = 64;
// Stream id of the sampled rows of an estimate ("hc-sampl").
constexpr std::uint64_t kSampleStream = 0x68632d73616d706cULL;

std::size_t idx(std::int64_t i) { return static_cast<std::size_t>(i); }

double sum_of_squares(std::span<const double> v) {
  double s = 0.0;
  for (double e : v) s += e * e;
  return s;
}

double norm_of(std::span<const double> v) { return std::sqrt(sum_of_squares(v)); }

// Screening windows. Any summation order of a length-d inner product errs by at most
// γ_d‖a‖‖b‖ (γ_d = d·u/(1 − d·u), u = 2⁻⁵³) plus d·2⁻¹⁰⁷⁴ where products underflow, so a BLAS
// entry and the fixed-order value of the same pair differ by at most twice that (and cosines by
// as much, scaled, plus a few roundings). A partner whose fixed-order value is the largest, or
// ties it, therefore has a BLAS value within that much of the best fixed-order value seen so
// far: re-evaluating every entry inside twice that window finds exactly the fixed-order maximum,
// whatever tile and rank the BLAS formed it in.
struct Windows {
  double raw_per_norm;  // raw window of a vector of norm n: raw_per_norm · n + raw_absolute
  double raw_absolute;
  double cos;
};

// γ_n = n·u/(1 − n·u) for unit roundoff u.
double gamma_of(std::int64_t n, double u) {
  const double nu = static_cast<double>(n) * u;
  return nu / (1.0 - nu);
}

// float32 tiles: the vectors are rounded to float (relative 2⁻²⁴ per entry) and the products
// summed in float, so an entry errs by at most γ₃₂‖a′‖‖b′‖ + (2u₃₂ + u₃₂²)‖a‖‖b‖ with
// ‖a′‖ ≤ (1 + u₃₂)‖a‖; in the range float32_tiles requires, no product underflows or overflows.
Windows windows_for(std::int64_t dim, double max_norm, double min_norm, bool float32_tiles) {
  const double u = std::numeric_limits<double>::epsilon() / 2.0;
  const double gamma = gamma_of(dim + 2, u);
  double screen = gamma;  // error of a tile entry against the exact inner product, per ‖a‖‖b‖
  if (float32_tiles) {
    const double u32 = std::numeric_limits<float>::epsilon() / 2.0;
    screen = gamma_of(dim + 2, u32) * (1.0 + u32) * (1.0 + u32) + 2.0 * u32 + u32 * u32;
  }
  const double width = 2.0 * (screen + gamma);  // tile entry and fixed-order value of a pair
  const double underflow = 4.0 * static_cast<double>(dim + 2) * std::numeric_limits<double>::denorm_min();
  return {width * max_norm, underflow, width + 16.0 * u + underflow / min_norm / min_norm};
}

// Running maxima for a run of memories: of raw inner products and of cosines, with the global
// index of the partner attaining each.
struct RowBest {
  std::vector<double> raw;
  std::vector<std::int64_t> raw_arg;
  std::vector<double> cos;
  std::vector<std::int64_t> cos_arg;

  explicit RowBest(std::int64_t m)
      : raw(idx(m), -kInf), raw_arg(idx(m), -1), cos(idx(m), -kInf), cos_arg(idx(m), -1) {}
};

// One side of a Gram tile: the running maxima of its vectors (fixed-order values), the vectors
// themselves (rows of length dim), their inverse norms and global indices, from the tile's first
// row (or column) on.
struct Side {
  double* raw;
  std::int64_t* raw_arg;
  double* cos;
  std::int64_t* cos_arg;
  const double* inv;
  const std::int64_t* index;
  const double* vec;
  std::int64_t dim;

  Side at(std::int64_t offset) const {
    const std::size_t o = idx(offset);
    return {raw + o, raw_arg + o, cos + o, cos_arg + o, inv + o, index + o, vec + offset * dim, dim};
  }
};

Side side_of(RowBest& best, const std::vector<double>& inv, const std::vector<std::int64_t>& index, const double* vec,
             std::int64_t dim) {
  return {best.raw.data(), best.raw_arg.data(), best.cos.data(), best.cos_arg.data(), inv.data(), index.data(),
          vec, dim};
}

// The larger value wins; among exact ties the smaller index, whatever order candidates come in.
inline bool better(double value, std::int64_t j, double best, std::int64_t best_j) {
  return value > best || (value == best && j < best_j);
}

// Makes (value, j) the kept best when it is better, and moves the screening floor with it.
inline void keep_if_better(double value, std::int64_t j, double window, double& best, std::int64_t& best_j,
                           double& floor) {
  if (!better(value, j, best, best_j)) return;
  best = value;
  best_j = j;
  floor = value - window;
}

// Folds the tile G (bi×bj, row-major, leading dimension bj: BLAS values) of the rows of `rows`
// against the columns of `cols` into both sides' maxima: each Gram entry serves both vectors of
// its pair. The BLAS value only screens: an entry within the window of a side's best kept value
// is formed again by fixed_order_dot, and that value competes (the larger wins, exact ties to
// the smaller global index), so what is kept depends on the vectors alone. On a diagonal tile
// (rows and cols the same vectors) each unordered pair is read once from the upper triangle.
// Where the two sides may hold the same vector (`shared`: a sample against the local rows), its
// pair with itself is skipped.
template <class T>
void scan_tile(const T* tile, std::int64_t bi, std::int64_t bj, bool diagonal, bool shared, const Side& rows,
               const Side& cols, const Windows& window) {
  const std::int64_t column_chunks = (bj + kColumnChunk - 1) / kColumnChunk;
  const std::int64_t dim = rows.dim;
#pragma omp parallel if (worth_a_team(4.0 * static_cast<double>(bi) * static_cast<double>(bj)))
  {
#pragma omp for schedule(static) nowait
    for (std::int64_t r = 0; r < bi; ++r) {
      const std::int64_t i = rows.index[r];
      const double inv_i = rows.inv[r];
      const double* xi = rows.vec + r * dim;
      const double raw_window = window.raw_per_norm / inv_i + window.raw_absolute;
      double raw_best = rows.raw[r], cos_best = rows.cos[r];
      std::int64_t raw_j = rows.raw_arg[r], cos_j = rows.cos_arg[r];
      double raw_floor = raw_best - raw_window, cos_floor = cos_best - window.cos;
      auto offer = [&](T entry, std::int64_t c) {
        const double g = entry;
        const double scale = inv_i * cols.inv[c];
        if (!(g >= raw_floor || g * scale >= cos_floor)) return;
        const double value = fixed_order_dot(xi, cols.vec + c * dim, dim);
        const double cosine = value * scale;
        const std::int64_t j = cols.index[c];
        keep_if_better(value, j, raw_window, raw_best, raw_j, raw_floor);
        keep_if_better(cosine, j, window.cos, cos_best, cos_j, cos_floor);
      };
      if (diagonal) {
        for (std::int64_t c = 0; c < r; ++c) offer(tile[c * bj + r], c);
      }
      const T* g = tile + r * bj;
      if (shared) {
        for (std::int64_t c = 0; c < bj; ++c) {
          if (cols.index[c] != i) offer(g[c], c);
        }
      } else {
        for (std::int64_t c = diagonal ? r + 1 : 0; c < bj; ++c) offer(g[c], c);
      }
      rows.raw[r] = raw_best;
      rows.raw_arg[r] = raw_j;
      rows.cos[r] = cos_best;
      rows.cos_arg[r] = cos_j;
    }
    // Columns (other vectors than the rows off the diagonal), swept row by row so the tile is
    // read contiguously.
    if (!diagonal) {
#pragma omp for schedule(static)
      for (std::int64_t chunk = 0; chunk < column_chunks; ++chunk) {
        const std::int64_t c_begin = chunk * kColumnChunk;
        const std::int64_t width = std::min(c_begin + kColumnChunk, bj) - c_begin;
        double raw_best[kColumnChunk], cos_best[kColumnChunk], raw_floor[kColumnChunk], cos_floor[kColumnChunk],
            raw_window[kColumnChunk];
        std::int64_t raw_i[kColumnChunk], cos_i[kColumnChunk];
        const double* inv_c = cols.inv + c_begin;
        const std::int64_t* index_c = cols.index + c_begin;
        for (std::int64_t c = 0; c < width; ++c) {
          const std::int64_t k = c_begin + c;
          raw_best[c] = cols.raw[k];
          raw_i[c] = cols.raw_arg[k];
          cos_best[c] = cols.cos[k];
          cos_i[c] = cols.cos_arg[k];
          raw_window[c] = window.raw_per_norm / inv_c[c] + window.raw_absolute;
          raw_floor[c] = raw_best[c] - raw_window[c];
          cos_floor[c] = cos_best[c] - window.cos;
        }
        for (std::int64_t r = 0; r < bi; ++r) {
          const std::int64_t i = rows.index[r];
          const double inv_i = rows.inv[r];
          const T* g = tile + r * bj + c_begin;
          for (std::int64_t c = 0; c < width; ++c) {
            if (shared && index_c[c] == i) continue;
            const double scale = inv_i * inv_c[c];
            const double entry = g[c];
            if (!(entry >= raw_floor[c] || entry * scale >= cos_floor[c])) continue;
            const double value = fixed_order_dot(cols.vec + (c_begin + c) * dim, rows.vec + r * dim, dim);
            const double cosine = value * scale;
            keep_if_better(value, i, raw_window[c], raw_best[c], raw_i[c], raw_floor[c]);
            keep_if_better(cosine, i, window.cos, cos_best[c], cos_i[c], cos_floor[c]);
          }
        }
        for (std::int64_t c = 0; c < width; ++c) {
          const std::int64_t k = c_begin + c;
          cols.raw[k] = raw_best[c];
          cols.raw_arg[k] = raw_i[c];
          cols.cos[k] = cos_best[c];
          cols.cos_arg[k] = cos_i[c];
        }
      }
    }
  }
}

// Every unordered pair among the n vectors of `all`: the upper-triangle tiles of their Gram
// matrix, one GEMM each, on x (all's vectors, or float32 copies of them).
template <class T>
void scan_own_pairs(std::int64_t n, std::int64_t block, const Side& all, const T* x, const Windows& window,
                    std::vector<T>& tile) {
  const std::int64_t dim = all.dim;
  for (std::int64_t i0 = 0; i0 < n; i0 += block) {
    const std::int64_t bi = std::min(block, n - i0);
    for (std::int64_t j0 = i0; j0 < n; j0 += block) {
      const std::int64_t bj = std::min(block, n - j0);
      blas::gemm_nt(bi, bj, dim, T{1}, x + i0 * dim, dim, x + j0 * dim, dim, T{0}, tile.data(), bj);
      scan_tile(tile.data(), bi, bj, i0 == j0, false, all.at(i0), all.at(j0), window);
    }
  }
}

// Every pair of a vector of xs (nx of them) with one of ys (ny): the tiles of X Yᵀ; `shared`
// when the two may hold the same vector (then not paired with itself).
template <class T>
void scan_cross_pairs(std::int64_t nx, std::int64_t ny, std::int64_t block, bool shared, const Side& xs,
                      const Side& ys, const T* x, const T* y, const Windows& window, std::vector<T>& tile) {
  const std::int64_t dim = xs.dim;
  for (std::int64_t i0 = 0; i0 < nx; i0 += block) {
    const std::int64_t bi = std::min(block, nx - i0);
    for (std::int64_t j0 = 0; j0 < ny; j0 += block) {
      const std::int64_t bj = std::min(block, ny - j0);
      blas::gemm_nt(bi, bj, dim, T{1}, x + i0 * dim, dim, y + j0 * dim, dim, T{0}, tile.data(), bj);
      scan_tile(tile.data(), bi, bj, false, shared, xs.at(i0), ys.at(j0), window);
    }
  }
}

// Where the tile GEMMs run: on the vectors themselves (float64), or on float32 copies.
class GramTiles {
 public:
  GramTiles(bool float32, std::int64_t block)
      : float32_(float32) {
    const std::size_t entries = checked_size(block, block, "separation metrics: tile block x block");
    if (float32_) {
      tile32_.resize(entries);
    } else {
      tile64_.resize(entries);
    }
  }
  bool float32() const { return float32_; }

  /// What the GEMMs read for `count` vectors of dimension dim: a float32 copy, or nothing.
  std::vector<float> gemm_copy(const double* v, std::int64_t count, std::int64_t dim) const {
    if (!float32_) return {};
    std::vector<float> out(checked_size(count, dim, "separation metrics: float32 rows x d"));
    for (std::size_t k = 0; k < out.size(); ++k) out[k] = static_cast<float>(v[k]);
    return out;
  }

  void own_pairs(std::int64_t n, std::int64_t block, const Side& all, const std::vector<float>& all32,
                 const Windows& window) {
    if (float32_) {
      scan_own_pairs(n, block, all, all32.data(), window, tile32_);
    } else {
      scan_own_pairs(n, block, all, all.vec, window, tile64_);
    }
  }

  /// xs and ys from their first rows; x32 and y32 the float32 copies from the same rows.
  void cross_pairs(std::int64_t nx, std::int64_t ny, std::int64_t block, bool shared, const Side& xs, const Side& ys,
                   const float* x32, const float* y32, const Windows& window) {
    if (float32_) {
      scan_cross_pairs(nx, ny, block, shared, xs, ys, x32, y32, window, tile32_);
    } else {
      scan_cross_pairs(nx, ny, block, shared, xs, ys, xs.vec, ys.vec, window, tile64_);
    }
  }

 private:
  bool float32_;
  std::vector<double> tile64_;
  std::vector<float> tile32_;
};

// Partial maxima of the same vectors held by every process (−∞ where a process saw no partner)
// become the maxima over all of them, the smallest index among exact ties, on every process.
void reduce_best(const RowPartition& partition, RowBest& best) {
  const std::size_t n = best.raw.size();
  if (n == 0) return;
  std::vector<double> values(2 * n);
  std::copy(best.raw.begin(), best.raw.end(), values.begin());
  std::copy(best.cos.begin(), best.cos.end(), values.begin() + static_cast<std::ptrdiff_t>(n));
  partition.max(values);
  // Smallest index as the largest −index; indices stay far below 2^53.
  std::vector<double> firsts(2 * n, -kInf);
  for (std::size_t k = 0; k < n; ++k) {
    if (best.raw_arg[k] >= 0 && best.raw[k] == values[k]) firsts[k] = -static_cast<double>(best.raw_arg[k]);
    if (best.cos_arg[k] >= 0 && best.cos[k] == values[n + k]) firsts[n + k] = -static_cast<double>(best.cos_arg[k]);
  }
  partition.max(firsts);
  for (std::size_t k = 0; k < n; ++k) {
    best.raw[k] = values[k];
    best.cos[k] = values[n + k];
    best.raw_arg[k] = firsts[k] == -kInf ? -1 : static_cast<std::int64_t>(-firsts[k]);
    best.cos_arg[k] = firsts[n + k] == -kInf ? -1 : static_cast<std::int64_t>(-firsts[n + k]);
  }
}

// Folds `from` into `into` (the same vectors), keeping the rule of `better`.
void merge_best(const RowBest& from, RowBest& into) {
  for (std::size_t k = 0; k < from.raw.size(); ++k) {
    if (from.raw_arg[k] >= 0 && better(from.raw[k], from.raw_arg[k], into.raw[k], into.raw_arg[k])) {
      into.raw[k] = from.raw[k];
      into.raw_arg[k] = from.raw_arg[k];
    }
    if (from.cos_arg[k] >= 0 && better(from.cos[k], from.cos_arg[k], into.cos[k], into.cos_arg[k])) {
      into.cos[k] = from.cos[k];
      into.cos_arg[k] = from.cos_arg[k];
    }
  }
}

// The rows a process pairs with a visiting part: local rows [row_begin, row_end) against the
// visitor's rows [col_begin, col_end). Part p takes the parts q at ring distance k = q − p
// (mod P) with 2k < P whole; at 2k = P both sides take half of the pairs (the smaller part
// index the first half of the other's rows, the larger one its own second half), so every pair
// of parts is handled exactly once and the work is balanced when the parts are.
struct Assignment {
  std::int64_t row_begin = 0, row_end = 0, col_begin = 0, col_end = 0;
  bool empty() const { return row_end <= row_begin || col_end <= col_begin; }
};

Assignment assignment(const RowPartition& partition, int p, int q) {
  const int parts = partition.parts();
  const std::int64_t rows_p = partition.rows_of(p), rows_q = partition.rows_of(q);
  if (p == q) return {};
  const int k = ((q - p) % parts + parts) % parts;
  if (2 * k < parts) return {0, rows_p, 0, rows_q};
  if (2 * k == parts) return p < q ? Assignment{0, rows_p, 0, rows_q / 2} : Assignment{rows_p / 2, rows_p, 0, rows_q};
  return {};
}

std::int64_t owner_of(const RowPartition& partition, std::int64_t row) {
  int p = 0;
  while (partition.part_first[idx(p) + 1] <= row) ++p;
  return p;
}

// Checks the partition and the local rows; norms of the local rows, with a bad row reported on
// every process alike (the smallest bad index), so no process is left in a later collective.
struct LocalNorms {
  std::vector<double> sq, inv;
  std::vector<std::int64_t> index;  // global index of every local row
  double max_norm = 0.0, min_norm = kInf;
  /// float32 tiles asked for, every non-zero |entry| of the whole set in [2^-50, 2^50] and
  /// dim ≤ kFloat32MaxDim: float32 products and their sums neither overflow nor underflow.
  bool float32_range = false;
};

// Far inside float32's normal range: products of two entries stay above 2^-126 and sums of
// up to 2^24 of them below 2^128.
constexpr double kFloat32Smallest = 0x1p-50;
constexpr double kFloat32Largest = 0x1p50;
// Beyond it γ_d(u₃₂) would widen the screening window towards every entry.
constexpr std::int64_t kFloat32MaxDim = std::int64_t{1} << 20;

LocalNorms check_and_measure(const Matrix& x_local, const RowPartition& partition, const SeparationOptions& options) {
  require(options.block >= 1, "separation block size must be >= 1, got " + std::to_string(options.block));
  require(partition.parts() >= 1 && partition.part >= 0 && partition.part < partition.parts() &&
              partition.part_first.front() == 0 && partition.part_first.back() == partition.total,
          "separation metrics: inconsistent row partition");
  require(partition.total >= 1 && x_local.cols >= 1,
          "separation metrics need at least one vector of dimension >= 1");
  require(partition.first == partition.part_first[idx(partition.part)] &&
              x_local.rows == partition.rows_of(partition.part) && x_local.storage_matches_shape(),
          "separation metrics: the local rows do not match the row partition");
  const std::int64_t local = x_local.rows;
  const std::int64_t dim = x_local.cols;
  LocalNorms norms;
  norms.sq.resize(idx(local));
  norms.inv.resize(idx(local));
  norms.index.resize(idx(local));
  std::iota(norms.index.begin(), norms.index.end(), partition.first);
  double bad = -kInf, bad_norm = 0.0;
  double largest = 0.0, smallest = kInf;  // of the non-zero |entries|
  for (const double e : x_local.data) {
    const double a = std::fabs(e);
    if (a > largest) largest = a;
    if (a > 0.0 && a < smallest) smallest = a;
  }
  for (std::int64_t i = local - 1; i >= 0; --i) {
    const double s = sum_of_squares(x_local.row_span(i));
    const double n = std::sqrt(s);
    if (!(n > 0.0) || !std::isfinite(n)) {
      bad = -static_cast<double>(partition.first + i);
      bad_norm = n;
      continue;
    }
    norms.sq[idx(i)] = s;
    norms.inv[idx(i)] = 1.0 / n;
    norms.max_norm = std::max(norms.max_norm, n);
    norms.min_norm = std::min(norms.min_norm, n);
  }
  std::vector<double> reduced{bad,       norms.max_norm, -norms.min_norm, static_cast<double>(dim), -static_cast<double>(dim),
                              largest, -smallest};
  partition.max(reduced);
  norms.float32_range = options.float32_tiles && dim <= kFloat32MaxDim && reduced[5] <= kFloat32Largest &&
                        -reduced[6] >= kFloat32Smallest;
  if (reduced[3] != -reduced[4]) throw KernelError("separation metrics: the parts have different dimensions");
  if (reduced[0] > -kInf) {
    const bool mine = reduced[0] == bad;
    throw KernelError("separation metrics: vector " + std::to_string(static_cast<std::int64_t>(-reduced[0])) +
                      " has " + (mine ? "norm " + std::to_string(bad_norm) : std::string("zero or non-finite norm")) +
                      "; its direction on the sphere is undefined");
  }
  norms.max_norm = reduced[1];
  norms.min_norm = -reduced[2];
  return norms;
}

// A report over `rows` per-row entries of a set of m vectors of dimension dim, with the range of its norms;
// the per-row values and extremes are filled in by the caller.
SeparationReport report_for_rows(std::int64_t m, std::int64_t dim, const LocalNorms& norms, std::int64_t rows) {
  SeparationReport rep;
  rep.m = m;
  rep.dim = dim;
  rep.max_norm = norms.max_norm;
  rep.min_norm = norms.min_norm;
  rep.raw_delta.resize(idx(rows));
  rep.row_max_cos.resize(idx(rows));
  return rep;
}

// Row `row` of the whole set on every process, from its owner.
std::vector<double> row_everywhere(const Matrix& x_local, const RowPartition& partition, std::int64_t row) {
  std::vector<double> v(idx(x_local.cols));
  const int owner = static_cast<int>(owner_of(partition, row));
  if (owner == partition.part) std::copy_n(x_local.row(row - partition.first), x_local.cols, v.begin());
  partition.broadcast(v, owner);
  return v;
}

// Φ(ξ) = W ξ (+ b) for every row of x, one GEMM.
Matrix features_of(const Matrix& x, const Matrix& weight, std::span<const double> bias) {
  require(weight.rows >= 1 && weight.cols >= 1,
          "feature map W must have at least one row (D_Phi >= 1) and one column");
  require(weight.storage_matches_shape(),
          "feature map W: storage does not match its shape");
  require(weight.cols == x.cols, "feature map W expects vectors of dimension " +
                                     std::to_string(weight.cols) + ", got " +
                                     std::to_string(x.cols));
  require(bias.empty() || static_cast<std::int64_t>(bias.size()) == weight.rows,
          "feature map bias must be empty or have D_Phi = " + std::to_string(weight.rows) +
              " entries, got " + std::to_string(bias.size()));
  // By fixed_order_dot, not a GEMM over the local rows: a feature then depends on its memory
  // alone, not on how many rows the part holds (M·D_Φ·d flops, small beside the M²·D_Φ pairs).
  const std::int64_t features_dim = weight.rows;
  Matrix features(x.rows, features_dim);
#pragma omp parallel for schedule(static) if (worth_a_team(2.0 * static_cast<double>(x.rows) * \
                                                            static_cast<double>(features_dim) * static_cast<double>(x.cols)))
  for (std::int64_t i = 0; i < x.rows; ++i) {
    double* f = features.row(i);
    for (std::int64_t k = 0; k < features_dim; ++k) {
      f[k] = fixed_order_dot(x.row(i), weight.row(k), x.cols);
      if (!bias.empty()) f[k] += bias[idx(k)];
    }
  }
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
  require(x.storage_matches_shape(),
          "separation metrics: matrix storage does not match its shape");
  return separation_report_partitioned(x, RowPartition::whole(x.rows), options);
}

SeparationReport feature_separation_report(const Matrix& x, const Matrix& weight,
                                           std::span<const double> bias,
                                           const SeparationOptions& options) {
  require(x.rows >= 1, "feature separation needs at least one vector");
  return separation_report(features_of(x, weight, bias), options);
}

SeparationReport separation_report_partitioned(const Matrix& x_local, const RowPartition& partition,
                                               const SeparationOptions& options) {
  const LocalNorms norms = check_and_measure(x_local, partition, options);
  const std::int64_t m = partition.total;
  const std::int64_t dim = x_local.cols;
  const std::int64_t local = x_local.rows;

  // The pairs among the local rows, then the pairs with every other part's rows as that part
  // visits (one broadcast each, skipped where no process pairs with it), each pair by exactly
  // one process (`assignment`). A visitor's partial maxima return to its owner by a reduction.
  RowBest mine(local);
  const Side mine_side = side_of(mine, norms.inv, norms.index, x_local.data.data(), dim);
  const Windows window = windows_for(dim, norms.max_norm, norms.min_norm, norms.float32_range);
  const std::int64_t block = std::min(options.block, m);
  GramTiles tiles(norms.float32_range, block);
  const std::vector<float> mine32 = tiles.gemm_copy(x_local.data.data(), local, dim);
  tiles.own_pairs(local, block, mine_side, mine32, window);
  std::vector<double> visitor, visitor_inv;
  std::vector<std::int64_t> visitor_index;
  for (int q = 0; q < partition.parts(); ++q) {
    bool visited = false;
    for (int p = 0; p < partition.parts(); ++p) visited = visited || !assignment(partition, p, q).empty();
    if (!visited) continue;
    const std::int64_t rows = partition.rows_of(q);
    if (q == partition.part) {
      visitor.assign(x_local.data.begin(), x_local.data.end());
    } else {
      visitor.assign(checked_size(rows, dim, "separation metrics: visiting rows x d"), 0.0);
    }
    partition.broadcast(visitor, q);
    RowBest visiting(rows);
    const Assignment a = assignment(partition, partition.part, q);
    if (!a.empty()) {
      visitor_inv.resize(idx(rows));
      visitor_index.resize(idx(rows));
      for (std::int64_t j = 0; j < rows; ++j) {
        visitor_inv[idx(j)] = 1.0 / norm_of(std::span<const double>(visitor.data() + j * dim, idx(dim)));
        visitor_index[idx(j)] = partition.part_first[idx(q)] + j;
      }
      const Side visiting_side = side_of(visiting, visitor_inv, visitor_index, visitor.data(), dim);
      const std::vector<float> visitor32 = tiles.gemm_copy(visitor.data(), rows, dim);
      tiles.cross_pairs(a.row_end - a.row_begin, a.col_end - a.col_begin, block, false, mine_side.at(a.row_begin),
                        visiting_side.at(a.col_begin), tiles.float32() ? mine32.data() + a.row_begin * dim : nullptr,
                        tiles.float32() ? visitor32.data() + a.col_begin * dim : nullptr, window);
    }
    reduce_best(partition, visiting);
    if (q == partition.part) merge_best(visiting, mine);
  }

  // Per-row results of the local rows, then the global extremes with their smallest index.
  SeparationReport rep = report_for_rows(m, dim, norms, local);
  double local_delta_min = kInf, local_max_cos = -kInf;
  for (std::int64_t i = 0; i < local; ++i) {
    // With M = 1 the maxima stay at −∞, which yields the documented conventions: Δ = +∞ and,
    // after clamping, cos = −1.
    rep.raw_delta[idx(i)] = norms.sq[idx(i)] - mine.raw[idx(i)];
    rep.row_max_cos[idx(i)] = std::clamp(mine.cos[idx(i)], -1.0, 1.0);
    local_delta_min = std::min(local_delta_min, rep.raw_delta[idx(i)]);
    local_max_cos = std::max(local_max_cos, rep.row_max_cos[idx(i)]);
  }
  rep.raw_nearest = std::move(mine.raw_arg);
  rep.nearest = std::move(mine.cos_arg);
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
    const int closest_owner = static_cast<int>(owner_of(partition, closest));
    std::vector<double> partner{closest_owner == partition.part
                                    ? static_cast<double>(rep.nearest[idx(closest - partition.first)])
                                    : 0.0};
    partition.broadcast(partner, closest_owner);
    const auto other = static_cast<std::int64_t>(partner[0]);
    rep.closest_pair = {std::min(closest, other), std::max(closest, other)};
    // Both rows come from their owners; the angle is then evaluated alike on every process.
    const std::vector<double> u = row_everywhere(x_local, partition, rep.closest_pair[0]);
    const std::vector<double> v = row_everywhere(x_local, partition, rep.closest_pair[1]);
    rep.min_angle_deg = angle_between(u, v) * (180.0 / std::numbers::pi);
  }
  return rep;
}

SeparationReport feature_separation_report_partitioned(const Matrix& x_local, const RowPartition& partition,
                                                       const Matrix& weight, std::span<const double> bias,
                                                       const SeparationOptions& options) {
  return separation_report_partitioned(features_of(x_local, weight, bias), partition, options);
}

std::vector<std::int64_t> sample_rows(std::int64_t m, std::int64_t count, std::uint64_t seed) {
  require(m >= 1 && count >= 1, "separation sample: need M >= 1 and a sample of at least one memory (got M = " +
                                    std::to_string(m) + ", sample " + std::to_string(count) + ")");
  std::vector<std::int64_t> rows;
  if (count >= m) {
    rows.resize(idx(m));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
  }
  // Floyd's algorithm: every subset of `count` rows is equally likely; draw j from stream j.
  std::set<std::int64_t> chosen;
  for (std::int64_t j = m - count; j < m; ++j) {
    rng::Stream stream(seed, kSampleStream, static_cast<std::uint64_t>(j));
    const auto t = static_cast<std::int64_t>(stream.below(static_cast<std::uint64_t>(j) + 1));
    if (!chosen.insert(t).second) chosen.insert(j);
  }
  rows.assign(chosen.begin(), chosen.end());
  return rows;
}

SeparationReport separation_estimate_partitioned(const Matrix& x_local, const RowPartition& partition,
                                                 std::span<const std::int64_t> sample,
                                                 const SeparationOptions& options) {
  const LocalNorms norms = check_and_measure(x_local, partition, options);
  const std::int64_t m = partition.total;
  const std::int64_t dim = x_local.cols;
  const std::int64_t local = x_local.rows;
  require(!sample.empty(), "separation estimate: the sample is empty");
  for (std::size_t k = 0; k < sample.size(); ++k) {
    require(sample[k] >= 0 && sample[k] < m && (k == 0 || sample[k] > sample[k - 1]),
            "separation estimate: the sample must be increasing row indices in [0, M)");
  }
  const auto s = static_cast<std::int64_t>(sample.size());

  // The sampled rows on every process, one broadcast per part that holds some of them.
  std::vector<double> sampled(checked_size(s, dim, "separation estimate: sample x d"));
  for (int p = 0; p < partition.parts(); ++p) {
    const auto lo = std::lower_bound(sample.begin(), sample.end(), partition.part_first[idx(p)]) - sample.begin();
    const auto hi = std::lower_bound(sample.begin(), sample.end(), partition.part_first[idx(p) + 1]) - sample.begin();
    if (hi == lo) continue;
    if (p == partition.part) {
      for (auto k = lo; k < hi; ++k) {
        std::copy_n(x_local.row(sample[idx(k)] - partition.first), dim, sampled.begin() + k * dim);
      }
    }
    partition.broadcast(std::span<double>(sampled.data() + lo * dim, idx((hi - lo) * dim)), p);
  }
  std::vector<double> sampled_sq(idx(s)), sampled_inv(idx(s));
  for (std::int64_t k = 0; k < s; ++k) {
    sampled_sq[idx(k)] = sum_of_squares(std::span<const double>(sampled.data() + k * dim, idx(dim)));
    sampled_inv[idx(k)] = 1.0 / std::sqrt(sampled_sq[idx(k)]);
  }
  const std::vector<std::int64_t> sampled_index(sample.begin(), sample.end());

  // Every local row against every sampled row: the local rows' maxima over sampled partners,
  // and the sampled rows' maxima over the local rows, reduced over the parts to their exact
  // maxima over all M − 1 partners.
  RowBest mine(local), of_sample(s);
  const std::int64_t block = std::min(options.block, m);
  GramTiles tiles(norms.float32_range, block);
  const std::vector<float> mine32 = tiles.gemm_copy(x_local.data.data(), local, dim);
  const std::vector<float> sampled32 = tiles.gemm_copy(sampled.data(), s, dim);
  tiles.cross_pairs(local, s, block, true, side_of(mine, norms.inv, norms.index, x_local.data.data(), dim),
                    side_of(of_sample, sampled_inv, sampled_index, sampled.data(), dim), mine32.data(),
                    sampled32.data(), windows_for(dim, norms.max_norm, norms.min_norm, norms.float32_range));
  reduce_best(partition, of_sample);

  SeparationReport rep = report_for_rows(m, dim, norms, s);
  rep.max_cos = -kInf;
  std::int64_t closest = -1;
  double local_delta_min = kInf;
  for (std::int64_t k = 0; k < s; ++k) {
    rep.raw_delta[idx(k)] = sampled_sq[idx(k)] - of_sample.raw[idx(k)];
    rep.row_max_cos[idx(k)] = std::clamp(of_sample.cos[idx(k)], -1.0, 1.0);
    local_delta_min = std::min(local_delta_min, rep.raw_delta[idx(k)]);
    if (rep.row_max_cos[idx(k)] > rep.max_cos) {
      rep.max_cos = rep.row_max_cos[idx(k)];
      closest = k;
    }
  }
  // Δ_μ of an unsampled row over its sampled partners also bounds Δ_min from above.
  for (std::int64_t i = 0; i < local; ++i) local_delta_min = std::min(local_delta_min, norms.sq[idx(i)] - mine.raw[idx(i)]);
  std::vector<double> extremes{-local_delta_min};
  partition.max(extremes);
  rep.raw_delta_min = -extremes[0];
  if (!std::isfinite(rep.max_cos) || std::isnan(rep.raw_delta_min)) {
    throw KernelError("separation metrics: result is not finite");
  }
  std::vector<double> first{-kInf};
  for (std::int64_t k = s - 1; k >= 0; --k) {
    if (rep.raw_delta[idx(k)] == rep.raw_delta_min) first[0] = std::max(first[0], -static_cast<double>(sample[idx(k)]));
  }
  for (std::int64_t i = local - 1; i >= 0; --i) {
    if (norms.sq[idx(i)] - mine.raw[idx(i)] == rep.raw_delta_min) {
      first[0] = std::max(first[0], -static_cast<double>(partition.first + i));
    }
  }
  partition.max(first);
  rep.raw_argmin = static_cast<std::int64_t>(-first[0]);
  rep.raw_nearest = std::move(of_sample.raw_arg);
  rep.nearest = std::move(of_sample.cos_arg);
  rep.delta_min_sphere = 1.0 - rep.max_cos;
  rep.min_angle_deg = 180.0;
  if (m >= 2) {
    const std::int64_t row = sample[idx(closest)], other = rep.nearest[idx(closest)];
    rep.closest_pair = {std::min(row, other), std::max(row, other)};
    const std::vector<double> partner = row_everywhere(x_local, partition, other);
    rep.min_angle_deg =
        angle_between(std::span<const double>(sampled.data() + closest * dim, idx(dim)), partner) *
        (180.0 / std::numbers::pi);
  }
  return rep;
}

SeparationReport feature_separation_estimate_partitioned(const Matrix& x_local, const RowPartition& partition,
                                                         const Matrix& weight, std::span<const double> bias,
                                                         std::span<const std::int64_t> sample,
                                                         const SeparationOptions& options) {
  return separation_estimate_partitioned(features_of(x_local, weight, bias), partition, sample, options);
}

}  // namespace hopcap::kernels
