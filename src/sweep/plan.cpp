#include "hopcap/sweep/plan.hpp"

#include <algorithm>

#include "hopcap/error.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/rng.hpp"
#include "hopcap/sizes.hpp"

namespace hopcap::sweep {
namespace {

// FNV-1a of a label, so that string axes enter seeds by value, not by their position.
std::uint64_t label_hash(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

constexpr std::uint64_t kMemorySeedStream = 0x68632d6d656d6f72ULL;  // "hc-memor"
constexpr std::uint64_t kQuerySeedStream = 0x68632d7175657279ULL;   // "hc-query"
constexpr std::uint64_t kMapSeedStream = 0x68632d6d61702d2dULL;     // "hc-map--"

bool passes_filter(DphiFilter filter, std::int64_t dphi, std::int64_t d) {
  switch (filter) {
    case DphiFilter::none: return true;
    case DphiFilter::dphi_at_most_d: return dphi <= d;
    case DphiFilter::dphi_at_least_d: return dphi >= d;
  }
  throw ConfigError("sweep.filter: unknown filter");
}

}  // namespace

void assign_seeds(const SweepConfig& config, Configuration& c) {
  const std::uint64_t replica_seed = rng::derive(config.seed, static_cast<std::uint64_t>(c.replica));
  c.memory_seed = rng::derive(replica_seed, kMemorySeedStream);
  c.memory_set = rng::derive(label_hash(c.memories), static_cast<std::uint64_t>(c.d));
  c.query_seed = rng::derive(rng::derive(c.memory_seed, kQuerySeedStream), label_hash(c.query));
  c.map_seed = rng::derive(rng::derive(c.memory_seed, kMapSeedStream),
                           label_hash(c.model) ^ static_cast<std::uint64_t>(c.dphi));
}

double estimated_metrics_cost(const SweepConfig& config, const Configuration& c) {
  // run.metrics: every pair once (M²·dim), the pairs of a sample of S (2·M·S·dim), or none;
  // dim counts the raw memories and, for a KHM, the features.
  const double m = static_cast<double>(c.m);
  const double dim = c.kind == Model::mhm ? static_cast<double>(c.d) : static_cast<double>(c.dphi + c.d);
  if (config.metrics == MetricsMode::off || c.m < 2) return 0.0;
  if (config.metrics == MetricsMode::estimate) return 2.0 * m * std::min(m, static_cast<double>(config.metrics_sample)) * dim;
  return m * m * dim;
}

double estimated_cost(const SweepConfig& config, const Configuration& c) {
  // Flops: retrieval ~ 4·B·M·dim·iterations (a quarter of t_max assumed), U-Hop+ ~ 4·M²·D_Φ
  // per step, and the metrics. Only the order matters.
  const bool mhm = c.kind == Model::mhm;
  const double m = static_cast<double>(c.m);
  const double dim = mhm ? static_cast<double>(c.d) : static_cast<double>(c.dphi + c.d);
  const double b = static_cast<double>(query_count(config, c));
  double cost = 4.0 * b * m * dim * std::max(1.0, 0.25 * static_cast<double>(config.t_max)) +
                estimated_metrics_cost(config, c);
  if (c.kind == Model::khm_uhop) {
    cost += 4.0 * m * m * static_cast<double>(c.dphi) * static_cast<double>(config.uhop.iterations * config.uhop.restarts);
  }
  return cost;
}

std::int64_t linear_index(const std::vector<std::int64_t>& shape, const GridIndex& index) {
  std::int64_t id = 0;
  for (std::size_t a = 0; a < kAxisCount; ++a) id = id * shape[a] + index[a];
  return id;
}

GridIndex grid_index(const std::vector<std::int64_t>& shape, std::int64_t id) {
  GridIndex index{};
  for (std::size_t a = kAxisCount; a-- > 0;) {
    index[a] = id % shape[a];
    id /= shape[a];
  }
  return index;
}

std::int64_t query_count(const SweepConfig& config, const Configuration& c) {
  if (c.query_model.has_target()) {
    return checked_product(config.queries_per_memory, c.m, "retrieval.queries_per_memory x M", kMaxDimension);
  }
  return config.random_queries > 0 ? config.random_queries : c.m;
}

Plan make_plan(const SweepConfig& config) {
  validate(config);
  Plan plan;
  plan.shape = grid_shape(config);
  plan.grid_size = checked_product(plan.shape, "sweep grid size (product of the axis lengths)", kMaxGridSize);
  if (plan.grid_size > kMaxPlannedPoints) {
    throw ConfigError("sweep: the grid has " + std::to_string(plan.grid_size) + " points; one run plans at most " +
                      std::to_string(kMaxPlannedPoints) +
                      " (every rank holds the whole plan): split the sweep into several configs");
  }
  for (std::int64_t id = 0; id < plan.grid_size; ++id) {
    const GridIndex ix = grid_index(plan.shape, id);
    Configuration c;
    c.id = id;
    c.index = ix;
    c.d = config.d[static_cast<std::size_t>(ix[0])];
    c.m = config.capacity ? 0 : config.m[static_cast<std::size_t>(ix[1])];
    c.dphi = config.dphi[static_cast<std::size_t>(ix[2])];
    // sweep.lambda gives β per dimension: β = λ·d (docs/science.md, Lucibello-Mezard).
    c.beta = config.lambda.empty() ? config.beta[static_cast<std::size_t>(ix[3])]
                                   : config.lambda[static_cast<std::size_t>(ix[3])] * static_cast<double>(c.d);
    c.separation = config.sep[static_cast<std::size_t>(ix[4])];
    c.query_model = config.query[static_cast<std::size_t>(ix[5])];
    c.kind = config.model[static_cast<std::size_t>(ix[6])];
    c.memory_source = config.memories[static_cast<std::size_t>(ix[7])];
    c.sep = c.separation.name();
    c.query = c.query_model.name();
    c.model = model_name(c.kind);
    c.memories = c.memory_source.name();
    c.replica = ix[8];
    const bool mhm = c.kind == Model::mhm;
    // The MHM ignores D_Φ: the point at the first D_Φ runs and fills the others; the filter
    // concerns feature maps only.
    if (mhm && ix[2] != 0) continue;
    if (!mhm && !passes_filter(config.filter, c.dphi, c.d)) {
      plan.filtered.push_back(id);
      continue;
    }
    if (c.kind == Model::khm_identity && c.dphi > c.d) {
      plan.inapplicable.push_back(id);
      continue;
    }
    if (mhm) {
      for (std::int64_t k = 1; k < plan.shape[2]; ++k) {
        GridIndex other = ix;
        other[2] = k;
        c.shares.push_back(linear_index(plan.shape, other));
      }
    }
    assign_seeds(config, c);
    if (config.capacity) {
      // A capacity point searches over M: about 2·log2(M_max/M_min) probes, each over every
      // replica it pools; the largest probes dominate.
      Configuration probe = c;
      probe.m = config.capacity_m_max;
      const double replicas = config.pools_replicas() ? static_cast<double>(config.replicas) : 1.0;
      c.cost = 4.0 * replicas * estimated_cost(config, probe);
    } else {
      c.cost = estimated_cost(config, c);
    }
    plan.work.push_back(std::move(c));
  }
  std::stable_sort(plan.work.begin(), plan.work.end(),
                   [](const Configuration& a, const Configuration& b) { return a.cost > b.cost; });
  return plan;
}

}  // namespace hopcap::sweep
