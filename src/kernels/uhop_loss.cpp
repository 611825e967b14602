#include "hopcap/kernels/uhop_loss.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"
#include "hopcap/kernels/exp.hpp"
#include "hopcap/name_table.hpp"
#include "hopcap/sizes.hpp"
#include "kernels/fixed_point.hpp"
#include "kernels/ordered_tiles.hpp"
#include "kernels/parallel_panels.hpp"
#include "kernels/tile_rounds.hpp"

namespace hopcap {

namespace {

constexpr NameTable kLossNames{"U-Hop+ loss", std::array<Named<UhopLossKind>, 3>{{{UhopLossKind::pairwise, "pairwise"},
                                                                                  {UhopLossKind::per_memory, "per_memory"},
                                                                                  {UhopLossKind::as_coded, "as_coded"}}}};

}  // namespace

UhopLossKind parse_uhop_loss(std::string_view text) { return kLossNames.parse(text); }

std::string to_string(UhopLossKind kind) { return std::string(kLossNames.name(kind)); }

namespace kernels {
namespace {

using fixed::Fixed;
using fixed::Scale;

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kPosInf = std::numeric_limits<double>::infinity();
// per_memory takes one exponential per Gram entry, relative to the tile's maximum, where every
// entry of the tile lies within this many units of z = s/τ of it: e^{−500} is still a normal
// double with full precision, and e^{500} (a row factor of the gradient pass) does not
// overflow. Wider tiles (τ below 1/250) take one exponential per row and per column shift.
constexpr double kOneShiftRange = 500.0;
// per_memory keeps its first pass's exponentials for the gradient pass in up to this many Gram
// entries (24 MiB) unless the options say otherwise. Measured on one core: at M = 2048 (19 MiB
// kept) the step took 22 ms kept against 27 ms recomputed; at M = 4096 (71 MiB) 69 ms kept
// against 40 ms recomputed, the kept tiles then costing fresh pages on every call (glibc maps
// blocks over 32 MiB anew) and memory traffic as much as an exponential per entry.
constexpr std::int64_t kKeptEntries = std::int64_t{3} << 20;
// The same range in float32: e^{−80} ≈ 1.8e−38 is still a normal float (the float exponential
// flushes below −87.3) and e^{80} ≈ 5.5e34 does not overflow one.
constexpr double kOneShiftRangeFloat = 80.0;

template <class Real>
constexpr Real kRealNegInf = -std::numeric_limits<Real>::infinity();

// Entries ν of row μ that the loss sums over: every ν ≠ μ, or only ν > μ (as coded).
bool upper_only(UhopLossKind kind) { return kind == UhopLossKind::as_coded; }

// Tile side: a function of M and the options only, never of the partition or threads. About
// 8 blocks, so that the triangle saves close to half of the square and its tiles spread over
// threads; at least 64 rows, below which the per-tile work costs more than the triangle
// saves (at M = 256, D_Φ = 8 on one core: 0.110 ms pairwise and 0.143 ms per_memory with
// tiles of 64, 0.117 and 0.164 ms with tiles of 32); at most 256, so a tile (512 KiB) stays
// in cache.
std::int64_t block_rows_for(std::int64_t m, std::int64_t panel_rows) {
  if (panel_rows > 0) return std::min(panel_rows, m);
  return std::min(m, std::clamp<std::int64_t>((m + 7) / 8, 64, 256));
}

// Exact sum of fixed-point values over the processes.
void reduce_fixed(const RowPartition& partition, std::vector<Fixed>& values) {
  std::vector<std::int64_t> limbs(values.size() * fixed::kLimbs);
  fixed::to_limbs(values, limbs);
  partition.sum_integers(limbs);
  fixed::from_limbs(limbs, values);
}

// A sum kept relative to its largest shift: value · e^{shift}. Adding term · e^{term_shift}
// is value ← beta · value + alpha · term with these factors (beta = 0 for the first term).
struct Rescale {
  double alpha = 1.0, beta = 0.0;
};
Rescale add_shifted(double& shift, double term_shift) {
  if (shift == kNegInf) {
    shift = term_shift;
    return {1.0, 0.0};
  }
  if (term_shift > shift) {
    const double beta = std::exp(shift - term_shift);
    shift = term_shift;
    return {1.0, beta};
  }
  return {std::exp(term_shift - shift), 1.0};
}

// Eight interleaved lanes, as in fixed_order_sum: the compiler turns them into vector maxima
// (a plain max reduction over doubles stays scalar without -ffast-math). A maximum does not
// depend on the order anyway.
template <class Real>
Real max_of(const Real* z, std::int64_t n) {
  constexpr std::int64_t kLanes = 8;
  Real lane[kLanes];
  std::fill_n(lane, kLanes, kRealNegInf<Real>);
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (std::int64_t l = 0; l < kLanes; ++l) lane[l] = std::max(lane[l], z[i + l]);
  }
  Real top = kRealNegInf<Real>;
  for (std::int64_t l = 0; l < kLanes; ++l) top = std::max(top, lane[l]);
  for (; i < n; ++i) top = std::max(top, z[i]);
  return top;
}

// The smallest entry above −∞ (+∞ if none).
template <class Real>
Real finite_min_of(const Real* z, std::int64_t n) {
  constexpr std::int64_t kLanes = 8;
  constexpr Real kHigh = std::numeric_limits<Real>::infinity();
  Real lane[kLanes];
  std::fill_n(lane, kLanes, kHigh);
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (std::int64_t l = 0; l < kLanes; ++l) lane[l] = std::min(lane[l], z[i + l] == -kHigh ? kHigh : z[i + l]);
  }
  Real low = kHigh;
  for (std::int64_t l = 0; l < kLanes; ++l) low = std::min(low, lane[l]);
  for (; i < n; ++i) low = std::min(low, z[i] == -kHigh ? kHigh : z[i]);
  return low;
}

// Σ z[i] in a fixed order of n alone (eight interleaved partial sums, then the tail), so the
// same on every thread and for any alignment, and vectorised. Float entries are summed in
// double (each converted exactly).
template <class Real>
double fixed_order_sum(const Real* z, std::int64_t n) {
  constexpr std::int64_t kLanes = 8;
  double lane[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (std::int64_t l = 0; l < kLanes; ++l) lane[l] += z[i + l];
  }
  double sum = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
  for (; i < n; ++i) sum += z[i];
  return sum;
}

// fixed_order_sum(z, n), adding z[i] to column[i] on the way (one pass for both sums).
template <class Real>
double fixed_order_sum_into(const Real* z, std::int64_t n, double* column) {
  constexpr std::int64_t kLanes = 8;
  double lane[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (std::int64_t l = 0; l < kLanes; ++l) {
      lane[l] += z[i + l];
      column[i + l] += z[i + l];
    }
  }
  double sum = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
  for (; i < n; ++i) {
    sum += z[i];
    column[i] += z[i];
  }
  return sum;
}

// Column maxima of a tile (rows × cols, row-major).
template <class Real>
void column_maxima(const Real* z, std::int64_t rows, std::int64_t cols, Real* col_top) {
  std::fill_n(col_top, cols, kRealNegInf<Real>);
  for (std::int64_t r = 0; r < rows; ++r) {
    const Real* zr = z + r * cols;
    for (std::int64_t c = 0; c < cols; ++c) col_top[c] = std::max(col_top[c], zr[c]);
  }
}

// Row maxima of a tile (rows × cols, row-major) and their maximum.
template <class Real>
Real row_maxima(const Real* z, std::int64_t rows, std::int64_t cols, Real* row_top) {
  Real top = kRealNegInf<Real>;
  for (std::int64_t r = 0; r < rows; ++r) {
    row_top[r] = max_of(z + r * cols, cols);
    top = std::max(top, row_top[r]);
  }
  return top;
}

// The closest pair seen by one block: the largest z = s/τ, the first pair (μ < ν) among ties,
// so the same whatever order its tiles come in.
struct BlockBest {
  double z = kNegInf;
  std::int64_t i = -1, j = -1;
  void offer(double value, std::int64_t mu, std::int64_t nu) {
    if (value > z || (value == z && (i < 0 || mu < i || (mu == i && nu < j)))) {
      z = value;
      i = mu;
      j = nu;
    }
  }
};

// Determinism: the memories are cut into fixed global blocks of rows (block_rows_for), and
// the Gram triangle into tiles of two blocks, scheduled in rounds that depend on the block
// count alone. Each block's sums over its tiles (the loss's sum of exponentials, its gradient
// rows, per_memory's row sums) are taken in round order, by a process that holds the block's
// first row, from the gathered memories and features, with the same GEMM shapes whoever
// computes them; a tile between two processes' blocks is computed by both. Sums over blocks
// (the loss, ∂L/∂W, ∂L/∂b) are exact in 128-bit fixed point within and across processes;
// maxima and per-row values travel by exact maxima. So the result is bitwise the same for any
// partition (empty parts included) and any thread count.
//
// Real is the arithmetic of the Gram tiles, their exponentials and the gradient GEMMs (double
// or float); the features, norms, maxima's shifts, every sum over a tile and the chain rule
// stay double, so a float tile's partial sums enter the same exact accumulators.
template <class Real>
UhopLossValue tiled_loss(const Matrix& x, const RowPartition& partition, const FeatureMap& map,
                         const UhopLossOptions& options, Matrix* grad_weight, std::vector<double>* grad_bias) {
  const std::int64_t m = partition.total;  // every memory, over all processes
  const std::int64_t d = x.cols;
  const std::int64_t dphi = map.feature_dim();
  const double tau = options.tau;
  const UhopLossKind kind = options.kind;
  const bool want_grad = grad_weight != nullptr || grad_bias != nullptr;
  const UhopTiling tiling = uhop_tiling(m, options, want_grad);
  const std::int64_t block = tiling.block_rows;
  const std::int64_t blocks = tiling.blocks;
  // The blocks of this process: those whose first row it holds (none for an empty part).
  const bool one_part = partition.parts() <= 1;
  require(!one_part || x.rows == m, "row partition out of range");
  const std::int64_t part_begin = one_part ? 0 : partition.part_first[static_cast<std::size_t>(partition.part)];
  const std::int64_t part_end = one_part ? m : partition.part_first[static_cast<std::size_t>(partition.part) + 1];
  const std::int64_t first_block = (part_begin + block - 1) / block;
  const std::int64_t end_block = std::max(first_block, (part_end + block - 1) / block);
  const auto block_size = [&](std::int64_t b) { return std::min(block, m - b * block); };

  // Every memory on every process (M×d), and its normalised feature φ̂ and feature norm,
  // computed block by block alike everywhere.
  Matrix gathered;
  if (!one_part) {
    gathered = Matrix(m, d);
    partition.gather_rows(x.data, gathered.data, d);
  }
  const Matrix& xa = one_part ? x : gathered;
  Matrix fh(m, dphi);
  std::vector<double> norms(static_cast<std::size_t>(m));
  parallel_panels(0, blocks, 2.0 * static_cast<double>(m) * static_cast<double>(dphi) * static_cast<double>(d), [] { return 0; }, [&](std::int64_t b, int&) {
    const std::int64_t b0 = b * block, rows = block_size(b);
    Matrix xb(rows, d);
    std::copy_n(xa.row(b0), rows * d, xb.data.begin());
    const Matrix fb = apply_feature_map(map, xb);
    for (std::int64_t r = 0; r < rows; ++r) {
      const double* f = fb.row(r);
      double s = 0.0;
      for (std::int64_t k = 0; k < dphi; ++k) s += f[k] * f[k];
      const double n = std::sqrt(s);
      norms[static_cast<std::size_t>(b0 + r)] = n;
      double* out = fh.row(b0 + r);
      for (std::int64_t k = 0; k < dphi; ++k) out[k] = f[k] / n;
    }
  });
  // The tiles' and gradient GEMMs' operands in Real: the normalised features and the memories
  // themselves in double, float copies of them in float32.
  constexpr bool kSingle = std::is_same_v<Real, float>;
  std::vector<Real> fh_single(kSingle ? fh.data.size() : 0), xa_single(kSingle ? xa.data.size() : 0);
  if constexpr (kSingle) {
    std::copy(fh.data.begin(), fh.data.end(), fh_single.begin());
    std::copy(xa.data.begin(), xa.data.end(), xa_single.begin());
  }
  const Real* const fh_real = kSingle ? fh_single.data() : reinterpret_cast<const Real*>(fh.data.data());
  const Real* const xa_real = kSingle ? xa_single.data() : reinterpret_cast<const Real*>(xa.data.data());
  const auto frow = [fh_real, dphi](std::int64_t i) { return fh_real + i * dphi; };
  const auto xrow = [xa_real, d](std::int64_t i) { return xa_real + i * d; };
  // A zero feature stops every process alike (each sees every norm).
  for (std::int64_t i = 0; i < m; ++i) {
    const double n = norms[static_cast<std::size_t>(i)];
    if (!(n > 0.0) || !std::isfinite(n)) {
      throw KernelError("U-Hop+ loss: memory " + std::to_string(i) + " has feature norm " + std::to_string(n) +
                        " and cannot be normalised");
    }
  }

  // ---- the Gram triangle, tile by tile: tile {a, b} (a ≤ b) holds z = φ̂_μ·φ̂_ν/τ for μ in
  // block a and ν in block b, and adds to both blocks' sums (for the diagonal tiles, once).
  const TileRounds schedule(blocks);
  const auto owns = [&](std::int64_t b) { return b >= first_block && b < end_block; };
  // The tiles this process computes: those that add to a block it holds. A tile between two
  // processes' blocks is computed by both, each adding to its own block, so every block gets
  // the same tiles in the same order (round order) however the memories are split.
  const auto needed = [&](BlockTile t) { return owns(t.first) || (!upper_only(kind) && owns(t.second)); };
  // Fills z (rows of a × rows of b, row-major) with the tile's entries; entries outside the
  // loss's sum become −∞ and so weigh exactly 0.
  const auto gram_tile = [&](BlockTile t, Real* z) {
    const std::int64_t a0 = t.first * block, ra = block_size(t.first);
    const std::int64_t b0 = t.second * block, rb = block_size(t.second);
    blas::gemm_nt(ra, rb, dphi, static_cast<Real>(1.0 / tau), frow(a0), dphi, frow(b0), dphi, Real{0}, z, rb);
    if (t.diagonal()) {
      for (std::int64_t r = 0; r < ra; ++r) {
        if (upper_only(kind)) {
          std::fill(z + r * rb, z + r * rb + r + 1, kRealNegInf<Real>);
        } else {
          z[r * rb + r] = kRealNegInf<Real>;
        }
      }
    }
  };
  // The tile's closest pair (first largest entry with μ < ν), for its first block.
  std::vector<BlockBest> best(static_cast<std::size_t>(blocks));
  const auto tile_best = [&](BlockTile t, const Real* z, const Real* row_top, Real top) {
    const std::int64_t a0 = t.first * block, ra = block_size(t.first);
    const std::int64_t b0 = t.second * block, rb = block_size(t.second);
    BlockBest bb;
    if (!t.diagonal() || upper_only(kind)) {  // every entry is a pair μ < ν
      const std::int64_t r = std::find(row_top, row_top + ra, top) - row_top;
      const std::int64_t at = std::find(z + r * rb, z + (r + 1) * rb, top) - (z + r * rb);
      bb.offer(top, a0 + r, b0 + at);
      return bb;
    }
    for (std::int64_t r = 0; r + 1 < ra; ++r) {  // the upper triangle of a symmetric tile
      const Real* row = z + r * rb;
      const Real upper_top = max_of(row + r + 1, rb - r - 1);
      const std::int64_t at = std::find(row + r + 1, row + rb, upper_top) - row;
      bb.offer(upper_top, a0 + r, b0 + at);
    }
    return bb;
  };
  const double tile_work = 2.0 * static_cast<double>(block) * static_cast<double>(block) * static_cast<double>(dphi);
  const auto tile_buffer = [block] { return std::vector<Real>(checked_size(block, block, "U-Hop+ loss: Gram tile")); };
  // τ ≥ 1/250 (float32: 1/39.5) puts every z = s/τ in an interval of width at most 500 (80)
  // (|s| ≤ 1, with room for rounding), so no tile need be scanned for its range.
  const double one_shift_range = kSingle ? kOneShiftRangeFloat : kOneShiftRange;
  const bool narrow_tiles = 2.0 / tau <= one_shift_range - 1.0;
  const auto one_shift_serves = [&](const Real* z, std::int64_t n, Real top) {
    return narrow_tiles || static_cast<double>(top) - static_cast<double>(finite_min_of(z, n)) <= one_shift_range;
  };

  // Per block: the loss's sum of exponentials relative to its shift, and (pairwise, as coded)
  // its gradient rows ∂/∂φ̂ relative to theirs, before the final scale e^{shift − log Z}.
  std::vector<double> loss_shift(static_cast<std::size_t>(blocks), kNegInf), loss_sum(static_cast<std::size_t>(blocks), 0.0);
  std::vector<double> grad_shift(static_cast<std::size_t>(blocks), kNegInf);
  // Gradient rows with respect to φ̂ (this process's blocks).
  std::vector<Real> ghat(want_grad ? checked_size(m, dphi, "U-Hop+ loss: feature gradient") : 0, Real{0});
  const auto grow = [&ghat, dphi](std::int64_t i) { return ghat.data() + i * dphi; };
  // per_memory: lse[μ] = log Σ_{ν≠μ} exp(s_{μν}/τ), −∞ until known, from per-row sums.
  const bool per_memory = kind == UhopLossKind::per_memory;
  std::vector<double> lse(per_memory ? static_cast<std::size_t>(m) : 0, kNegInf);
  std::vector<double> row_shift(lse.size(), kNegInf), row_sum(lse.size(), 0.0);
  const auto add_to_row = [&](std::int64_t mu, double shift, double sum) {
    const Rescale r = add_shifted(row_shift[static_cast<std::size_t>(mu)], shift);
    double& s = row_sum[static_cast<std::size_t>(mu)];
    s = r.beta * s + r.alpha * sum;
  };
  // per_memory keeps the first pass's tiles (its exponentials where one shift serves the
  // tile, else z itself) for the gradient pass, as many of the first tiles as the budget
  // holds; the gradient pass forms the others again.
  const std::int64_t kept_tiles = tiling.kept_tiles;
  const auto is_kept = [kept_tiles](std::int64_t id) { return id < kept_tiles; };
  std::unique_ptr<Real[]> kept;  // uninitialised: a process touches only its own tiles
  std::vector<double> kept_top(static_cast<std::size_t>(kept_tiles), kNegInf);
  std::vector<char> kept_one_shift(kept_top.size());
  if (kept_tiles > 0) kept.reset(new Real[static_cast<std::size_t>(kept_tiles * block * block)]);
  // What a thread holds of its current tile between computing it and adding it to its blocks.
  struct TileScratch {
    std::vector<Real> own_z, row_top, row, other, col_top;
    std::vector<double> col_sum, row_sum, row_factor, col_factor;
    Real* z = nullptr;  ///< the tile's entries: own_z, or its place among the kept tiles
    Real top = kRealNegInf<Real>;  ///< the tile's largest entry
    double sum = 0.0;      ///< Σ e^{z − top} over the loss's entries
    bool one_shift = false;
    double gemm_factor = 1.0;  ///< per_memory's gradient pass: a factor of the tile's weights
    BlockBest best;
  };
  const auto tile_scratch = [&] {
    const auto t = static_cast<std::size_t>(block);
    TileScratch s;
    if (kept_tiles < schedule.tiles()) s.own_z = tile_buffer();
    for (auto* v : {&s.row_top, &s.row, &s.other, &s.col_top}) v->assign(t, Real{0});
    for (auto* v : {&s.col_sum, &s.row_sum, &s.row_factor, &s.col_factor}) v->assign(t, 0.0);
    return s;
  };
  const auto tile_place = [&](std::int64_t id, TileScratch& s) {
    s.z = is_kept(id) ? kept.get() + id * block * block : s.own_z.data();
    return s.z;
  };
  const double tiles_work = static_cast<double>(schedule.tiles()) * tile_work;

  if (!per_memory) {
    // ---- pairwise and as coded: one pass. The tile's exponentials relative to its maximum
    // give its share of the sum and, by two GEMMs, of both blocks' gradient rows (as coded,
    // of the first block's only: its second factor is detached).
    const bool both_sides = kind == UhopLossKind::pairwise;
    const auto compute = [&](BlockTile t, std::int64_t id, TileScratch& s) {
      if (!needed(t)) return false;
      const std::int64_t n = block_size(t.first) * block_size(t.second);
      Real* z = tile_place(id, s);
      gram_tile(t, z);
      s.top = row_maxima(z, block_size(t.first), block_size(t.second), s.row_top.data());
      if (s.top == kNegInf) return false;  // a diagonal tile of one row
      s.best = tile_best(t, z, s.row_top.data(), s.top);
      exp_shifted_sum(z, s.top, n, z);
      // A symmetric diagonal tile holds each of its pairs twice.
      s.sum = fixed_order_sum(z, n) * (t.diagonal() && both_sides ? 0.5 : 1.0);
      return true;
    };
    const auto add = [&](BlockTile t, std::int64_t b, std::int64_t, TileScratch& s) {
      if (!owns(b)) return;
      const std::size_t i = static_cast<std::size_t>(b);
      const std::int64_t a0 = t.first * block, ra = block_size(t.first);
      const std::int64_t b0 = t.second * block, rb = block_size(t.second);
      if (b == t.first) {
        if (s.best.i >= 0) best[i].offer(s.best.z, s.best.i, s.best.j);
        const Rescale r = add_shifted(loss_shift[i], s.top);
        loss_sum[i] = r.beta * loss_sum[i] + r.alpha * s.sum;
        if (want_grad) {
          // Row μ of block a: Σ_ν e^{z−top} φ̂_ν (a diagonal tile reaches both ends at once).
          const Rescale g = add_shifted(grad_shift[i], s.top);
          blas::gemm_nn(ra, dphi, rb, static_cast<Real>(g.alpha), s.z, rb, frow(b0), dphi, static_cast<Real>(g.beta),
                        grow(a0), dphi);
        }
      } else if (want_grad && both_sides) {
        const Rescale g = add_shifted(grad_shift[i], s.top);
        blas::gemm_tn(rb, dphi, ra, static_cast<Real>(g.alpha), s.z, rb, frow(a0), dphi, static_cast<Real>(g.beta),
                      grow(b0), dphi);
      }
    };
    run_tiles_in_block_order(schedule, tiles_work * (want_grad ? 3.0 : 1.0), tile_scratch, compute, add);
  } else {
    // ---- per_memory, first pass: every row's log-sum-exp from the tiles' row and column
    // sums, relative to the tile's maximum where one shift serves the tile, else to each
    // row's (column's) maximum in the tile. A row's running sum then stays a normal double:
    // a shift that grows by more than 708 leaves earlier terms below e^{−208} of the new ones.
    const auto compute = [&](BlockTile t, std::int64_t id, TileScratch& s) {
      if (!needed(t)) return false;
      const std::int64_t ra = block_size(t.first), rb = block_size(t.second);
      const std::int64_t n = ra * rb;
      Real* z = tile_place(id, s);
      gram_tile(t, z);
      Real* row_top = s.row_top.data();
      const bool columns = !t.diagonal();  // a diagonal tile's columns are its rows
      Real* col_top = s.col_top.data();
      double* col_sum = s.col_sum.data();
      s.top = row_maxima(z, ra, rb, row_top);
      if (s.top == kNegInf) return false;
      s.best = tile_best(t, z, row_top, s.top);
      s.one_shift = one_shift_serves(z, n, s.top);
      if (columns) {
        std::fill_n(col_sum, rb, 0.0);
        if (!s.one_shift) column_maxima(z, ra, rb, col_top);  // the columns' own shifts
      }
      if (is_kept(id)) {
        kept_top[static_cast<std::size_t>(id)] = s.top;
        kept_one_shift[static_cast<std::size_t>(id)] = s.one_shift ? 1 : 0;
      }
      if (s.one_shift) exp_shifted_sum(z, s.top, n, z);  // e^{z−top}, kept (in place) for the gradient pass
      for (std::int64_t r = 0; r < ra; ++r) {
        Real* zr = z + r * rb;
        if (s.one_shift) {
          // Relative to the tile's maximum: at least e^{−500} (float32: e^{−80}), a normal number.
          s.row_sum[static_cast<std::size_t>(r)] = columns ? fixed_order_sum_into(zr, rb, col_sum) : fixed_order_sum(zr, rb);
        } else {
          exp_shifted_sum(zr, row_top[r], rb, s.row.data());
          s.row_sum[static_cast<std::size_t>(r)] = fixed_order_sum(s.row.data(), rb);
          if (columns) {
            Real* other = s.other.data();
            for (std::int64_t c = 0; c < rb; ++c) other[c] = zr[c] - col_top[c];
            exp_shifted_sum(other, Real{0}, rb, other);
            for (std::int64_t c = 0; c < rb; ++c) col_sum[c] += other[c];
          }
        }
      }
      return true;
    };
    const auto add = [&](BlockTile t, std::int64_t b, std::int64_t, TileScratch& s) {
      if (!owns(b)) return;
      if (b == t.first) {
        if (s.best.i >= 0) best[static_cast<std::size_t>(b)].offer(s.best.z, s.best.i, s.best.j);
        for (std::int64_t r = 0; r < block_size(t.first); ++r) {
          const double shift = s.one_shift ? s.top : s.row_top[static_cast<std::size_t>(r)];
          add_to_row(t.first * block + r, shift, s.row_sum[static_cast<std::size_t>(r)]);
        }
      } else {
        for (std::int64_t c = 0; c < block_size(t.second); ++c) {
          const double shift = s.one_shift ? s.top : s.col_top[static_cast<std::size_t>(c)];
          add_to_row(t.second * block + c, shift, s.col_sum[static_cast<std::size_t>(c)]);
        }
      }
    };
    run_tiles_in_block_order(schedule, tiles_work, tile_scratch, compute, add);
    for (std::int64_t mu = first_block * block; mu < std::min(m, end_block * block); ++mu) {
      const auto i = static_cast<std::size_t>(mu);
      lse[i] = row_shift[i] + std::log(row_sum[i]);
    }
  }

  // ---- combine: maxima exactly over blocks and processes
  UhopLossValue value;
  {
    BlockBest mine;
    for (std::int64_t b = first_block; b < end_block; ++b) {
      const BlockBest& bb = best[static_cast<std::size_t>(b)];
      if (bb.i >= 0) mine.offer(bb.z, bb.i, bb.j);
    }
    // The closest pair over all processes: the largest z, then the first pair among ties.
    std::vector<double> top{mine.z};
    partition.max(top);
    const bool here = mine.i >= 0 && mine.z == top[0];
    std::vector<double> pair{here ? -(static_cast<double>(mine.i) * static_cast<double>(m) + static_cast<double>(mine.j))
                                  : kNegInf};
    partition.max(pair);  // max of −(i·M + j) = the smallest (i, j)
    const auto code = static_cast<std::int64_t>(-pair[0]);
    value.closest[0] = code / m;
    value.closest[1] = code % m;
  }
  {  // s_max from the pair itself, not through the 1/τ scaling
    double s = 0.0;
    for (std::int64_t k = 0; k < dphi; ++k) s += fh(value.closest[0], k) * fh(value.closest[1], k);
    value.s_max = std::clamp(s, -1.0, 1.0);
  }
  const double md = static_cast<double>(m);
  const double log_pairs = std::log(md * (md - 1.0) / 2.0);
  std::vector<double> block_scale(static_cast<std::size_t>(blocks), 0.0);
  if (per_memory) {
    // Every process needs every row's log-sum-exp for the gradient (each row is known on one
    // process, −∞ elsewhere); the loss sums them in global row order.
    partition.max(lse);
    double total = 0.0;
    for (double v : lse) total += v;
    value.loss = tau * total / md;
  } else {
    std::vector<double> global_max{kNegInf};
    for (std::int64_t b = first_block; b < end_block; ++b) {
      global_max[0] = std::max(global_max[0], loss_shift[static_cast<std::size_t>(b)]);
    }
    partition.max(global_max);
    const double max_z = global_max[0];
    // t = Σ_blocks sum_b e^{shift_b − max}: each term ≤ block·M (entries ≤ 1 after the
    // shift), summed exactly.
    const Scale scale(fixed::exponent_for(static_cast<double>(block) * md, blocks));
    std::vector<Fixed> total{0};
    for (std::int64_t b = first_block; b < end_block; ++b) {
      const std::size_t i = static_cast<std::size_t>(b);
      if (loss_shift[i] > kNegInf) total[0] += fixed::to_fixed(loss_sum[i] * std::exp(loss_shift[i] - max_z), scale);
    }
    reduce_fixed(partition, total);
    const double t = fixed::to_double(total[0], scale.inverse());
    // Each unordered pair is in the sum once: Z e^{−max} = t.
    const double log_sum = max_z + std::log(t);
    double log_z = log_sum, factor = 1.0;
    if (kind == UhopLossKind::pairwise) {
      value.loss = tau * (log_z - log_pairs);
    } else {  // as_coded: Z = Σ_{μ<ν} e^{s/τ} + M(M+1)/2, summed in log space
      const double log_c = std::log(md * (md + 1.0) / 2.0);
      const double hi = std::max(log_sum, log_c);
      log_z = hi + std::log1p(std::exp(-std::abs(log_sum - log_c)));
      value.loss = (log_z - log_pairs) / md;
      factor = 1.0 / (md * tau);
    }
    // w_{μν} = e^{s/τ}/Z = e^{s/τ − shift_b} · e^{shift_b − log Z}
    for (std::int64_t b = first_block; b < end_block; ++b) {
      const std::size_t i = static_cast<std::size_t>(b);
      if (grad_shift[i] > kNegInf) block_scale[i] = std::exp(grad_shift[i] - log_z) * factor;
    }
  }
  if (!std::isfinite(value.loss)) throw KernelError("U-Hop+ loss is not finite");
  if (!want_grad) return value;

  // ---- per_memory, gradient pass, now that every row's log-sum-exp is known: the weight of
  // a pair is p_μ(ν) + p_ν(μ) = e^{z − lse_μ} + e^{z − lse_ν}, the same for both its ends.
  if (per_memory) {
    // Narrow tiles (τ ≥ 1/250): every lse lies within 500 + log M of the largest, so
    // e^{lse_top − lse_μ} neither overflows nor loses range. Not in float32, whose tiles'
    // weights would overflow before the GEMM factor brought them back: there every tile takes
    // its own factors e^{top − lse} (at most e^{80}), multiplied in double.
    const double lse_top = *std::max_element(lse.begin(), lse.end());
    const bool lse_factors = narrow_tiles && !kSingle;
    std::vector<double> lse_factor(lse_factors ? lse.size() : 0);
    for (std::size_t i = 0; i < lse_factor.size(); ++i) lse_factor[i] = std::exp(lse_top - lse[i]);
    const auto compute = [&](BlockTile t, std::int64_t id, TileScratch& s) {
      if (!needed(t)) return false;
      const std::int64_t a0 = t.first * block, ra = block_size(t.first);
      const std::int64_t b0 = t.second * block, rb = block_size(t.second);
      const std::int64_t n = ra * rb;
      Real* z = tile_place(id, s);
      Real top = kRealNegInf<Real>;
      bool one_shift = false;
      if (is_kept(id)) {
        top = static_cast<Real>(kept_top[static_cast<std::size_t>(id)]);
        one_shift = kept_one_shift[static_cast<std::size_t>(id)] != 0;
        if (top == kNegInf) return false;
      } else {  // the same tile, the same decision, the same bits as the first pass
        gram_tile(t, z);
        top = row_maxima(z, ra, rb, s.row_top.data());
        if (top == kNegInf) return false;
        one_shift = one_shift_serves(z, n, top);
        if (one_shift) exp_shifted_sum(z, top, n, z);
      }
      s.gemm_factor = 1.0;
      if (one_shift) {
        // e^{z − lse} = e^{z − top} · e^{top − lse}; top − lse_μ ≤ 500 (lse_μ is at least
        // row μ's maximum, within 500 of top). With narrow tiles, e^{top − lse_μ} =
        // e^{top − lse_top} · e^{lse_top − lse_μ}: the first factor goes to the GEMMs, the
        // second is the row's own, taken once per pass.
        double* u = s.row_factor.data();
        double* v = s.col_factor.data();
        if (lse_factors) {
          s.gemm_factor = std::exp(top - lse_top);
          std::copy_n(lse_factor.data() + a0, ra, u);
          std::copy_n(lse_factor.data() + b0, rb, v);
        } else {
          for (std::int64_t r = 0; r < ra; ++r) u[r] = std::exp(top - lse[static_cast<std::size_t>(a0 + r)]);
          for (std::int64_t c = 0; c < rb; ++c) v[c] = std::exp(top - lse[static_cast<std::size_t>(b0 + c)]);
        }
        for (std::int64_t r = 0; r < ra; ++r) {
          Real* zr = z + r * rb;
          const double ur = u[r];
          for (std::int64_t c = 0; c < rb; ++c) zr[c] = static_cast<Real>(zr[c] * (ur + v[c]));
        }
      } else {
        // Both exponents ≤ 0 up to rounding (lse_ν ≥ z_νμ), by the vector exponential; the
        // differences in double, so that a float32 tile does not round lse (up to 1/τ) too.
        for (std::int64_t r = 0; r < ra; ++r) {
          Real* zr = z + r * rb;
          Real* other = s.other.data();
          const double lse_row = lse[static_cast<std::size_t>(a0 + r)];
          for (std::int64_t c = 0; c < rb; ++c) {
            other[c] = static_cast<Real>(zr[c] - lse[static_cast<std::size_t>(b0 + c)]);
          }
          exp_shifted_sum(other, Real{0}, rb, other);
          if constexpr (kSingle) {
            for (std::int64_t c = 0; c < rb; ++c) zr[c] = static_cast<Real>(zr[c] - lse_row);
            exp_shifted_sum(zr, Real{0}, rb, zr);
          } else {
            exp_shifted_sum(zr, lse_row, rb, zr);
          }
          for (std::int64_t c = 0; c < rb; ++c) zr[c] += other[c];
        }
      }
      return true;
    };
    const auto add = [&](BlockTile t, std::int64_t b, std::int64_t, TileScratch& s) {
      if (!owns(b)) return;
      const std::int64_t a0 = t.first * block, ra = block_size(t.first);
      const std::int64_t b0 = t.second * block, rb = block_size(t.second);
      if (b == t.first) {
        blas::gemm_nn(ra, dphi, rb, static_cast<Real>(s.gemm_factor), s.z, rb, frow(b0), dphi, Real{1}, grow(a0), dphi);
      } else {
        blas::gemm_tn(rb, dphi, ra, static_cast<Real>(s.gemm_factor), s.z, rb, frow(a0), dphi, Real{1}, grow(b0), dphi);
      }
    };
    run_tiles_in_block_order(schedule, tiles_work * (kept_tiles == schedule.tiles() ? 2.0 : 3.0), tile_scratch, compute,
                             add);
  }

  // ---- chain rule through φ̂ = φ/‖φ‖, then per block ∂L/∂W_b = G_bᵀ X_b and ∂L/∂b_b = Σ rows
  // of G_b, summed exactly. Bound on every partial sum: with c_μ = ‖∂L/∂φ̂_μ‖₂,
  // |∂L/∂W_kj| ≤ Σ_μ c_μ |x_μj| / ‖φ_μ‖ (the projection I − φ̂φ̂ᵀ does not lengthen) and
  // ∂L/∂φ̂_μ = Σ_ν a_μν φ̂_ν with a ≥ 0, so c_μ ≤ Σ_ν a_μν. The weights a sum to Σ_μν a = 2 for
  // pairwise (the pair weights e^{s/τ}/Z sum to 1 and reach both ends) and per_memory
  // ((1/M) Σ_μ [Σ_ν p_μ(ν) + Σ_ν p_ν(μ)] = 2), and to at most 1/(Mτ) as coded (the pair
  // weights sum to less than 1, scaled by 1/(Mτ), reaching one end). Hence every partial is
  // at most a · max_μ ‖x_μ‖_∞/‖φ_μ‖ (W) or a · max_μ 1/‖φ_μ‖ (b); the fixed-point exponent
  // keeps a factor 8 of headroom for rounding.
  const double weight_total = kind == UhopLossKind::as_coded ? 1.0 / (md * tau) : 2.0;
  double x_over_norm = 0.0, one_over_norm = 0.0;
  for (std::int64_t i = 0; i < m; ++i) {
    double x_max = 0.0;
    for (std::int64_t j = 0; j < d; ++j) x_max = std::max(x_max, std::abs(xa(i, j)));
    const double inv = 1.0 / norms[static_cast<std::size_t>(i)];
    x_over_norm = std::max(x_over_norm, x_max * inv);
    one_over_norm = std::max(one_over_norm, inv);
  }
  const double bound_w = weight_total * x_over_norm, bound_b = weight_total * one_over_norm;
  if (!std::isfinite(bound_w) || !std::isfinite(bound_b)) throw KernelError("U-Hop+ loss: gradient is not finite");
  const Scale scale_w(fixed::exponent_for(bound_w, blocks)), scale_b(fixed::exponent_for(bound_b, blocks));
  const bool bias = grad_bias != nullptr && map.has_bias();
  const std::size_t w_entries = static_cast<std::size_t>(dphi * d);
  std::vector<Fixed> grad_w(grad_weight != nullptr ? w_entries : 0, Fixed{0});
  std::vector<Fixed> grad_b(bias ? static_cast<std::size_t>(dphi) : 0, Fixed{0});
  struct GradientScratch {
    std::vector<Real> block_w;
    std::vector<Fixed> w, b;
  };
  // One per thread, summed after the panels: integer sums, the same in any order.
  std::vector<GradientScratch> per_thread(
      static_cast<std::size_t>(std::max(1, omp_get_max_threads())),
      GradientScratch{std::vector<Real>(grad_w.size()), std::vector<Fixed>(grad_w.size(), Fixed{0}),
                      std::vector<Fixed>(grad_b.size(), Fixed{0})});
  const auto gradient_scratch = [&per_thread] {
    return std::ref(per_thread[static_cast<std::size_t>(omp_get_thread_num())]);
  };
  const double gradient_work =
      2.0 * static_cast<double>((end_block - first_block) * block) * static_cast<double>(dphi) * static_cast<double>(d);
  parallel_panels(first_block, end_block, gradient_work, gradient_scratch, [&](std::int64_t b, GradientScratch& t) {
    const std::int64_t b0 = b * block, rows = block_size(b);
    for (std::int64_t mu = b0; mu < b0 + rows; ++mu) {
      const double scale = kind == UhopLossKind::per_memory ? 1.0 / md : block_scale[static_cast<std::size_t>(b)];
      Real* g = grow(mu);
      const double* f = fh.row(mu);
      double radial = 0.0;
      for (std::int64_t k = 0; k < dphi; ++k) radial += f[k] * g[k];
      const double inv_norm = scale / norms[static_cast<std::size_t>(mu)];
      for (std::int64_t k = 0; k < dphi; ++k) g[k] = static_cast<Real>((g[k] - radial * f[k]) * inv_norm);
    }
    if (!grad_w.empty()) {
      blas::gemm_tn(dphi, d, rows, Real{1}, grow(b0), dphi, xrow(b0), d, Real{0}, t.block_w.data(), d);
      for (std::size_t e = 0; e < w_entries; ++e) t.w[e] += fixed::to_fixed(t.block_w[e], scale_w);
    }
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(grad_b.size()); ++k) {
      double s = 0.0;
      for (std::int64_t mu = b0; mu < b0 + rows; ++mu) s += grow(mu)[k];
      t.b[static_cast<std::size_t>(k)] += fixed::to_fixed(s, scale_b);
    }
  });
  for (const GradientScratch& t : per_thread) {
    for (std::size_t e = 0; e < t.w.size(); ++e) grad_w[e] += t.w[e];
    for (std::size_t e = 0; e < t.b.size(); ++e) grad_b[e] += t.b[e];
  }
  if (grad_weight != nullptr) {
    reduce_fixed(partition, grad_w);
    *grad_weight = Matrix(dphi, d);
    const Scale inverse = scale_w.inverse();
    for (std::size_t e = 0; e < w_entries; ++e) grad_weight->data[e] = fixed::to_double(grad_w[e], inverse);
  }
  if (grad_bias != nullptr) {
    grad_bias->assign(map.has_bias() ? static_cast<std::size_t>(dphi) : 0, 0.0);
    if (bias) {
      reduce_fixed(partition, grad_b);
      const Scale inverse = scale_b.inverse();
      for (std::int64_t k = 0; k < dphi; ++k) {
        (*grad_bias)[static_cast<std::size_t>(k)] = fixed::to_double(grad_b[static_cast<std::size_t>(k)], inverse);
      }
    }
  }
  return value;
}

}  // namespace

UhopTiling uhop_tiling(std::int64_t m, const UhopLossOptions& options, bool gradient) {
  UhopTiling t;
  if (m <= 0) return t;
  t.block_rows = block_rows_for(m, options.panel_rows);
  t.blocks = (m + t.block_rows - 1) / t.block_rows;
  t.tiles = t.blocks * (t.blocks + 1) / 2;
  if (options.kind == UhopLossKind::per_memory && gradient) {
    const std::int64_t budget = options.kept_entries < 0 ? kKeptEntries : options.kept_entries;
    t.kept_tiles = std::min(t.tiles, budget / std::max<std::int64_t>(1, t.block_rows * t.block_rows));
  }
  return t;
}

UhopWork uhop_work(std::int64_t m, std::int64_t d, std::int64_t dphi, const UhopLossOptions& options, bool gradient) {
  UhopWork w;
  if (m <= 0) return w;
  const UhopTiling t = uhop_tiling(m, options, gradient);
  const auto rows = [&](std::int64_t b) { return static_cast<double>(std::min(t.block_rows, m - b * t.block_rows)); };
  const double md = static_cast<double>(m), dd = static_cast<double>(d), dp = static_cast<double>(dphi);
  // Σ_tiles r_a·r_b over the triangle, diagonal included: (M² + Σ_a r_a²)/2.
  double squares = 0.0;
  for (std::int64_t b = 0; b < t.blocks; ++b) squares += rows(b) * rows(b);
  const double triangle = 0.5 * (md * md + squares);
  // The tiles per_memory forms again: all but the first kept_tiles in round order.
  double formed_again = 0.0;
  if (t.kept_tiles < t.tiles && options.kind == UhopLossKind::per_memory && gradient) {
    const TileRounds schedule(t.blocks);
    double kept = 0.0;
    for (std::int64_t id = 0; id < t.kept_tiles; ++id) {
      const auto [round, k] = schedule.round_of(id);
      const BlockTile tile = schedule.tile(round, k);
      kept += rows(tile.first) * rows(tile.second);
    }
    formed_again = triangle - kept;
  }
  w.gemm_flops = 2.0 * md * dd * dp + 2.0 * dp * triangle;
  w.exponentials = triangle;
  if (gradient) {
    const double ends = options.kind == UhopLossKind::as_coded ? triangle : md * md;
    w.gemm_flops += 2.0 * dp * ends + 2.0 * dp * formed_again + 2.0 * md * dp * dd;
    w.exponentials += formed_again;
  }
  return w;
}

UhopLossValue uhop_loss(const Matrix& x, const FeatureMap& map, const UhopLossOptions& options,
                        Matrix* grad_weight, std::vector<double>* grad_bias) {
  return uhop_loss_partitioned(x, RowPartition::whole(x.rows), map, options, grad_weight, grad_bias);
}

UhopLossValue uhop_loss_partitioned(const Matrix& x, const RowPartition& partition, const FeatureMap& map,
                                    const UhopLossOptions& options, Matrix* grad_weight,
                                    std::vector<double>* grad_bias) {
  require(std::isfinite(options.tau) && options.tau > 0.0, "tau must be a finite number > 0");
  require(options.panel_rows >= 0, "panel_rows must be >= 0 (0 = automatic)");
  require(options.kept_entries >= -1, "kept_entries must be >= -1 (-1 = automatic, 0 = never)");
  const bool single = options.precision == Precision::float32;
  require(!single || options.tau >= kUhopFloat32MinTau,
          "float32 U-Hop+ needs tau >= " + std::to_string(kUhopFloat32MinTau) + " (got " + std::to_string(options.tau) +
              "): below it the cosines' float32 rounding, divided by tau, moves the weights by more than 1e-3; "
              "use precision float64");
  map.validate();
  require(partition.total >= 2, "the U-Hop+ loss needs at least 2 memories");
  require(partition.first >= 0 && partition.first + x.rows <= partition.total, "row partition out of range");
  require(map.input_dim() == x.cols, "feature map input dimension " +
                                         std::to_string(map.input_dim()) +
                                         " does not match the memory dimension " +
                                         std::to_string(x.cols));
  return single ? tiled_loss<float>(x, partition, map, options, grad_weight, grad_bias)
                : tiled_loss<double>(x, partition, map, options, grad_weight, grad_bias);
}

}  // namespace kernels
}  // namespace hopcap
