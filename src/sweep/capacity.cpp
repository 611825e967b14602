#include "hopcap/sweep/capacity.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <new>

#include "hopcap/error.hpp"
#include "hopcap/kernels/query_angles.hpp"
#include "hopcap/well_separation.hpp"

namespace hopcap::sweep {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::int64_t ceil_log2(std::int64_t x) { return x <= 1 ? 0 : std::bit_width(static_cast<std::uint64_t>(x - 1)); }

struct Probe {
  std::int64_t m = 0;
  double success = 0.0;         ///< pooled over the replicas' queries
  double stored_fraction = 0.0; ///< smallest over the replicas
  double feature_min_angle = 0.0;  ///< smallest over the replicas (features; raw for the MHM)
  kernels::AngleSummary query_angle;  ///< over the replicas' pooled queries
};

}  // namespace

const std::vector<SweepVariable>& capacity_variables() {
  static const std::vector<SweepVariable> variables = {
      {"capacity", "largest M with retrieval success >= 1 - delta (replicas pooled, or one replica)", "1", ""},
      {"capacity_bound",
       "how capacity is bounded: -1 success fails already at M_min (capacity = M_min - 1), 0 bracketed, "
       "1 success holds at M_max (capacity >= M_max)",
       "1", ""},
      {"success_at_capacity", "retrieval success at M = capacity", "1", ""},
      {"success_above_capacity", "retrieval success at the smallest failing probe above capacity", "1", ""},
      {"min_angle_at_capacity_deg",
       "smallest angle between two features (two memories for the MHM) at M = capacity, the smallest over the "
       "replicas",
       "degree", ""},
      {"query_angle_median_at_capacity_deg",
       "median angle between a query and its target as the model sees them (features for a KHM) at M = capacity",
       "degree", ""},
      {"capacity_prop31",
       "largest M the well-separation condition allows at the Prop 3.1 optimal separation (dimension Dphi, d for "
       "the MHM)",
       "1", ""},
      {"capacity_best_lower",
       "largest M the well-separation condition allows at the strongest valid lower bound on the optimal "
       "separation (CSW or Prop 3.1; dimension Dphi, d for the MHM)",
       "1", ""},
      {"capacity_provable",
       "largest probed M at which the well-separation condition proves every memory of every replica stored", "1",
       ""},
      {"probes", "number of probes of the search", "1", ""},
      {"seconds", "wall time of the search", "s", ""},
      {"probe_M", "M of each probe, in search order", "1", "capacity_probe"},
      {"probe_success", "retrieval success of each probe (replicas pooled)", "1", "capacity_probe"},
      {"probe_stored_fraction", "smallest provably stored fraction over the replicas at each probe", "1",
       "capacity_probe"},
      {"probe_min_angle_deg",
       "smallest angle between two features (two memories for the MHM) at each probe, the smallest over the replicas",
       "degree", "capacity_probe"},
      {"probe_query_angle_median_deg",
       "median angle between a query and its target as the model sees them at each probe (replicas pooled)",
       "degree", "capacity_probe"},
      {"probe_query_angle_mean_deg",
       "mean angle between a query and its target as the model sees them at each probe (replicas pooled)", "degree",
       "capacity_probe"},
      {"probe_query_angle_max_deg",
       "largest angle between a query and its target as the model sees them at each probe (replicas pooled)",
       "degree", "capacity_probe"},
  };
  return variables;
}

std::int64_t capacity_probe_length(const SweepConfig& config) {
  // Doubling from M_min reaches M_max in ceil(log2(M_max/M_min)) + 1 probes; the bisection
  // bracket is then at most M_max/2 wide.
  const std::int64_t doubling = ceil_log2((config.capacity_m_max + config.capacity_m_min - 1) / config.capacity_m_min) + 1;
  return doubling + ceil_log2(config.capacity_m_max) + 1;
}

ConfigResult execute_capacity(const SweepConfig& config, const Configuration& c, const parallel::Group& group,
                              DatasetCache& cache) {
  const auto start = std::chrono::steady_clock::now();
  ConfigResult result;
  result.id = c.id;
  auto& v = result.values;
  for (const SweepVariable& var : capacity_variables()) {
    if (std::string(var.extra_dim).empty()) v[var.name] = {kNaN};
  }
  std::vector<Probe> probes;
  try {
    // One probe: every replica at this M (or the point's own replica), on the same group,
    // pooled on the root and shared so that every rank takes the same next step.
    const std::int64_t first_replica = config.pools_replicas() ? 0 : c.replica;
    const std::int64_t end_replica = config.pools_replicas() ? config.replicas : c.replica + 1;
    const bool mhm = !has_feature_map(c.kind);
    auto probe = [&](std::int64_t m) {
      double retrieved = 0.0, queries = 0.0, stored = 1.0, min_angle = kNaN;
      std::vector<double> angles;
      for (std::int64_t r = first_replica; r < end_replica; ++r) {
        Configuration p = c;
        p.m = m;
        p.replica = r;
        assign_seeds(config, p);
        const ConfigResult one = execute_configuration(config, p, group, cache);
        if (one.status == ResultStatus::failed) {
          throw KernelError("at M = " + std::to_string(m) + ", replica " + std::to_string(r) + ": " + one.message);
        }
        result.flops += one.flops;
        for (std::size_t k = 0; k < result.phase_seconds.size(); ++k) result.phase_seconds[k] += one.phase_seconds[k];
        if (group.is_root()) {
          const double n = one.values.at("queries")[0];
          retrieved += one.values.at("success_rate")[0] * n;
          queries += n;
          const double fraction = one.values.at("stored_fraction")[0];
          stored = std::isnan(fraction) ? kNaN : std::min(stored, fraction);
          const double angle = one.values.at(mhm ? "min_angle_deg" : "feature_min_angle_deg")[0];
          // A replica without the metric (run.metrics = off) leaves the smallest unknown.
          if (r == first_replica || std::isnan(angle)) {
            min_angle = angle;
          } else if (!std::isnan(min_angle)) {
            min_angle = std::min(min_angle, angle);
          }
          angles.insert(angles.end(), one.query_angles_deg.begin(), one.query_angles_deg.end());
        }
      }
      const kernels::AngleSummary query_angle = kernels::summarize_angles(angles);
      std::vector<double> shared{queries > 0 ? retrieved / queries : 0.0, stored, min_angle,
                                 query_angle.median, query_angle.mean, query_angle.max};
      group.broadcast(shared);
      probes.push_back({m, shared[0], shared[1], shared[2], {shared[3], shared[4], shared[5]}});
      return shared[0] >= 1.0 - config.capacity_delta;
    };

    const std::int64_t m_min = config.capacity_m_min, m_max = config.capacity_m_max;
    std::int64_t good = 0, bad = 0;  // last passing and first failing M (0: none yet)
    for (std::int64_t m = m_min;; m = std::min(2 * m, m_max)) {
      if (!probe(m)) {
        bad = m;
        break;
      }
      good = m;
      if (m == m_max) break;
    }
    if (good != 0 && bad != 0) {
      while (bad - good > 1) {
        const std::int64_t mid = good + (bad - good) / 2;
        (probe(mid) ? good : bad) = mid;
      }
    }
    auto probe_at = [&](std::int64_t m) -> const Probe* {
      for (const Probe& p : probes) {
        if (p.m == m) return &p;
      }
      return nullptr;
    };
    auto success_at = [&](std::int64_t m) { return probe_at(m) ? probe_at(m)->success : kNaN; };
    if (good == 0) {
      v["capacity"] = {static_cast<double>(m_min - 1)};
      v["capacity_bound"] = {-1.0};
    } else {
      v["capacity"] = {static_cast<double>(good)};
      v["capacity_bound"] = {bad == 0 ? 1.0 : 0.0};
      v["success_at_capacity"] = {success_at(good)};
      if (const Probe* at = probe_at(good)) {
        v["min_angle_at_capacity_deg"] = {at->feature_min_angle};
        v["query_angle_median_at_capacity_deg"] = {at->query_angle.median};
      }
    }
    if (bad != 0) v["success_above_capacity"] = {success_at(bad)};
    double provable = kNaN;
    for (const Probe& p : probes) {
      if (p.stored_fraction == 1.0 && !(static_cast<double>(p.m) <= provable)) provable = static_cast<double>(p.m);
    }
    v["capacity_provable"] = {provable};
    const std::int64_t dim = has_feature_map(c.kind) ? c.dphi : c.d;
    if (dim >= 2) {
      v["capacity_prop31"] = {static_cast<double>(prop31_capacity(dim, c.beta).capacity)};
      v["capacity_best_lower"] = {static_cast<double>(best_lower_capacity(dim, c.beta).capacity)};
    }
  } catch (const std::bad_alloc&) {
    result.status = ResultStatus::failed;
    result.message = "out of memory";
  } catch (const Error& e) {
    result.status = ResultStatus::failed;
    result.message = e.what();
  }
  std::vector<double> probe_m, probe_success, probe_stored, probe_angle, probe_median, probe_mean, probe_max;
  for (const Probe& p : probes) {
    probe_m.push_back(static_cast<double>(p.m));
    probe_success.push_back(p.success);
    probe_stored.push_back(p.stored_fraction);
    probe_angle.push_back(p.feature_min_angle);
    probe_median.push_back(p.query_angle.median);
    probe_mean.push_back(p.query_angle.mean);
    probe_max.push_back(p.query_angle.max);
  }
  v["probes"] = {static_cast<double>(probes.size())};
  v["probe_M"] = probe_m;
  v["probe_success"] = probe_success;
  v["probe_stored_fraction"] = probe_stored;
  v["probe_min_angle_deg"] = probe_angle;
  v["probe_query_angle_median_deg"] = probe_median;
  v["probe_query_angle_mean_deg"] = probe_mean;
  v["probe_query_angle_max_deg"] = probe_max;
  v["seconds"] = {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  return result;
}

}  // namespace hopcap::sweep
