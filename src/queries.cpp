#include "hopcap/queries.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/rng.hpp"
#include "kernels/parallel_panels.hpp"

namespace hopcap {
namespace {

// Stream ids separate query randomness from memory randomness under the same base seed.
constexpr std::uint64_t kQueryStream = 0x71756572790000ULL;  // "query"

double parse_level(std::string_view text, std::string_view what) {
  double value = 0.0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || !std::isfinite(value)) {
    throw ConfigError("query model: cannot read " + std::string(what) + " from '" +
                      std::string(text) + "'");
  }
  return value;
}

// Random directions orthogonal to a unit vector: Gaussian draws, accepted when their part
// orthogonal to the vector is not lost to rounding. A draw fails with probability of order
// kMinOrthogonalFraction^(d−1), so kMaxOrthogonalDraws failures in a row never happen in
// practice, but the construction below guarantees termination whatever the draws.
constexpr int kMaxOrthogonalDraws = 8;
constexpr double kMinOrthogonalFraction = 1e-6;

// Removes from x (length d) its component along the unit vector unit; returns the new norm.
double remove_component(const double* unit, std::int64_t d, double* x) {
  double along = 0.0;
  for (std::int64_t j = 0; j < d; ++j) along += x[j] * unit[j];
  double norm2 = 0.0;
  for (std::int64_t j = 0; j < d; ++j) {
    x[j] -= along * unit[j];
    norm2 += x[j] * x[j];
  }
  return std::sqrt(norm2);
}

// Writes to u a unit vector orthogonal to the unit vector `unit` (d >= 2): uniformly random
// among those directions when a draw succeeds, else the deterministic fallback.
void orthogonal_unit_direction(const double* unit, std::int64_t d, rng::Stream& stream,
                               double* u) {
  for (int attempt = 0; attempt < kMaxOrthogonalDraws; ++attempt) {
    double drawn2 = 0.0;
    for (std::int64_t j = 0; j < d; ++j) {
      u[j] = stream.normal();
      drawn2 += u[j] * u[j];
    }
    const double norm = remove_component(unit, d, u);
    if (norm > kMinOrthogonalFraction * std::sqrt(drawn2)) {
      for (std::int64_t j = 0; j < d; ++j) u[j] /= norm;
      return;
    }
  }
  // The basis vector least aligned with `unit` has |unit_k|² <= 1/d, so its orthogonal part has
  // norm >= sqrt(1 − 1/d) >= 1/sqrt(2): one Gram–Schmidt step (and a second against rounding)
  // always yields a direction.
  std::int64_t least = 0;
  for (std::int64_t j = 1; j < d; ++j) {
    if (std::abs(unit[j]) < std::abs(unit[least])) least = j;
  }
  for (std::int64_t j = 0; j < d; ++j) u[j] = j == least ? 1.0 : 0.0;
  remove_component(unit, d, u);
  const double norm = remove_component(unit, d, u);
  for (std::int64_t j = 0; j < d; ++j) u[j] /= norm;
}

// x = the point at `angle` from xi on the sphere of radius ‖xi‖, in a random direction
// orthogonal to xi. Works on xi / max|xi_j|, so no square overflows or underflows for any
// finite xi, and rescales at the end. Returns false, leaving x unspecified, when ‖xi‖ is not a
// finite double (it runs inside an OpenMP loop, where it must not throw).
bool rotate_away(const double* xi, std::int64_t d, double angle, rng::Stream& stream, double* x) {
  double scale = 0.0;
  for (std::int64_t j = 0; j < d; ++j) scale = std::max(scale, std::abs(xi[j]));
  if (!std::isfinite(scale)) return false;
  if (d == 1 || scale == 0.0) {  // no orthogonal direction exists: rotate within the line
    for (std::int64_t j = 0; j < d; ++j) x[j] = xi[j] * std::cos(angle);
    return true;
  }
  std::vector<double> unit(static_cast<std::size_t>(d));
  double scaled2 = 0.0;  // in [1, d]: the largest scaled entry is ±1
  for (std::int64_t j = 0; j < d; ++j) {
    unit[static_cast<std::size_t>(j)] = xi[j] / scale;
    scaled2 += unit[static_cast<std::size_t>(j)] * unit[static_cast<std::size_t>(j)];
  }
  const double scaled_norm = std::sqrt(scaled2);
  for (double& v : unit) v /= scaled_norm;
  const double norm = scale * scaled_norm;
  if (!std::isfinite(norm)) return false;
  orthogonal_unit_direction(unit.data(), d, stream, x);
  const double c = norm * std::cos(angle);
  const double s = norm * std::sin(angle);
  for (std::int64_t j = 0; j < d; ++j) x[j] = c * unit[static_cast<std::size_t>(j)] + s * x[j];
  return true;
}

// A linear-then-normalise map, ready to place queries at a chosen feature angle: W, b and the
// Cholesky factor of W Wᵀ (lower triangle, row-major D×D).
class FeatureAngleSolver {
 public:
  explicit FeatureAngleSolver(const FeatureMap& map) : map_(map), dphi_(map.feature_dim()), d_(map.input_dim()) {
    const std::string point = "(D_Phi = " + std::to_string(dphi_) + ", d = " + std::to_string(d_) + ")";
    require(dphi_ >= 2, "feature_angle queries need D_Phi >= 2: with one feature only the angles 0 and 180 "
                        "exist " + point);
    require(dphi_ <= d_, "feature_angle queries need D_Phi <= d: a map into more dimensions than it reads does "
                         "not reach every feature direction " + point);
    // W Wᵀ, each entry summed in index order, then its Cholesky factor. A pivot lost to
    // rounding (relative to the largest diagonal entry) means W is not of full row rank.
    factor_.assign(static_cast<std::size_t>(dphi_ * dphi_), 0.0);
    double largest = 0.0;
    for (std::int64_t a = 0; a < dphi_; ++a) {
      for (std::int64_t b = 0; b <= a; ++b) {
        double s = 0.0;
        for (std::int64_t j = 0; j < d_; ++j) s += map.weight(a, j) * map.weight(b, j);
        at(a, b) = s;
      }
      largest = std::max(largest, at(a, a));
    }
    for (std::int64_t a = 0; a < dphi_; ++a) {
      for (std::int64_t b = 0; b <= a; ++b) {
        double s = at(a, b);
        for (std::int64_t k = 0; k < b; ++k) s -= at(a, k) * at(b, k);
        if (a == b) {
          require(s > kRankTolerance * largest && std::isfinite(s),
                  "feature_angle queries need a feature map of full row rank (W W^T is singular): its features "
                  "do not reach every direction " + point);
          at(a, a) = std::sqrt(s);
        } else {
          at(a, b) = s / at(b, b);
        }
      }
    }
  }

  // x := the raw query whose feature is at `angle` from Φ(xi), in a random feature direction;
  // scratch holds 4·D_Φ doubles. False when Φ(xi) is zero or not finite (no direction).
  bool place(const double* xi, double angle, rng::Stream& stream, double* x, double* scratch) const {
    double* f = scratch;
    double* u = scratch + dphi_;
    double* goal = scratch + 2 * dphi_;
    double* y = scratch + 3 * dphi_;
    apply(xi, f);
    double norm2 = 0.0;
    for (std::int64_t k = 0; k < dphi_; ++k) norm2 += f[k] * f[k];
    const double norm = std::sqrt(norm2);
    if (!(norm > 0.0) || !std::isfinite(norm)) return false;
    for (std::int64_t k = 0; k < dphi_; ++k) y[k] = f[k] / norm;  // f̂, for now
    orthogonal_unit_direction(y, dphi_, stream, u);
    for (std::int64_t k = 0; k < dphi_; ++k) goal[k] = norm * (std::cos(angle) * y[k] + std::sin(angle) * u[k]);
    for (std::int64_t j = 0; j < d_; ++j) x[j] = xi[j];
    // Two passes: the first moves Φ(x) to the goal, the second removes what rounding left.
    for (int pass = 0; pass < 2; ++pass) {
      if (pass > 0) apply(x, f);
      for (std::int64_t k = 0; k < dphi_; ++k) y[k] = goal[k] - f[k];
      solve(y);
      for (std::int64_t k = 0; k < dphi_; ++k) {
        const double* w = map_.weight.row(k);
        for (std::int64_t j = 0; j < d_; ++j) x[j] += w[j] * y[k];
      }
    }
    return true;
  }

  std::int64_t scratch_size() const { return 4 * dphi_; }

 private:
  // Below this relative pivot W Wᵀ counts as singular: its inverse would amplify rounding by
  // 1/tolerance and the placed angle could not be trusted.
  static constexpr double kRankTolerance = 1e-12;

  double& at(std::int64_t a, std::int64_t b) { return factor_[static_cast<std::size_t>(a * dphi_ + b)]; }
  double at(std::int64_t a, std::int64_t b) const { return factor_[static_cast<std::size_t>(a * dphi_ + b)]; }

  void apply(const double* x, double* out) const {
    for (std::int64_t k = 0; k < dphi_; ++k) {
      const double* w = map_.weight.row(k);
      double s = map_.has_bias() ? map_.bias[static_cast<std::size_t>(k)] : 0.0;
      for (std::int64_t j = 0; j < d_; ++j) s += w[j] * x[j];
      out[k] = s;
    }
  }

  // y := (L Lᵀ)⁻¹ y, forward then back substitution.
  void solve(double* y) const {
    for (std::int64_t a = 0; a < dphi_; ++a) {
      double s = y[a];
      for (std::int64_t k = 0; k < a; ++k) s -= at(a, k) * y[k];
      y[a] = s / at(a, a);
    }
    for (std::int64_t a = dphi_; a-- > 0;) {
      double s = y[a];
      for (std::int64_t k = a + 1; k < dphi_; ++k) s -= at(k, a) * y[k];
      y[a] = s / at(a, a);
    }
  }

  const FeatureMap& map_;
  std::int64_t dphi_, d_;
  std::vector<double> factor_;
};

}  // namespace

QueryModel QueryModel::parse(std::string_view text) {
  const NamedValue<QueryKind> named = kQueryKindNames.parse_parametric(text);
  const std::string_view value = named.parameter.value_or(std::string_view{});
  // Levels are stored as level + 0.0, so that "-0" is the value (and name) of "0".
  switch (named.value) {
    case QueryKind::random: return {QueryKind::random, 0.0, {}};
    case QueryKind::data: {
      require(!value.empty(), "query model 'data:' needs a source, e.g. data:idx:PATH");
      QueryModel model{QueryKind::data, 0.0, {}};
      model.source = std::string(value);
      return model;
    }
    case QueryKind::angle:
    case QueryKind::feature_angle: {
      const double deg = parse_level(value, "an angle in degrees");
      require(deg >= 0.0 && deg <= 180.0, "query angle must be in [0, 180] degrees, got " + std::string(value));
      return {named.value, deg + 0.0, {}};
    }
    case QueryKind::gauss: {
      const double sigma = parse_level(value, "a noise level sigma");
      require(sigma >= 0.0, "query noise sigma must be >= 0, got " + std::string(value));
      return {QueryKind::gauss, sigma + 0.0, {}};
    }
    case QueryKind::mask: {
      const double frac = parse_level(value, "a masked fraction");
      require(frac >= 0.0 && frac <= 1.0, "masked fraction must be in [0, 1], got " + std::string(value));
      return {QueryKind::mask, frac + 0.0, {}};
    }
  }
  throw ConfigError("unknown query model '" + std::string(text) + "' (" + kQueryKindNames.accepted() + ")");
}

std::string QueryModel::name() const {
  const std::string word(kQueryKindNames.name(kind));
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, level);
  switch (kind) {
    case QueryKind::random: return word;
    case QueryKind::data: return word + ":" + source;
    case QueryKind::angle:
    case QueryKind::feature_angle:
    case QueryKind::gauss:
    case QueryKind::mask: return word + ":" + std::string(buf, ptr);
  }
  return "unknown";
}

void make_queries(const QueryModel& model, const Matrix& memories,
                  std::span<const std::int64_t> targets, std::span<const std::uint64_t> query_ids,
                  std::uint64_t seed, Matrix& queries, const FeatureMap* map) {
  const std::int64_t d = memories.cols;
  const auto n = static_cast<std::int64_t>(targets.size());
  if (queries.rows != n || static_cast<std::int64_t>(query_ids.size()) != n || queries.cols != d) {
    throw KernelError("make_queries: queries, targets and ids disagree in size");
  }
  if (model.kind == QueryKind::data) {
    throw KernelError("make_queries: data queries are rows of '" + model.source + "', not generated");
  }
  for (std::int64_t i = 0; model.has_target() && i < n; ++i) {
    const std::int64_t t = targets[static_cast<std::size_t>(i)];
    if (t < 0 || t >= memories.rows) throw KernelError("make_queries: target out of range");
  }
  const std::uint64_t query_seed = rng::derive(seed, kQueryStream);
  const auto n_masked = static_cast<std::int64_t>(std::llround(model.level * static_cast<double>(d)));
  const double angle = model.level * std::numbers::pi / 180.0;
  if (map != nullptr && map->input_dim() != d) {
    throw KernelError("make_queries: the feature map takes d = " + std::to_string(map->input_dim()) +
                      ", the memories have d = " + std::to_string(d));
  }
  // Feature-angle queries of a KHM go through its map; without a map they are angle queries.
  std::optional<FeatureAngleSolver> solver;
  if (model.kind == QueryKind::feature_angle && map != nullptr) solver.emplace(*map);
  const double per_query = solver ? 8.0 * static_cast<double>(map->feature_dim()) : 30.0;  // flops per entry
  bool unrepresentable_target = false;
  bool featureless_target = false;

#pragma omp parallel for schedule(static) default(none) \
    reduction(|| : unrepresentable_target, featureless_target) \
    shared(model, memories, targets, query_ids, queries, n, d, query_seed, n_masked, angle, solver) \
    if (kernels::worth_a_team(per_query * static_cast<double>(n) * static_cast<double>(d)))
  for (std::int64_t i = 0; i < n; ++i) {
    rng::Stream stream(query_seed, static_cast<std::uint64_t>(model.kind),
                       query_ids[static_cast<std::size_t>(i)]);
    double* x = queries.row(i);
    if (model.kind == QueryKind::random) {
      double n2 = 0.0;
      for (std::int64_t j = 0; j < d; ++j) {
        x[j] = stream.normal();
        n2 += x[j] * x[j];
      }
      const double inv = 1.0 / std::sqrt(n2);
      for (std::int64_t j = 0; j < d; ++j) x[j] *= inv;
      continue;
    }
    const double* xi = memories.row(targets[static_cast<std::size_t>(i)]);
    switch (model.kind) {
      case QueryKind::gauss:
        for (std::int64_t j = 0; j < d; ++j) x[j] = xi[j] + model.level * stream.normal();
        break;
      case QueryKind::mask: {
        for (std::int64_t j = 0; j < d; ++j) x[j] = xi[j];
        // Partial Fisher–Yates: the first n_masked entries of a uniform permutation.
        std::vector<std::int64_t> order(static_cast<std::size_t>(d));
        std::iota(order.begin(), order.end(), std::int64_t{0});
        for (std::int64_t k = 0; k < n_masked; ++k) {
          const auto pick = k + static_cast<std::int64_t>(stream.below(static_cast<std::uint64_t>(d - k)));
          std::swap(order[static_cast<std::size_t>(k)], order[static_cast<std::size_t>(pick)]);
          x[order[static_cast<std::size_t>(k)]] = 0.0;
        }
        break;
      }
      case QueryKind::angle:
        if (!rotate_away(xi, d, angle, stream, x)) unrepresentable_target = true;
        break;
      case QueryKind::feature_angle:
        if (!solver) {
          if (!rotate_away(xi, d, angle, stream, x)) unrepresentable_target = true;
        } else {
          std::vector<double> scratch(static_cast<std::size_t>(solver->scratch_size()));
          if (!solver->place(xi, angle, stream, x, scratch.data())) featureless_target = true;
        }
        break;
      case QueryKind::random:
      case QueryKind::data: break;
    }
  }
  if (unrepresentable_target) {
    throw KernelError("make_queries: a target memory is not finite or its norm overflows a double");
  }
  if (featureless_target) {
    throw ConfigError("feature_angle queries: a target memory has a zero (or not finite) feature vector, so no "
                      "feature angle is defined");
  }
}

}  // namespace hopcap
