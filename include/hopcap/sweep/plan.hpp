#pragma once
// The plan of a sweep: the grid of configurations (the Cartesian product of the axes plus the
// replica axis), which grid points run, which are skipped by the filter, and which share a
// result (the MHM does not depend on D_Φ: one run fills every D_Φ of its row). The work list
// is sorted by estimated cost, largest first, for the dynamic scheduler.
//
// Seeds: the memory set of a point is a pure function of (base seed, replica, memory source,
// d) — the same memories for every M (nested sets), β, separation, query and model, so models
// are compared on the same memories; the queries add the query model; the feature map adds
// the model and D_Φ. Nothing depends on ranks or threads.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/model.hpp"

namespace hopcap::sweep {

/// Grid axes, in the order of every N-D variable in the output.
inline constexpr std::array<const char*, 9> kAxisNames = {"d",     "M",     "Dphi",     "beta",   "sep",
                                                         "query", "model", "memories", "replica"};
inline constexpr std::size_t kAxisCount = kAxisNames.size();
using GridIndex = std::array<std::int64_t, kAxisCount>;

struct Configuration {
  std::int64_t id = 0;  ///< row-major linear index of the grid point that runs
  GridIndex index{};
  std::int64_t d = 0, m = 0, dphi = 0, replica = 0;
  double beta = 0.0;
  // The point's values of the named axes, as parsed when the config was read, and their
  // canonical names (the labels of the results file, of messages and of the seeds).
  Separation separation;
  QueryModel query_model;
  Model kind = Model::mhm;
  MemorySource memory_source;
  std::string sep, query, model, memories;
  double cost = 0.0;                 ///< estimated flops, for scheduling only
  std::vector<std::int64_t> shares;  ///< further grid ids that receive the same result
  std::uint64_t memory_seed = 0, memory_set = 0, query_seed = 0, map_seed = 0;
};

struct Plan {
  std::vector<std::int64_t> shape;          ///< axis sizes in kAxisNames order
  std::int64_t grid_size = 0;
  std::vector<Configuration> work;          ///< to run, largest estimated cost first
  std::vector<std::int64_t> filtered;       ///< grid ids excluded by the filter
  /// Grid ids whose model cannot exist there (the identity map with D_Phi > d): recorded as
  /// skipped with kInapplicableMessage instead of run to a certain failure.
  std::vector<std::int64_t> inapplicable;
};

inline constexpr const char* kInapplicableMessage = "khm_identity needs Dphi <= d: not run";

/// The grid and the work list. In capacity mode the M and replica axes have one entry each
/// (M = 0 in the configurations): a capacity point searches over M and pools its replicas.
Plan make_plan(const SweepConfig& config);

/// Sets the seeds of c from (base seed, replica, memories, d, query, model, D_Φ); M is not an
/// input, so the memory sets of one replica are nested in M.
void assign_seeds(const SweepConfig& config, Configuration& c);

/// Estimated flops of one configuration (for scheduling, largest first).
double estimated_cost(const SweepConfig& config, const Configuration& c);

/// The part of estimated_cost spent on the separation metrics (run.metrics).
double estimated_metrics_cost(const SweepConfig& config, const Configuration& c);

std::int64_t linear_index(const std::vector<std::int64_t>& shape, const GridIndex& index);
GridIndex grid_index(const std::vector<std::int64_t>& shape, std::int64_t id);

/// Number of queries of a configuration (queries_per_memory·M, or the random-query count).
std::int64_t query_count(const SweepConfig& config, const Configuration& c);

}  // namespace hopcap::sweep
