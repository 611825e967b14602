#pragma once
// Retrieval dynamics of the modern Hopfield model (MHM) and the kernelized Hopfield model
// (KHM), run on blocks of queries with BLAS level 3:
//   MHM: x ← Ξ Sep(β Ξᵀ x)
//   KHM: x ← Ξ Sep(β K(Ξ, x)),  K(ξ, x) = ⟨Φ̂(ξ), Φ̂(x)⟩ on normalised features (the paper), or
//        ⟨Φ(ξ), Φ(x)⟩ on raw affine features (the official code's "mixed" variant, an option).
// The update lies in raw pattern space in both cases.
//
// One engine for one process and for a group of processes: the memory set is partitioned by
// rows (kernels::RowPartition, whose collectives the caller supplies; RowPartition::whole for
// one process). Memories come in fixed global blocks whose size depends only on M; every part
// holds whole blocks. Per block the scores and the update are GEMMs, and the block's partial
// sums (normaliser, update, entmax masses, energy terms) are added exactly in 128-bit fixed
// point, so every state and outcome is bitwise the same for any partition and thread count
// (docs/engine.md). No MPI, no HDF5.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/row_partition.hpp"
#include "hopcap/kernels/separation.hpp"
#include "hopcap/matrix.hpp"
#include "hopcap/name_table.hpp"

namespace hopcap {

enum class KhmScores {
  normalized,    ///< ⟨Φ̂(ξ), Φ̂(x)⟩, features projected onto the unit sphere (paper; default)
  raw_features,  ///< ⟨Φ(ξ), Φ(x)⟩ without normalisation (official code's variant)
};

inline constexpr NameTable kKhmScoresNames{
    "KHM scores", std::array<Named<KhmScores>, 2>{{{KhmScores::normalized, "normalized"}, {KhmScores::raw_features, "raw"}}}};

/// Arithmetic of the iterations: float64 throughout, or float32 scores, weights and update
/// GEMMs (states, exact sums and every decision stay float64; docs/science.md).
enum class Precision { float64, float32 };

inline constexpr NameTable kPrecisionNames{
    "precision", std::array<Named<Precision>, 2>{{{Precision::float64, "float64"}, {Precision::float32, "float32"}}}};

/// float32 is refused where β times the largest score the memories give each other exceeds
/// this: the scores' float32 rounding (2^−24 of that) would move the weights by more than 2^−10.
inline constexpr double kFloat32ScoreLimit = 16384.0;

struct RetrievalSettings {
  double beta = 1.0;            ///< inverse temperature β > 0
  Separation separation{};      ///< softmax, sparsemax, entmax15 or entmax:α
  int max_iterations = 100;     ///< t_max ≥ 1
  double tolerance = 1e-10;     ///< converged when ‖x_{t+1} − x_t‖ ≤ tolerance
  double epsilon = 1e-2;        ///< retrieved when ‖x_T − ξ_target‖ ≤ ε (and argmax p = target)
  std::int64_t block_size = 0;  ///< queries per block; 0 chooses from M (≤ ~2^22 scores)
  KhmScores khm_scores = KhmScores::normalized;
  /// Memories per exact-sum block; 0 chooses from M (16 .. 1024, about M/4). Part boundaries of a
  /// partitioned set must fall on multiples of it.
  std::int64_t memory_block = 0;
  Precision precision = Precision::float64;

  /// Throws ConfigError naming the first bad setting.
  void validate() const;
};

/// What happened to one query.
struct QueryOutcome {
  bool converged = false;            ///< ‖x_{t+1} − x_t‖ ≤ tolerance before t_max
  std::int32_t iterations = 0;       ///< updates applied
  double distance = 0.0;             ///< ‖x_T − ξ_target‖ (target = argmax when none is given)
  std::int64_t argmax = -1;          ///< index of the largest weight of p(x_T)
  bool retrieved = false;            ///< argmax = target and distance ≤ ε
  std::int64_t metastable_size = 0;  ///< entries of p(x_T) above the separation's threshold
  double energy = 0.0;               ///< model energy at x_T
};

class Retriever {
 public:
  /// The memory block size the settings give for an M-row set.
  static std::int64_t memory_block(const RetrievalSettings& settings, std::int64_t memory_count);

  /// memories: M×d (rows are ξ_μ), all in this process. feature_map: absent for the MHM,
  /// present for the KHM (input dimension d). Both are copied; the Retriever owns its data.
  Retriever(const Matrix& memories, const RetrievalSettings& settings,
            std::optional<FeatureMap> feature_map = std::nullopt);
  /// This process's rows [partition.first, partition.first + local_memories.rows) of a
  /// partition.total-row set; part boundaries on multiples of memory_block(settings, M). Every
  /// process of the partition must construct it and call the same methods with the same
  /// states (the collectives run inside); results are identical on every process.
  Retriever(const Matrix& local_memories, kernels::RowPartition partition, const RetrievalSettings& settings,
            std::optional<FeatureMap> feature_map = std::nullopt);

  std::int64_t memory_count() const { return partition_.total; }
  std::int64_t local_count() const { return memories_.rows; }
  std::int64_t dim() const { return memories_.cols; }
  bool kernelized() const { return feature_map_.has_value(); }
  const RetrievalSettings& settings() const { return settings_; }
  /// The convergence test's tolerance: settings().tolerance, in float32 at least 16 float ulps
  /// of the largest memory norm (2^−20 max‖ξ‖), below which float32 rounding cannot settle.
  double convergence_tolerance() const { return tolerance_; }

  /// scores := β K(Ξ_local, x) for every row x of states (n×d → n × local rows), in float64.
  void scores(const Matrix& states, Matrix& scores) const;
  /// One update of every row: next := T(states); probabilities (n × local rows) := this
  /// process's columns of Sep(β K(Ξ, x)). In the settings' precision.
  void step(const Matrix& states, Matrix& next, Matrix& probabilities) const;
  /// The same update without keeping the weights, as the retrieval loop runs it. In one
  /// process, OpenMP threads take panels of rows and each does scores → Sep → update on its
  /// panel, so the n×M scores never travel through memory; next is bitwise step()'s.
  void advance(const Matrix& states, Matrix& next) const;
  /// Energy of one state (in float64): ½⟨x,x⟩ − β⁻¹Ψ*(β Ξᵀx) for the MHM;
  /// ½K(x,x) − β⁻¹Ψ*(β K(Ξ,x)) for the KHM (Ψ* = log-sum-exp for softmax).
  double energy(std::span<const double> state) const;

  /// Iterates every row of states (in: queries, out: final states) until converged or t_max,
  /// in blocks of block_size, and fills one outcome per row. The iterations run in the
  /// settings' precision; the outcomes are computed from the final states in float64. targets[i] is the memory query i
  /// aims at (global index), or −1 for none (then distance is measured to the argmax memory).
  /// Workspaces are sized once per call; nothing is allocated inside the iterations.
  void run(Matrix& states, std::span<const std::int64_t> targets, std::span<QueryOutcome> outcomes) const;

  /// Buffers for updates of up to `rows` states, sized once (per thread where needed); an
  /// advance() with them allocates nothing. One workspace per concurrent caller.
  struct Workspace;
  std::shared_ptr<Workspace> workspace(std::int64_t rows) const;
  void advance(const Matrix& states, Matrix& next, Workspace& workspace) const;

  /// Rows per panel of an update of n states (from M and n only): the GEMM shapes of a step,
  /// for the benchmarks that compare it with its floor.
  std::int64_t panel_rows(std::int64_t n) const;

 private:
  std::int64_t block_rows() const;
  bool single_precision() const { return settings_.precision == Precision::float32; }
  // Real is the arithmetic of scores, weights and the update GEMMs (double or float).
  template <class Real>
  void panel_scores(const double* x, std::int64_t rows, Real* z, double* features, Real* converted) const;
  template <class Real>
  void fused_update(const double* x, std::int64_t n, double* next, Workspace& ws) const;
  template <class Real>
  void general_update(const double* x, std::int64_t n, double* next, Workspace& ws, bool keep_scores) const;
  /// One update of n states in the settings' precision, on the fused or the general path.
  void update(const double* x, std::int64_t n, double* next, Workspace& ws) const;
  void run_block(Matrix& states, std::int64_t first, std::int64_t rows, std::span<const std::int64_t> targets,
                 std::span<QueryOutcome> outcomes, Workspace& ws) const;
  void outcomes_of(const Matrix& states, std::int64_t first, std::int64_t rows, std::span<const std::int64_t> targets,
                   std::span<QueryOutcome> outcomes, Workspace& ws) const;
  void reserve_general(Workspace& ws, std::int64_t rows, bool keep_scores, Precision precision) const;
  template <class Real>
  const Real* augmented_rows() const;

  Matrix memories_;   ///< this process's rows
  Matrix augmented_;  ///< the same rows with a column of ones: one GEMM gives Σ w ξ and Σ w
  kernels::RowPartition partition_;
  RetrievalSettings settings_;
  std::optional<FeatureMap> feature_map_;
  Matrix memory_features_;  ///< local rows × D_Φ features of the memories (normalised if so configured)
  std::vector<float> keys_float_;       ///< float32: the score keys (memories or their features)
  std::vector<float> augmented_float_;  ///< float32: augmented_ rounded to float
  std::int64_t block_ = 0;  ///< memories per exact-sum block
  double tolerance_ = 0.0;  ///< convergence_tolerance()
  int scale_sum_ = 0;       ///< fixed-point exponent of normalisers and masses (Σ ≤ M)
  int scale_update_ = 0;    ///< fixed-point exponent of the update (|Σ w ξ| ≤ M max|ξ|)
};

/// Aggregates over a set of outcomes.
struct RetrievalSummary {
  std::int64_t queries = 0;
  std::int64_t retrieved = 0;
  std::int64_t converged = 0;
  double success_rate = 0.0;
  double converged_rate = 0.0;
  double iterations_mean = 0.0;
  std::int32_t iterations_min = 0;
  std::int32_t iterations_max = 0;
  double distance_mean = 0.0;
  double distance_max = 0.0;
  double energy_mean = 0.0;
  double metastable_mean = 0.0;
  /// histogram[k] = number of queries with metastable size k (k = 0 .. M).
  std::vector<std::int64_t> metastable_histogram;
};

RetrievalSummary summarize(std::span<const QueryOutcome> outcomes, std::int64_t memory_count);

}  // namespace hopcap
