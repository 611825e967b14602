#pragma once
// Helpers shared by the MPI tests of partitioned kernels.

#include <algorithm>
#include <cstdint>

#include "hopcap/matrix.hpp"

namespace hopcap::test {

/// Rows [first, first + count) of `all`, as the rank owning them holds them.
inline Matrix rows_of(const Matrix& all, std::int64_t first, std::int64_t count) {
  Matrix out(count, all.cols);
  std::copy_n(all.row(first), count * all.cols, out.data.begin());
  return out;
}

}  // namespace hopcap::test
