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
    check(MPI_Bcast(values.data(), static_cast<int>(values.size()), MPI_DOUBLE, root, comm_), "MPI_Bcast");
  }
}

void Group::split_rows(std::int64_t m, int size, int rank, std::int64_t& first, std::int64_t& count) {
  const std::int64_t base = m / size;
  const std::int64_t extra = m % size;
  first = rank * base + std::min<std::int64_t>(rank, extra);
  count = base + (rank < extra ? 1 : 0);
}

}  // namespace hopcap::parallel
