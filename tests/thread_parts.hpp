#pragma once
// The parts of a row partition as threads of this process, for tests that compare a
// partitioned kernel with the one-process one: every collective posts each part's values,
// waits for all, and combines them in part order (the MPI group's job, in memory).

#include <algorithm>
#include <barrier>
#include <cstdint>
#include <exception>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include <omp.h>

#include "hopcap/kernels/row_partition.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap::test {

class ThreadParts {
 public:
  explicit ThreadParts(std::vector<std::int64_t> part_first)
      : part_first_(std::move(part_first)), sync_(parts()), posted_(static_cast<std::size_t>(parts())) {}
  int parts() const { return static_cast<int>(part_first_.size()) - 1; }

  kernels::RowPartition partition(int part) {
    kernels::RowPartition p;
    p.total = part_first_.back();
    p.part = part;
    p.part_first = part_first_;
    p.first = part_first_[static_cast<std::size_t>(part)];
    p.sum = [this, part](std::span<double> v) { combine<double>(part, v, [](double a, double b) { return a + b; }); };
    p.max = [this, part](std::span<double> v) { combine<double>(part, v, [](double a, double b) { return std::max(a, b); }); };
    p.sum_integers = [this, part](std::span<std::int64_t> v) {
      combine<std::int64_t>(part, v, [](std::int64_t a, std::int64_t b) { return a + b; });
    };
    p.broadcast = [this, part](std::span<double> v, int root) {
      post(part, v.data());
      if (part != root) std::copy_n(static_cast<const double*>(posted_[static_cast<std::size_t>(root)]), v.size(), v.data());
      sync_.arrive_and_wait();
    };
    p.gather_rows = [this, part](std::span<const double> local, std::span<double> all, std::int64_t row_length) {
      post(part, local.data());
      for (int q = 0; q < parts(); ++q) {
        const std::int64_t rows = part_first_[static_cast<std::size_t>(q) + 1] - part_first_[static_cast<std::size_t>(q)];
        std::copy_n(static_cast<const double*>(posted_[static_cast<std::size_t>(q)]), rows * row_length,
                    all.data() + part_first_[static_cast<std::size_t>(q)] * row_length);
      }
      sync_.arrive_and_wait();
    };
    return p;
  }

  /// Runs body(partition, local rows of `all`, part) for every part on its own thread with
  /// `threads` OpenMP threads, waits for all, and rethrows the first part's exception.
  template <class Body>
  void run_each(const Matrix& all, int threads, Body body) {
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(parts()));
    std::vector<std::thread> workers;
    for (int part = 0; part < parts(); ++part) {
      workers.emplace_back([&, part] {
        try {
          omp_set_num_threads(threads);
          const kernels::RowPartition p = partition(part);
          const std::int64_t rows = p.rows_of(part);
          Matrix local(rows, all.cols);
          std::copy_n(all.row(p.first), rows * all.cols, local.data.begin());
          body(p, local, part);
        } catch (...) {
          errors[static_cast<std::size_t>(part)] = std::current_exception();
        }
      });
    }
    for (std::thread& w : workers) w.join();
    for (const auto& e : errors) {
      if (e) std::rethrow_exception(e);
    }
  }

 private:
  void post(int part, const void* data) {
    posted_[static_cast<std::size_t>(part)] = data;
    sync_.arrive_and_wait();
  }
  template <class T, class Op>
  void combine(int part, std::span<T> values, Op op) {
    post(part, values.data());
    std::vector<T> result(static_cast<const T*>(posted_[0]), static_cast<const T*>(posted_[0]) + values.size());
    for (int q = 1; q < parts(); ++q) {
      const T* other = static_cast<const T*>(posted_[static_cast<std::size_t>(q)]);
      for (std::size_t k = 0; k < values.size(); ++k) result[k] = op(result[k], other[k]);
    }
    sync_.arrive_and_wait();  // everyone has read every part's values
    std::copy(result.begin(), result.end(), values.begin());
  }

  std::vector<std::int64_t> part_first_;
  std::barrier<> sync_;
  std::vector<const void*> posted_;
};

}  // namespace hopcap::test
