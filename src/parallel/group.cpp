#include "hopcap/parallel/group.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/parallel/mpi.hpp"

namespace hopcap::parallel {
namespace {

template <class T>
void reduce_then_broadcast(MPI_Comm comm, int rank, std::span<T> values, MPI_Datatype type, MPI_Op op) {
  if (values.empty()) return;
  const int n = static_cast<int>(values.size());
  if (rank == 0) {
    check_mpi(MPI_Reduce(MPI_IN_PLACE, values.data(), n, type, op, 0, comm), "MPI_Reduce");
  } else {
    check_mpi(MPI_Reduce(values.data(), nullptr, n, type, op, 0, comm), "MPI_Reduce");
  }
  check_mpi(MPI_Bcast(values.data(), n, type, 0, comm), "MPI_Bcast");
}

}  // namespace

Group::Group(MPI_Comm comm) : comm_(comm) {
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

void Group::sum(std::span<double> values) const {
  if (size_ > 1) reduce_then_broadcast(comm_, rank_, values, MPI_DOUBLE, MPI_SUM);
}

void Group::sum(std::span<std::int64_t> values) const {
  if (size_ > 1) reduce_then_broadcast(comm_, rank_, values, MPI_INT64_T, MPI_SUM);
}

void Group::max(std::span<double> values) const {
  if (size_ > 1) reduce_then_broadcast(comm_, rank_, values, MPI_DOUBLE, MPI_MAX);
}

void Group::max_location(std::span<double> values, std::span<std::int64_t> indices) const {
  if (size_ == 1 || values.empty()) return;
  // MPI_MAXLOC on (double, int) pairs keeps the smallest index among equal values; indices
  // above 2^31 do not occur in one group's memory set (M < 2^31 per configuration).
  struct Pair {
    double value;
    int index;
  };
  std::vector<Pair> pairs(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (indices[i] > INT32_MAX) throw ConfigError("max_location: memory index exceeds 2^31");
    pairs[i] = {values[i], static_cast<int>(indices[i])};
  }
  std::span<Pair> view(pairs);
  reduce_then_broadcast(comm_, rank_, view, MPI_DOUBLE_INT, MPI_MAXLOC);
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = pairs[i].value;
    indices[i] = pairs[i].index;
  }
}

void Group::broadcast(std::span<double> values, int root) const {
  if (size_ > 1 && !values.empty()) {
    if (values.size() > static_cast<std::size_t>(INT32_MAX)) throw MpiError("broadcast: more than 2^31 values");
    check_mpi(MPI_Bcast(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, root, comm_), "MPI_Bcast");
  }
}

void Group::gather_rows(std::span<const double> local, std::span<double> all, std::int64_t row_length,
                        std::int64_t total) const {
  std::vector<std::int64_t> part_first(static_cast<std::size_t>(size_) + 1, total);
  for (int r = 0; r < size_; ++r) {
    std::int64_t count = 0;
    split_rows(total, size_, r, part_first[static_cast<std::size_t>(r)], count);
  }
  gather_rows(local, all, row_length, part_first);
}

void Group::gather_rows(std::span<const double> local, std::span<double> all, std::int64_t row_length,
                        std::span<const std::int64_t> part_first) const {
  std::vector<int> counts(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
  for (int r = 0; r < size_; ++r) {
    const std::int64_t first = part_first[static_cast<std::size_t>(r)];
    const std::int64_t count = part_first[static_cast<std::size_t>(r) + 1] - first;
    if ((first + count) * row_length > INT32_MAX) throw MpiError("gather_rows: more than 2^31 values");
    counts[static_cast<std::size_t>(r)] = static_cast<int>(count * row_length);
    offsets[static_cast<std::size_t>(r)] = static_cast<int>(first * row_length);
  }
  if (static_cast<std::int64_t>(local.size()) != counts[static_cast<std::size_t>(rank_)] ||
      static_cast<std::int64_t>(all.size()) != part_first.back() * row_length) {
    throw MpiError("gather_rows: buffer sizes do not match the row split");
  }
  if (size_ == 1) {
    std::copy(local.begin(), local.end(), all.begin());
    return;
  }
  check_mpi(MPI_Allgatherv(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, all.data(), counts.data(),
                       offsets.data(), MPI_DOUBLE, comm_),
        "MPI_Allgatherv");
}

kernels::RowPartition Group::row_partition(std::int64_t total) const {
  std::vector<std::int64_t> part_first(static_cast<std::size_t>(size_) + 1, total);
  for (int r = 0; r < size_; ++r) {
    std::int64_t count = 0;
    split_rows(total, size_, r, part_first[static_cast<std::size_t>(r)], count);
  }
  return partition_of(total, std::move(part_first));
}

kernels::RowPartition Group::row_partition(std::int64_t total, std::int64_t block) const {
  return partition_of(total, kernels::RowPartition::block_aligned_firsts(total, block, size_));
}

kernels::RowPartition Group::partition_of(std::int64_t total, std::vector<std::int64_t> part_first) const {
  kernels::RowPartition p;
  p.total = total;
  p.part = rank_;
  p.part_first = std::move(part_first);
  p.first = p.part_first[static_cast<std::size_t>(rank_)];
  p.broadcast = [this](std::span<double> v, int root) { broadcast(v, root); };
  p.sum = [this](std::span<double> v) { sum(v); };
  p.max = [this](std::span<double> v) { max(v); };
  p.sum_integers = [this](std::span<std::int64_t> v) { sum(v); };
  p.gather_rows = [this, firsts = p.part_first](std::span<const double> local, std::span<double> all,
                                                std::int64_t row_length) {
    gather_rows(local, all, row_length, firsts);
  };
  return p;
}

void Group::split_rows(std::int64_t m, int size, int rank, std::int64_t& first, std::int64_t& count) {
  const std::int64_t base = m / size;
  const std::int64_t extra = m % size;
  first = rank * base + std::min<std::int64_t>(rank, extra);
  count = base + (rank < extra ? 1 : 0);
}

}  // namespace hopcap::parallel
