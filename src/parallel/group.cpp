#include "hopcap/parallel/group.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "hopcap/error.hpp"

namespace hopcap::parallel {
namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw MpiError(std::string("MPI error in ") + what);
}

template <class T>
void reduce_then_broadcast(MPI_Comm comm, int rank, std::span<T> values, MPI_Datatype type, MPI_Op op) {
  if (values.empty()) return;
  const int n = static_cast<int>(values.size());
  if (rank == 0) {
    check(MPI_Reduce(MPI_IN_PLACE, values.data(), n, type, op, 0, comm), "MPI_Reduce");
  } else {
    check(MPI_Reduce(values.data(), nullptr, n, type, op, 0, comm), "MPI_Reduce");
  }
  check(MPI_Bcast(values.data(), n, type, 0, comm), "MPI_Bcast");
}

}  // namespace

Group::Group(MPI_Comm comm) : comm_(comm) {
  check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
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
    check(MPI_Bcast(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, root, comm_), "MPI_Bcast");
  }
}

void Group::gather_rows(std::span<const double> local, std::span<double> all, std::int64_t row_length,
                        std::int64_t total) const {
  std::vector<int> counts(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
  for (int r = 0; r < size_; ++r) {
    std::int64_t first = 0, count = 0;
    split_rows(total, size_, r, first, count);
    if ((first + count) * row_length > INT32_MAX) throw MpiError("gather_rows: more than 2^31 values");
    counts[static_cast<std::size_t>(r)] = static_cast<int>(count * row_length);
    offsets[static_cast<std::size_t>(r)] = static_cast<int>(first * row_length);
  }
  if (static_cast<std::int64_t>(local.size()) != counts[static_cast<std::size_t>(rank_)] ||
      static_cast<std::int64_t>(all.size()) != total * row_length) {
    throw MpiError("gather_rows: buffer sizes do not match the row split");
  }
  if (size_ == 1) {
    std::copy(local.begin(), local.end(), all.begin());
    return;
  }
  check(MPI_Allgatherv(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, all.data(), counts.data(),
                       offsets.data(), MPI_DOUBLE, comm_),
        "MPI_Allgatherv");
}

kernels::RowPartition Group::row_partition(std::int64_t total) const {
  kernels::RowPartition p;
  std::int64_t count = 0;
  split_rows(total, size_, rank_, p.first, count);
  p.total = total;
  p.part = rank_;
  p.part_first.resize(static_cast<std::size_t>(size_) + 1);
  for (int r = 0; r < size_; ++r) {
    std::int64_t first = 0, rows = 0;
    split_rows(total, size_, r, first, rows);
    p.part_first[static_cast<std::size_t>(r)] = first;
  }
  p.part_first.back() = total;
  p.broadcast = [this](std::span<double> v, int root) { broadcast(v, root); };
  p.sum = [this](std::span<double> v) { sum(v); };
  p.max = [this](std::span<double> v) { max(v); };
  p.gather_rows = [this, total](std::span<const double> local, std::span<double> all, std::int64_t row_length) {
    gather_rows(local, all, row_length, total);
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
