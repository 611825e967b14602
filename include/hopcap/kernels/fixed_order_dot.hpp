#pragma once
// An inner product whose result depends on its two vectors alone: four interleaved partial sums
// over k in a fixed order. The separation metrics keep only values formed this way, because a
// BLAS may form the same entry in an order that depends on the product's shape and the library
// (BLIS's small-matrix kernels do), and the shapes of the metrics' tiles depend on the row
// partition. Compiled out of line, so every caller runs the same instructions.

#include <cstdint>

namespace hopcap::kernels {

double fixed_order_dot(const double* a, const double* b, std::int64_t n);

}  // namespace hopcap::kernels
