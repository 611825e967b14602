#pragma once
// A memory set partitioned by rows over several processes, and the few collectives the
// partitioned kernels need across them. The caller supplies the collectives (the MPI group in
// src/parallel/group.cpp), so kernels stay free of MPI and testable in one process.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace hopcap::kernels {

struct RowPartition {
  std::int64_t first = 0;  ///< global index of this process's first row
  std::int64_t total = 0;  ///< M, the rows of all processes
  int part = 0;            ///< this process's index among the parts
  /// Global index of the first row of every part, and `total` at the end (parts + 1 entries,
  /// non-decreasing): part p owns rows [part_first[p], part_first[p + 1]).
  std::vector<std::int64_t> part_first;

  // Every collective must give bitwise identical results on every process.
  std::function<void(std::span<double>)> sum;  ///< elementwise, in place
  std::function<void(std::span<double>)> max;  ///< elementwise, in place
  /// Concatenates every process's rows (row_length values each) in global row order.
  std::function<void(std::span<const double> local, std::span<double> all, std::int64_t row_length)> gather_rows;
  /// Copies `values` of part `root` into `values` on every process.
  std::function<void(std::span<double> values, int root)> broadcast;
  /// Elementwise integer sum, in place: exact, so the same in any order.
  std::function<void(std::span<std::int64_t>)> sum_integers;

  int parts() const { return static_cast<int>(part_first.size()) - 1; }
  std::int64_t rows_of(int p) const { return part_first[static_cast<std::size_t>(p) + 1] - part_first[static_cast<std::size_t>(p)]; }

  /// The one-process partition (no communication).
  static RowPartition whole(std::int64_t rows);
  /// part_first of `total` rows over `parts` parts that hold whole blocks of `block` rows
  /// (balanced in blocks; the last block may be shorter): the split the retrieval engine needs.
  static std::vector<std::int64_t> block_aligned_firsts(std::int64_t total, std::int64_t block, int parts);
};

}  // namespace hopcap::kernels
