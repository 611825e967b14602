#include "reference/query_angles_ref.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace hopcap::ref {
namespace {

std::vector<long double> image(const FeatureMap* map, const double* x, std::int64_t d) {
  if (map == nullptr) return std::vector<long double>(x, x + d);
  std::vector<long double> out(static_cast<std::size_t>(map->feature_dim()), 0.0L);
  for (std::int64_t k = 0; k < map->feature_dim(); ++k) {
    long double s = map->has_bias() ? map->bias[static_cast<std::size_t>(k)] : 0.0L;
    for (std::int64_t j = 0; j < d; ++j) s += static_cast<long double>(map->weight(k, j)) * x[j];
    out[static_cast<std::size_t>(k)] = s;
  }
  return out;
}

}  // namespace

std::vector<double> query_target_angles_deg(const Matrix& queries, const Matrix& targets, const FeatureMap* map) {
  std::vector<double> angles;
  for (std::int64_t i = 0; i < queries.rows; ++i) {
    const std::vector<long double> a = image(map, queries.row(i), queries.cols);
    const std::vector<long double> b = image(map, targets.row(i), targets.cols);
    long double ab = 0.0L, aa = 0.0L, bb = 0.0L;
    for (std::size_t k = 0; k < a.size(); ++k) {
      ab += a[k] * b[k];
      aa += a[k] * a[k];
      bb += b[k] * b[k];
    }
    const long double c = std::clamp(ab / std::sqrt(aa * bb), -1.0L, 1.0L);
    angles.push_back(static_cast<double>(std::acos(c) * 180.0L / std::numbers::pi_v<long double>));
  }
  return angles;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace hopcap::ref
