#pragma once
// Codes whose exact symmetric ties become ties up to rounding: the rows turned by Givens
// rotations in every coordinate plane. Which of the near-tied partners a Gram kernel names then
// depends on how it rounds, which is what the metrics' determinism tests need.

#include <cmath>
#include <cstdint>

#include "hopcap/matrix.hpp"

namespace hopcap::test {

inline Matrix rotated(const Matrix& x) {
  Matrix y = x;
  double angle = 0.3;
  for (std::int64_t p = 0; p < y.cols; ++p) {
    for (std::int64_t q = p + 1; q < y.cols; ++q) {
      const double c = std::cos(angle), s = std::sin(angle);
      for (std::int64_t i = 0; i < y.rows; ++i) {
        const double a = y(i, p), b = y(i, q);
        y(i, p) = c * a - s * b;
        y(i, q) = s * a + c * b;
      }
      angle += 0.7137;
    }
  }
  return y;
}

}  // namespace hopcap::test
