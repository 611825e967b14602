#pragma once
// Retrieval dynamics of the modern Hopfield model (MHM) and the kernelized Hopfield model
// (KHM), run on blocks of queries with BLAS level 3:
//   MHM: x ← Ξ Sep(β Ξᵀ x)
//   KHM: x ← Ξ Sep(β K(Ξ, x)),  K(ξ, x) = ⟨Φ̂(ξ), Φ̂(x)⟩ on normalised features (the paper), or
//        ⟨Φ(ξ), Φ(x)⟩ on raw affine features (the official code's "mixed" variant, an option).
// The update lies in raw pattern space in both cases. Scores and updates are GEMMs over the
// whole block; Sep is applied row-wise with OpenMP. No MPI, no HDF5.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/separation.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap {

enum class KhmScores {
  normalized,    ///< ⟨Φ̂(ξ), Φ̂(x)⟩, features projected onto the unit sphere (paper; default)
  raw_features,  ///< ⟨Φ(ξ), Φ(x)⟩ without normalisation (official code's variant)
};

struct RetrievalSettings {
  double beta = 1.0;            ///< inverse temperature β > 0
  Separation separation{};      ///< softmax, sparsemax, entmax15 or entmax:α
  int max_iterations = 100;     ///< t_max ≥ 1
  double tolerance = 1e-10;     ///< converged when ‖x_{t+1} − x_t‖ ≤ tolerance
  double epsilon = 1e-2;        ///< retrieved when ‖x_T − ξ_target‖ ≤ ε (and argmax p = target)
  std::int64_t block_size = 0;  ///< queries per GEMM block; 0 chooses from M (≤ ~2^24 scores)
  KhmScores khm_scores = KhmScores::normalized;

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
  /// memories: M×d (rows are ξ_μ). feature_map: absent for the MHM, present for the KHM
  /// (input dimension d). Both are copied; the Retriever owns its data.
  Retriever(const Matrix& memories, const RetrievalSettings& settings,
            std::optional<FeatureMap> feature_map = std::nullopt);

  std::int64_t memory_count() const { return memories_.rows; }
  std::int64_t dim() const { return memories_.cols; }
  bool kernelized() const { return feature_map_.has_value(); }
  const RetrievalSettings& settings() const { return settings_; }

  /// scores := β K(Ξ, x) for every row x of states (n×d → n×M).
  void scores(const Matrix& states, Matrix& scores) const;
  /// One update of every row: next := T(states); probabilities (n×M) := Sep(β K(Ξ, x)).
  void step(const Matrix& states, Matrix& next, Matrix& probabilities) const;
  /// The same update without keeping the weights, as the retrieval loop runs it: OpenMP
  /// threads take cache-sized panels of rows and each does scores GEMM → Sep → update GEMM on
  /// its panel (BLAS single-threaded inside), so the n×M scores never travel through memory.
  /// Blocks with fewer rows than 2 × threads run as one multi-threaded GEMM pair instead.
  void advance(const Matrix& states, Matrix& next) const;
  /// Energy of one state: ½⟨x,x⟩ − β⁻¹Ψ*(β Ξᵀx) for the MHM;
  /// ½K(x,x) − β⁻¹Ψ*(β K(Ξ,x)) for the KHM (Ψ* = log-sum-exp for softmax).
  double energy(std::span<const double> state) const;

  /// Iterates every row of states (in: queries, out: final states) until converged or t_max,
  /// in blocks of block_size, and fills one outcome per row. targets[i] is the memory query i
  /// aims at, or −1 for none (then distance is measured to the argmax memory).
  void run(Matrix& states, std::span<const std::int64_t> targets,
           std::span<QueryOutcome> outcomes) const;

 private:
  std::int64_t block_rows() const;
  /// scores for `rows` contiguous states (row-major, d columns) into out (rows×M).
  void scores_rows(const double* states, std::int64_t rows, double* out) const;
  /// step() with caller-owned scratch for the scores, reused across iterations.
  void step(const Matrix& states, Matrix& next, Matrix& probabilities, Matrix& z) const;
  void run_block(Matrix& states, std::span<const std::int64_t> targets,
                 std::span<QueryOutcome> outcomes) const;

  Matrix memories_;
  RetrievalSettings settings_;
  std::optional<FeatureMap> feature_map_;
  Matrix memory_features_;  ///< M×D_Φ features of the memories (normalised if so configured)
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
