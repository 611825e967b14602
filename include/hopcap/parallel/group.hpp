#pragma once
// A group of MPI ranks that shares one configuration, with the few collectives hopcap needs.
// Every reduction is Reduce-to-root then Bcast: all ranks get bitwise identical results, so
// decisions taken from them (convergence, bisection brackets) agree on every rank.

#include <mpi.h>

#include <cstdint>
#include <span>
#include <vector>

#include "hopcap/kernels/uhop_loss.hpp"

namespace hopcap::parallel {

class Group {
 public:
  /// Wraps comm (not owned). MPI_COMM_SELF gives a one-rank group.
  explicit Group(MPI_Comm comm);

  MPI_Comm comm() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  /// In-place elementwise sum / max / min over the group, identical on every rank.
  void sum(std::span<double> values) const;
  void sum(std::span<std::int64_t> values) const;
  void max(std::span<double> values) const;
  /// For each entry the (value, index) with the largest value, smallest index among ties.
  void max_location(std::span<double> values, std::span<std::int64_t> indices) const;
  void broadcast(std::span<double> values, int root = 0) const;
  /// Concatenates every rank's rows of a `total`-row set (the split_rows block of each rank,
  /// row_length values per row) into `all`, in global row order, on every rank.
  void gather_rows(std::span<const double> local, std::span<double> all, std::int64_t row_length,
                   std::int64_t total) const;
  /// The row partition of a `total`-row set over this group, as the kernels take it. The
  /// group must outlive the returned object.
  kernels::RowPartition row_partition(std::int64_t total) const;
  /// The same with whole blocks of `block` rows per rank (RowPartition::block_aligned_firsts),
  /// the split the retrieval engine takes; its gather follows that split.
  kernels::RowPartition row_partition(std::int64_t total, std::int64_t block) const;
  /// gather_rows for any split: rank r holds rows [part_first[r], part_first[r + 1]).
  void gather_rows(std::span<const double> local, std::span<double> all, std::int64_t row_length,
                   std::span<const std::int64_t> part_first) const;

  /// Rows [first, first + count) of an M-row set owned by `rank` in a balanced block split.
  static void split_rows(std::int64_t m, int size, int rank, std::int64_t& first, std::int64_t& count);

 private:
  kernels::RowPartition partition_of(std::int64_t total, std::vector<std::int64_t> part_first) const;

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace hopcap::parallel
