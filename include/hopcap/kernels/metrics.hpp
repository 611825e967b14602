#pragma once
// Separation metrics of a memory set (rows of a Matrix): the raw separation Δ_μ of Ramsauer et
// al., and the spherical-code quantities of the normalised rows (largest pairwise cosine s_max,
// smallest angle θ_min, Δ_min^sphere = 1 − s_max). Feature-space variants apply Φ(ξ) = Wξ (+ b)
// first. Everything is computed from Gram tiles of block×block entries, one GEMM per tile, so
// M = 1e5 memories need O(M·dim + block²) memory and never the M×M Gram matrix.
//
// Threads: the tile GEMMs are issued from a serial region, so BLAS uses its own threads; the
// maxima over a tile are taken by an OpenMP team. Results do not depend on the thread count.

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "hopcap/kernels/row_partition.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap::kernels {

struct SeparationOptions {
  /// Rows (and columns) per Gram tile: the working buffer is block² doubles (2 MiB at 512).
  std::int64_t block = 512;
  /// Gram tiles in float32 (single-precision GEMMs on float32 copies of the vectors). A tile
  /// entry only screens: every value that can be kept is formed again in float64 in a fixed
  /// order, inside a window wide enough for float32's rounding, so the report is bitwise the
  /// same as with float64 tiles, and 1.2–1.5× faster; hence the default. Where float32 cannot
  /// hold the vectors' entries without overflow or underflow (a non-zero |entry| outside
  /// [2^-50, 2^50]) the tiles stay in float64.
  bool float32_tiles = true;
};

/// Separation of M vectors of dimension dim (the rows of the input).
///
/// Pairs are unordered: every pair {μ, ν} gets one Gram entry, used for both μ and ν, so the
/// per-memory maxima are exactly symmetric. Among exact ties the smaller index wins, which makes
/// `nearest`, `raw_nearest` and `closest_pair` independent of the block size and thread count.
///
/// M = 1 (no pairs): the maxima over the empty set of other memories are taken as the bottom of
/// their range. Cosines live in [−1, 1], so row_max_cos = max_cos = −1, min_angle_deg = 180 and
/// delta_min_sphere = 2 (as for an antipodal twin). Inner products are unbounded, so
/// raw_delta = raw_delta_min = +∞ (a lone memory is separated from everything). Indices of
/// partners are −1.
struct SeparationReport {
  std::int64_t m = 0;    ///< number of vectors M
  std::int64_t dim = 0;  ///< their dimension (d, or D_Φ for a feature-space report)

  // Raw (unnormalised) quantities; for features these are the kernel separations Δ^Φ_μ.
  std::vector<double> raw_delta;          ///< Δ_μ = ⟨ξ_μ,ξ_μ⟩ − max_{ν≠μ} ⟨ξ_μ,ξ_ν⟩
  std::vector<std::int64_t> raw_nearest;  ///< the ν attaining that maximum
  double raw_delta_min = 0.0;             ///< min_μ Δ_μ
  std::int64_t raw_argmin = -1;           ///< smallest μ attaining Δ_min
  double max_norm = 0.0;                  ///< m = max_μ ‖ξ_μ‖
  double min_norm = 0.0;                  ///< min_μ ‖ξ_μ‖ (> 0, else the report throws)

  // Spherical-code quantities of the normalised vectors ξ̂_μ = ξ_μ / ‖ξ_μ‖.
  std::vector<double> row_max_cos;    ///< max_{ν≠μ} ⟨ξ̂_μ, ξ̂_ν⟩, clamped to [−1, 1]
  std::vector<std::int64_t> nearest;  ///< the ν attaining it
  double max_cos = -1.0;              ///< s_max = max_μ row_max_cos[μ]
  /// The pair (i < j) attaining s_max; the lexicographically first one among exact ties.
  std::array<std::int64_t, 2> closest_pair{-1, -1};
  /// Angle of closest_pair in degrees, evaluated as 2·atan2(‖û−v̂‖, ‖û+v̂‖) from the two vectors:
  /// equal to acos(max_cos) but accurate near 0° and 180°, where acos loses half the digits
  /// (duplicates give exactly 0).
  double min_angle_deg = 180.0;
  double delta_min_sphere = 2.0;  ///< Δ_min on the sphere = 1 − s_max
};

/// Separation report of the rows of x (M ≥ 1 rows, dim ≥ 1 columns).
/// Throws ConfigError if options.block < 1 or x is empty, KernelError if a row has zero or
/// non-finite norm (the spherical quantities would be undefined).
SeparationReport separation_report(const Matrix& x, const SeparationOptions& options = {});

/// Feature-space report: Φ(ξ_μ) = W ξ_μ (+ b) for every row (one GEMM, M×D_Φ kept in memory),
/// then separation_report of the features. `weight` is D_Φ×d (row k produces feature k), `bias`
/// empty (linear map) or D_Φ entries (affine map). The spherical fields are then Δ^Φ_min,
/// s_max^Φ and θ^Φ_min of the normalised features; the raw fields are the unnormalised kernel
/// separations with max_norm = m_Φ. Throws ConfigError on inconsistent shapes.
SeparationReport feature_separation_report(const Matrix& x, const Matrix& weight,
                                           std::span<const double> bias = {},
                                           const SeparationOptions& options = {});

/// Separation report of a memory set partitioned by rows: every process passes its rows
/// (partition.first onwards) and gets the report of the whole set; the per-row vectors
/// (raw_delta, raw_nearest, row_max_cos, nearest) cover its own rows only, and the scalar
/// fields are identical on every process. Each unordered pair gets one Gram entry, used for
/// both of its memories, as in separation_report: a process takes the pairs among its own rows
/// (separation_report's upper-triangle tiles; with one part this is separation_report) and the
/// pairs with about half of the other parts (ring distance below P/2, half of the pairs at
/// P/2), while each part's rows visit the processes in turn (one broadcast each); the maxima
/// found for a visitor's rows return to their owner by a reduction. Indices follow the same
/// rule (the smallest among exact ties). O((M/P)·dim + M/P + block²) memory, about
/// M²·dim/P multiply-adds per process for parts of equal size.
/// Throws on every process alike (KernelError naming the smallest zero or non-finite row).
SeparationReport separation_report_partitioned(const Matrix& x_local, const RowPartition& partition,
                                               const SeparationOptions& options = {});

/// The partitioned report of the features Φ(ξ_μ) = W ξ_μ (+ b) of the local rows.
SeparationReport feature_separation_report_partitioned(const Matrix& x_local, const RowPartition& partition,
                                                       const Matrix& weight, std::span<const double> bias = {},
                                                       const SeparationOptions& options = {});

/// `count` distinct rows of 0..m−1, increasing, drawn uniformly (every subset equally likely)
/// as a pure function of (m, count, seed); all rows when count ≥ m. Throws ConfigError if
/// m < 1 or count < 1.
std::vector<std::int64_t> sample_rows(std::int64_t m, std::int64_t count, std::uint64_t seed);

/// Bounds on the separation of a partitioned memory set from the pairs that contain at least
/// one sampled memory (`sample`: increasing row indices, the same on every process). Every
/// sampled memory is compared with all M − 1 others, so for it Δ_μ, its nearest partners and
/// row_max_cos are exact; the per-row vectors hold these, in the order of `sample`, on every
/// process. The scalar fields are the exact extremes over those pairs:
///   max_cos ≤ s_max (the closest pair containing a sampled memory), so delta_min_sphere ≥
///   Δ_min^sphere and min_angle_deg ≥ θ_min (the angle of closest_pair, a real pair);
///   raw_delta_min ≥ Δ_min (also over the unsampled rows' sampled partners), raw_argmin the
///   smallest row attaining it;
///   max_norm and min_norm are exact.
/// A sample of all rows (or all but one) covers every pair: the report's scalars are then
/// those of separation_report_partitioned, up to the rounding of Gram entries formed in other
/// tiles. Cost: about 2·M·|sample|·dim flops over the group, |sample|·dim values broadcast.
/// Throws as separation_report_partitioned, and ConfigError for an empty or unordered sample.
SeparationReport separation_estimate_partitioned(const Matrix& x_local, const RowPartition& partition,
                                                 std::span<const std::int64_t> sample,
                                                 const SeparationOptions& options = {});

/// The estimate of the features Φ(ξ_μ) = W ξ_μ (+ b) of the local rows.
SeparationReport feature_separation_estimate_partitioned(const Matrix& x_local, const RowPartition& partition,
                                                         const Matrix& weight, std::span<const double> bias,
                                                         std::span<const std::int64_t> sample,
                                                         const SeparationOptions& options = {});

/// Angle between two non-zero vectors in radians, 2·atan2(‖û−v̂‖, ‖û+v̂‖): accurate over the
/// whole range [0, π]. Pre: u.size() == v.size(), both with non-zero norm.
double angle_between(std::span<const double> u, std::span<const double> v);

}  // namespace hopcap::kernels
