#pragma once
// MHM/KHM retrieval with the memory set partitioned by rows over a group of ranks. Every rank
// holds the same block of queries and its own slice of memories; per update it computes the
// local scores (GEMM), the separation through group reductions, and its partial update
// Ξ_local p_local (GEMM), summed over the group.
//
// - softmax: distributed log-sum-exp, the row maximum first, then the sum of exp(z − max);
// - sparsemax / 1.5-entmax / α-entmax: the threshold t of p_i ∝ [(α−1)(z_i − t)]_+^{1/(α−1)}
//   by bisection, each step summing the local masses over the group, to machine precision.
//
// The same code runs on a one-rank group, so results do not depend on the group size beyond
// the order of floating-point sums (≈1e-16 relative). Reductions are Reduce+Bcast, so every
// rank takes the same convergence decisions.

#include <cstdint>
#include <optional>
#include <span>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/matrix.hpp"
#include "hopcap/parallel/group.hpp"

namespace hopcap::parallel {

class GroupRetriever {
 public:
  /// local_memories: this rank's rows [first_row, first_row + rows) of an M-row set (rows may
  /// be 0 when M < group size). feature_map as for Retriever (the same on every rank).
  GroupRetriever(const Group& group, const Matrix& local_memories, std::int64_t first_row,
                 std::int64_t memory_count, const RetrievalSettings& settings,
                 std::optional<FeatureMap> feature_map = std::nullopt);

  /// As Retriever::run: states (n×d, the same on every rank) are iterated to convergence or
  /// t_max; target_memories holds ξ_target for each query with a target (row i for query i;
  /// ignored where targets[i] < 0). Outcomes are identical on every rank.
  void run(Matrix& states, std::span<const std::int64_t> targets, const Matrix& target_memories,
           std::span<QueryOutcome> outcomes) const;

  /// One update of every row (the same on every rank); probabilities receive the local slice
  /// of the weights (n × local rows).
  void step(const Matrix& states, Matrix& next, Matrix& local_probabilities) const;

 private:
  /// Local scores (n × local rows) and, for the final outcomes, the separation's row data.
  void local_scores(const Matrix& states, Matrix& z) const;
  /// p := Sep over the whole group of the rows of z (local columns); returns per row the
  /// log-sum-exp (softmax) for energies.
  void separate(Matrix& z, Matrix& p, std::vector<double>* softmax_lse) const;

  const Group& group_;
  Matrix memories_;
  std::int64_t first_row_;
  std::int64_t memory_count_;
  RetrievalSettings settings_;
  std::optional<FeatureMap> feature_map_;
  Matrix memory_features_;
};

}  // namespace hopcap::parallel
