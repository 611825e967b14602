#include "hopcap/kernels/query_angles.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "hopcap/error.hpp"
#include "kernels/parallel_panels.hpp"

namespace hopcap::kernels {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Φ(x) = W x (+ b) of one row, summed over k in index order.
void map_row(const FeatureMap& map, const double* x, double* out) {
  const std::int64_t dphi = map.feature_dim(), d = map.input_dim();
  for (std::int64_t k = 0; k < dphi; ++k) {
    const double* w = map.weight.row(k);
    double s = map.has_bias() ? map.bias[static_cast<std::size_t>(k)] : 0.0;
    for (std::int64_t j = 0; j < d; ++j) s += w[j] * x[j];
    out[k] = s;
  }
}

double norm_of(const double* a, std::int64_t n) {
  double s = 0.0;
  for (std::int64_t j = 0; j < n; ++j) s += a[j] * a[j];
  return std::sqrt(s);
}

double angle_between(const double* a, const double* b, std::int64_t n) {
  const double na = norm_of(a, n), nb = norm_of(b, n);
  if (!(na > 0.0) || !(nb > 0.0) || !std::isfinite(na) || !std::isfinite(nb)) return kNaN;
  double minus2 = 0.0, plus2 = 0.0;
  for (std::int64_t j = 0; j < n; ++j) {
    const double ua = a[j] / na, ub = b[j] / nb;
    minus2 += (ua - ub) * (ua - ub);
    plus2 += (ua + ub) * (ua + ub);
  }
  return 2.0 * std::atan2(std::sqrt(minus2), std::sqrt(plus2)) * 180.0 / std::numbers::pi;
}

}  // namespace

void query_target_angles_deg(const Matrix& queries, const Matrix& targets, const FeatureMap* map,
                             std::span<double> angles) {
  const std::int64_t n = queries.rows;
  if (targets.rows != n || targets.cols != queries.cols || static_cast<std::int64_t>(angles.size()) != n) {
    throw KernelError("query_target_angles_deg: queries, targets and angles disagree in size");
  }
  if (map != nullptr && map->input_dim() != queries.cols) {
    throw KernelError("query_target_angles_deg: the feature map takes d = " + std::to_string(map->input_dim()) +
                      ", the queries have d = " + std::to_string(queries.cols));
  }
  const std::int64_t dim = map != nullptr ? map->feature_dim() : queries.cols;
  const double work = static_cast<double>(n) * static_cast<double>(queries.cols) *
                      (map != nullptr ? 4.0 * static_cast<double>(dim) : 6.0);
#pragma omp parallel default(none) shared(queries, targets, map, angles, n, dim) if (worth_a_team(work))
  {
    std::vector<double> fq(map != nullptr ? static_cast<std::size_t>(dim) : 0),
        ft(map != nullptr ? static_cast<std::size_t>(dim) : 0);
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      if (map == nullptr) {
        angles[static_cast<std::size_t>(i)] = angle_between(queries.row(i), targets.row(i), dim);
        continue;
      }
      map_row(*map, queries.row(i), fq.data());
      map_row(*map, targets.row(i), ft.data());
      angles[static_cast<std::size_t>(i)] = angle_between(fq.data(), ft.data(), dim);
    }
  }
}

AngleSummary summarize_angles(std::span<const double> angles_deg) {
  std::vector<double> kept;
  kept.reserve(angles_deg.size());
  for (double a : angles_deg) {
    if (!std::isnan(a)) kept.push_back(a);
  }
  if (kept.empty()) return {kNaN, kNaN, kNaN};
  // The mean in query order, so that it does not depend on how the queries were split.
  double sum = 0.0;
  for (double a : kept) sum += a;
  const double mean = sum / static_cast<double>(kept.size());
  std::sort(kept.begin(), kept.end());
  const std::size_t half = kept.size() / 2;
  const double median = kept.size() % 2 == 1 ? kept[half] : 0.5 * (kept[half - 1] + kept[half]);
  return {median, mean, kept.back()};
}

}  // namespace hopcap::kernels
