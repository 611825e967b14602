#pragma once
// Dense row-major matrix of doubles. Row i is contiguous: one memory, one query or one feature
// vector, so a slice of rows is a slice of the memory set and BLAS sees it with no copy.

#include <cstdint>
#include <new>
#include <span>
#include <vector>

#include "hopcap/sizes.hpp"

namespace hopcap {

struct Matrix {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<double> data;

  Matrix() = default;
  /// Throws SizeError when rows x cols is negative or beyond kMaxElements.
  Matrix(std::int64_t n_rows, std::int64_t n_cols, double fill = 0.0)
      : rows(n_rows), cols(n_cols), data(checked_size(n_rows, n_cols, "matrix rows x cols"), fill) {}

  double* row(std::int64_t i) { return data.data() + i * cols; }
  const double* row(std::int64_t i) const { return data.data() + i * cols; }
  std::span<double> row_span(std::int64_t i) { return {row(i), static_cast<std::size_t>(cols)}; }
  std::span<const double> row_span(std::int64_t i) const {
    return {row(i), static_cast<std::size_t>(cols)};
  }
  double& operator()(std::int64_t i, std::int64_t j) { return data[static_cast<std::size_t>(i * cols + j)]; }
  double operator()(std::int64_t i, std::int64_t j) const {
    return data[static_cast<std::size_t>(i * cols + j)];
  }
  bool empty() const { return rows == 0 || cols == 0; }
  /// Whether data holds exactly rows x cols values (a shape set by hand may not).
  bool storage_matches_shape() const {
    const auto size = product_within(rows, cols);
    return size && static_cast<std::size_t>(*size) == data.size();
  }
};

/// Scales every row to unit Euclidean norm. Throws KernelError if a row has zero norm.
void normalize_rows(Matrix& a);

/// Euclidean norm of every row.
std::vector<double> row_norms(const Matrix& a);

}  // namespace hopcap
