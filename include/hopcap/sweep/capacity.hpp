#pragma once
// Capacity mode of a sweep: for one point of the other axes, the largest M whose retrieval
// success (pooled over the replicas' queries, or of the point's own replica with
// capacity.per_replica) is at least 1 − δ, found by doubling M from
// capacity.M_min, then bisecting between the last success and the first failure. The memory
// sets of one replica are nested in M (the first M memories of one stream), so each probe adds
// memories to the same set. Beside it: the theoretical capacities at the Prop 3.1 lower bound
// on the optimal separation and at the strongest valid lower bound (CSW or Prop 3.1), and the
// largest probed M at which the well-separation condition proves every memory stored; per
// probe and at M*, the smallest code angle and the angles of the queries as the model sees them.
//
// The search assumes success falls with M; where sampling noise makes it non-monotone, the
// result is a largest M that passed with a larger one that failed right above it
// (`success_above_capacity`), not necessarily the largest passing M overall.

#include <cstdint>
#include <vector>

#include "hopcap/parallel/group.hpp"
#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/execute.hpp"
#include "hopcap/sweep/plan.hpp"

namespace hopcap::sweep {

/// The variables of a capacity-mode file, over the axes d, Dphi, beta, sep, query, model,
/// memories (replica too with capacity.per_replica), and the extra dimension capacity_probe
/// for the search trace.
const std::vector<SweepVariable>& capacity_variables();

/// Length of the capacity_probe dimension: the most probes the search can make.
std::int64_t capacity_probe_length(const SweepConfig& config);

/// Every rank of the group calls this; values complete on the group root.
ConfigResult execute_capacity(const SweepConfig& config, const Configuration& c, const parallel::Group& group,
                              DatasetCache& cache);

}  // namespace hopcap::sweep
