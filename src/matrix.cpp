#include "hopcap/matrix.hpp"

#include <cmath>
#include <string>

#include "hopcap/error.hpp"

namespace hopcap {

std::vector<double> row_norms(const Matrix& a) {
  std::vector<double> norms(static_cast<std::size_t>(a.rows));
  for (std::int64_t i = 0; i < a.rows; ++i) {
    const double* r = a.row(i);
    double s = 0.0;
    for (std::int64_t j = 0; j < a.cols; ++j) s += r[j] * r[j];
    norms[static_cast<std::size_t>(i)] = std::sqrt(s);
  }
  return norms;
}

void normalize_rows(Matrix& a) {
  const std::vector<double> norms = row_norms(a);
  for (std::int64_t i = 0; i < a.rows; ++i) {
    const double n = norms[static_cast<std::size_t>(i)];
    if (!(n > 0.0) || !std::isfinite(n)) {
      throw KernelError("normalize_rows: row " + std::to_string(i) + " has norm " +
                        std::to_string(n) + "; cannot project it onto the unit sphere");
    }
    double* r = a.row(i);
    for (std::int64_t j = 0; j < a.cols; ++j) r[j] /= n;
  }
}

}  // namespace hopcap
