#include "hopcap/queries.hpp"

#include <charconv>
#include <cmath>
#include <numbers>
#include <numeric>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/rng.hpp"

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

}  // namespace

QueryModel QueryModel::parse(std::string_view text) {
  if (text == "random") return {QueryKind::random, 0.0, {}};
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw ConfigError("unknown query model '" + std::string(text) +
                      "' (expected angle:DEG, gauss:SIGMA, mask:FRAC, random or data:SOURCE)");
  }
  const std::string_view kind = text.substr(0, colon);
  const std::string_view value = text.substr(colon + 1);
  if (kind == "data") {
    require(!value.empty(), "query model 'data:' needs a source, e.g. data:idx:PATH");
    QueryModel model{QueryKind::data, 0.0, {}};
    model.source = std::string(value);
    return model;
  }
  if (kind == "angle") {
    const double deg = parse_level(value, "an angle in degrees");
    require(deg >= 0.0 && deg <= 180.0, "query angle must be in [0, 180] degrees, got " + std::string(value));
    return {QueryKind::angle, deg, {}};
  }
  if (kind == "gauss") {
    const double sigma = parse_level(value, "a noise level sigma");
    require(sigma >= 0.0, "query noise sigma must be >= 0, got " + std::string(value));
    return {QueryKind::gauss, sigma, {}};
  }
  if (kind == "mask") {
    const double frac = parse_level(value, "a masked fraction");
    require(frac >= 0.0 && frac <= 1.0, "masked fraction must be in [0, 1], got " + std::string(value));
    return {QueryKind::mask, frac, {}};
  }
  throw ConfigError("unknown query model '" + std::string(text) +
                    "' (expected angle:DEG, gauss:SIGMA, mask:FRAC, random or data:SOURCE)");
}

std::string QueryModel::name() const {
  auto number = [](double v) {
    char buf[64];
    const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, ptr);
  };
  switch (kind) {
    case QueryKind::angle: return "angle:" + number(level);
    case QueryKind::gauss: return "gauss:" + number(level);
    case QueryKind::mask: return "mask:" + number(level);
    case QueryKind::random: return "random";
    case QueryKind::data: return "data:" + source;
  }
  return "unknown";
}

void make_queries(const QueryModel& model, const Matrix& memories,
                  std::span<const std::int64_t> targets, std::span<const std::uint64_t> query_ids,
                  std::uint64_t seed, Matrix& queries) {
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

#pragma omp parallel for schedule(static) default(none) \
    shared(model, memories, targets, query_ids, queries, n, d, query_seed, n_masked, angle)
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
      case QueryKind::angle: {
        double norm2 = 0.0;
        for (std::int64_t j = 0; j < d; ++j) norm2 += xi[j] * xi[j];
        const double norm = std::sqrt(norm2);
        if (d == 1 || norm == 0.0) {  // no orthogonal direction exists: rotate within the line
          for (std::int64_t j = 0; j < d; ++j) x[j] = xi[j] * std::cos(angle);
          break;
        }
        // u: a Gaussian vector with its component along ξ̂ removed, then normalised. Redraw in
        // the (probability-zero) case that it is parallel to ξ.
        double u_norm = 0.0;
        do {
          double along = 0.0;
          for (std::int64_t j = 0; j < d; ++j) {
            x[j] = stream.normal();
            along += x[j] * xi[j];
          }
          along /= norm2;
          u_norm = 0.0;
          for (std::int64_t j = 0; j < d; ++j) {
            x[j] -= along * xi[j];
            u_norm += x[j] * x[j];
          }
          u_norm = std::sqrt(u_norm);
        } while (!(u_norm > 1e-12 * norm));
        const double c = std::cos(angle);
        const double s = std::sin(angle) * norm / u_norm;
        for (std::int64_t j = 0; j < d; ++j) x[j] = c * xi[j] + s * x[j];
        break;
      }
      case QueryKind::random:
      case QueryKind::data: break;
    }
  }
}

}  // namespace hopcap
