#pragma once
// The U-Hop+ separation losses of the normalised features φ̂_μ = Φ(ξ_μ)/‖Φ(ξ_μ)‖ and their
// analytic gradients with respect to W (and b). With s_{μν} = ⟨φ̂_μ, φ̂_ν⟩, P = M(M−1)/2:
//
//   pairwise    L = τ log( (1/P) Σ_{μ<ν} exp(s_{μν}/τ) )        s_max − τ log P ≤ L ≤ s_max
//   per_memory  L = (1/M) Σ_μ τ log Σ_{ν≠μ} exp(s_{μν}/τ)
//   as_coded    L = (1/M) log( [Σ_{μ<ν} exp(s_{μν}/τ) + M(M+1)/2] / P ), the official code's
//               loss: its zeroed lower triangle adds M(M+1)/2 phantom pairs at s = 0, and the
//               second factor of every pair is detached, so its "gradient" reaches φ̂_μ only
//               through the pairs ν > μ.
//
// Computation: the memories in fixed global blocks of rows (panel_rows, or automatic from M);
// the Gram matrix of the normalised features is symmetric, so only its tiles {a, b}, a ≤ b,
// are computed (never M×M in memory), each once, in rounds where no block appears twice
// (src/kernels/tile_rounds.hpp). A tile's exponentials, relative to its maximum (stable for τ
// down to 1e-4 and beyond), add to the sum and, by one GEMM per end, to the gradient rows of
// both its blocks; then the chain rule through the normalisation and each block's share of
// ∂L/∂W as a GEMM. per_memory takes a second pass over the tiles for its gradient (or keeps
// the first pass's exponentials, up to kept_entries). Tiles run on OpenMP threads with
// single-threaded GEMMs; every block receives its tiles in round order and the sums over
// blocks are exact (128-bit fixed point), so loss, s_max and gradients are bitwise the same
// for any thread count and any row partition.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/kernels/row_partition.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap {

enum class UhopLossKind { pairwise, per_memory, as_coded };

/// "pairwise" | "per_memory" | "as_coded"; throws ConfigError naming the accepted values.
UhopLossKind parse_uhop_loss(std::string_view text);
std::string to_string(UhopLossKind kind);

struct UhopLossOptions {
  UhopLossKind kind = UhopLossKind::pairwise;
  double tau = 0.1;            ///< temperature τ > 0
  std::int64_t panel_rows = 0;  ///< rows (and columns) per Gram tile; 0 = automatic (M/8, 64 to 256)
  /// per_memory keeps its first pass's tiles for the gradient pass, as many of them (in round
  /// order) as this many entries hold, and forms the others again; −1 = 3·2^20 (24 MiB),
  /// 0 = none. The result is the same bits either way.
  std::int64_t kept_entries = -1;
  /// float32: the Gram tiles, their exponentials and the gradient GEMMs in float (sgemm on
  /// float copies of the normalised features and memories); the features, every sum over a
  /// tile (float partials converted exactly to double), the fixed-point block sums, s_max and
  /// the chain rule stay float64, so the result is still bitwise the same for any thread
  /// count and partition. Refused for tau < kUhopFloat32MinTau.
  Precision precision = Precision::float64;
};

/// float32 U-Hop+ is refused below this τ: a cosine's float rounding (a few 2^−24) divided by
/// τ would move the weights e^{s/τ} by more than about 1e-3.
inline constexpr double kUhopFloat32MinTau = 1e-4;

struct UhopLossValue {
  double loss = 0.0;
  double s_max = -1.0;  ///< largest cosine between two different normalised features
  std::int64_t closest[2] = {-1, -1};  ///< a pair attaining s_max (μ < ν)
};

namespace kernels {

/// How an evaluation of M memories is tiled under these options, a function of M and the
/// options alone: blocks of block_rows rows (the last one may be shorter), the
/// blocks·(blocks + 1)/2 tiles {a, b}, a ≤ b, of the Gram triangle, and how many of them (the
/// first in round order) per_memory keeps for its gradient pass (0 for the other kinds and
/// without a gradient).
struct UhopTiling {
  std::int64_t block_rows = 0, blocks = 0, tiles = 0, kept_tiles = 0;
};
UhopTiling uhop_tiling(std::int64_t m, const UhopLossOptions& options, bool gradient);

/// The work of one evaluation on M memories of dimension d with D_Φ features, as the kernel
/// does it (with the gradient: ∂L/∂W too), in either precision:
///   gemm_flops (2 per multiply-add): the features 2·M·d·D_Φ; the Gram tiles, each formed
///     once, 2·D_Φ·Σ_tiles r_a·r_b = D_Φ·(M² + Σ_a r_a²) (r_a the rows of block a); with the
///     gradient, the tiles' gradient GEMMs (pairwise and per_memory one per end, a diagonal
///     tile one: 2·M²·D_Φ; as_coded the first end only: D_Φ·(M² + Σ_a r_a²)), per_memory's
///     tiles not kept formed again, and ∂L/∂W = Gᵀ X, 2·M·D_Φ·d.
///   exponentials: one per tile entry each time a tile is exponentiated (once per tile, and
///     per_memory's tiles not kept once more), the diagonal's excluded entries included. For
///     per_memory this counts one shift per tile, which holds for τ ≥ 1/250 (float32:
///     τ ≥ 2/79); below, tiles wider than the shift's range take two per entry and pass.
/// Not counted: maxima, sums, the normalisation, the optimiser.
struct UhopWork {
  double gemm_flops = 0.0;
  double exponentials = 0.0;
};
UhopWork uhop_work(std::int64_t m, std::int64_t d, std::int64_t dphi, const UhopLossOptions& options, bool gradient);

/// Loss of the features of the rows of x (M ≥ 2 memories of dimension d) under map.
/// If grad_weight is non-null it receives ∂L/∂W (D_Φ×d); if grad_bias is non-null and the map
/// has a bias it receives ∂L/∂b. Throws ConfigError for bad options or shapes, KernelError if
/// a feature vector is zero or the loss is not finite.
UhopLossValue uhop_loss(const Matrix& x, const FeatureMap& map, const UhopLossOptions& options,
                        Matrix* grad_weight = nullptr, std::vector<double>* grad_bias = nullptr);

/// The same loss and gradients over a row-partitioned memory set: every process passes its
/// rows and gets the loss, s_max and the full ∂L/∂W, ∂L/∂b. The normalised features of all
/// memories (M×D_Φ) are computed on every process from the gathered memories; each block is
/// computed by the part that holds its first row. Bitwise equal to uhop_loss for any partition.
UhopLossValue uhop_loss_partitioned(const Matrix& x_local, const RowPartition& partition, const FeatureMap& map,
                                    const UhopLossOptions& options, Matrix* grad_weight = nullptr,
                                    std::vector<double>* grad_bias = nullptr);

}  // namespace kernels
}  // namespace hopcap
