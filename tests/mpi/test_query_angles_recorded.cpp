// The query angles a sweep records, recomputed from known data: the memories and the map of
// the point rebuilt from its seeds, its queries remade, their angles by the naive twin. On a
// group of all the ranks, so the values are also those of any group size. And the capacity
// search's probe angles against the points it probed, pooled and per replica.

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "configuration_point.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/parallel/group.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/sweep/capacity.hpp"
#include "hopcap/sweep/execute.hpp"
#include "hopcap/sweep/plan.hpp"
#include "reference/query_angles_ref.hpp"

namespace hopcap::sweep {
namespace {

TEST(RecordedQueryAngles, EqualANaiveRecomputationFromTheMapAndTheQueries) {
  const parallel::Group world(MPI_COMM_WORLD);
  SweepConfig config;
  config.queries_per_memory = 2;
  config.t_max = 5;
  int cases = 0;
  for (const std::string model : {"mhm", "khm_random", "khm_identity"}) {
    for (const std::string query : {"angle:10", "feature_angle:10", "gauss:0.05"}) {
      Configuration c = test::configuration_point(12, 9, 5, 4.0, model, "softmax", query);
      assign_seeds(config, c);
      DatasetCache cache;
      const ConfigResult run = execute_configuration(config, c, world, cache);
      ASSERT_EQ(run.status, ResultStatus::ok) << run.message;

      Matrix memories(c.m, c.d);
      generate_memory_slice(Distribution::sphere, c.d, c.memory_seed, c.memory_set, 0, c.m, memories.data);
      const std::optional<FeatureMap> map = starting_feature_map(c);
      const std::int64_t n = c.m * config.queries_per_memory;
      std::vector<std::int64_t> targets(static_cast<std::size_t>(n));
      std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
      Matrix target_rows(n, c.d), queries(n, c.d);
      for (std::int64_t q = 0; q < n; ++q) {
        targets[static_cast<std::size_t>(q)] = q / config.queries_per_memory;
        ids[static_cast<std::size_t>(q)] = static_cast<std::uint64_t>(q);
        std::copy_n(memories.row(q / config.queries_per_memory), c.d, target_rows.row(q));
      }
      make_queries(c.query_model, memories, targets, ids, c.query_seed, queries, map ? &*map : nullptr);
      const std::vector<double> angles = ref::query_target_angles_deg(queries, target_rows, map ? &*map : nullptr);
      double sum = 0.0;
      for (double a : angles) sum += a;
      const std::string what = model + " " + query;
      EXPECT_NEAR(run.values.at("query_angle_median_deg").at(0), ref::median(angles), 1e-8) << what;
      EXPECT_NEAR(run.values.at("query_angle_mean_deg").at(0), sum / static_cast<double>(n), 1e-8) << what;
      EXPECT_NEAR(run.values.at("query_angle_max_deg").at(0), *std::max_element(angles.begin(), angles.end()), 1e-8)
          << what;
      if (query != "gauss:0.05") {
        // Queries placed at 10°: raw for the MHM, in feature space for feature_angle. Under the
        // identity-like map of D_Phi < d, raw angle queries are seen at other angles.
        const bool exact = model == "mhm" || query == "feature_angle:10";
        if (exact) {
          EXPECT_NEAR(run.values.at("query_angle_max_deg").at(0), 10.0, 1e-9) << what;
          EXPECT_NEAR(run.values.at("query_angle_median_deg").at(0), 10.0, 1e-9) << what;
        }
      }
      ++cases;
    }
  }
  EXPECT_EQ(cases, 9);
}

TEST(RecordedQueryAngles, CapacityProbesPoolTheReplicasOrSearchEachOnItsOwn) {
  const parallel::Group world(MPI_COMM_WORLD);
  SweepConfig pooled;
  pooled.capacity = true;
  pooled.capacity_m_min = 2;
  pooled.capacity_m_max = 24;
  pooled.capacity_delta = 0.05;
  pooled.replicas = 2;
  pooled.t_max = 20;
  SweepConfig each = pooled;
  each.capacity_per_replica = true;
  DatasetCache cache;
  Configuration c = test::configuration_point(10, 0, 4, 40.0, "khm_random", "softmax", "feature_angle:15");
  assign_seeds(pooled, c);
  const ConfigResult search = execute_capacity(pooled, c, world, cache);
  ASSERT_EQ(search.status, ResultStatus::ok) << search.message;
  const auto& v = search.values;
  const std::vector<double>& probe_m = v.at("probe_M");
  ASSERT_FALSE(probe_m.empty());
  ASSERT_EQ(v.at("capacity_bound")[0], 0.0) << "capacity " << v.at("capacity")[0] << ": adjust the test point";
  for (std::size_t k = 0; k < probe_m.size(); ++k) {
    EXPECT_NEAR(v.at("probe_query_angle_median_deg")[k], 15.0, 1e-9);
    EXPECT_NEAR(v.at("probe_query_angle_max_deg")[k], 15.0, 1e-9);
    // The smallest feature angle over the two replicas at this M, as the points report it.
    double smallest = 180.0;
    for (std::int64_t r = 0; r < pooled.replicas; ++r) {
      Configuration p = c;
      p.m = static_cast<std::int64_t>(probe_m[k]);
      p.replica = r;
      assign_seeds(pooled, p);
      smallest = std::min(smallest, execute_configuration(pooled, p, world, cache).values.at("feature_min_angle_deg")[0]);
    }
    EXPECT_EQ(v.at("probe_min_angle_deg")[k], smallest) << "probe " << k;
    if (probe_m[k] == v.at("capacity")[0]) {
      EXPECT_EQ(v.at("min_angle_at_capacity_deg")[0], smallest);
    }
  }
  EXPECT_NEAR(v.at("query_angle_median_at_capacity_deg")[0], 15.0, 1e-9);

  // Per replica: replica r's search sees only replica r's points; replica 0 alone is the
  // pooled search of one replica.
  SweepConfig one = pooled;
  one.replicas = 1;
  const ConfigResult alone = execute_capacity(one, c, world, cache);
  for (std::int64_t r = 0; r < each.replicas; ++r) {
    Configuration p = c;
    p.replica = r;
    assign_seeds(each, p);
    const ConfigResult own = execute_capacity(each, p, world, cache);
    ASSERT_EQ(own.status, ResultStatus::ok) << own.message;
    const std::vector<double>& own_m = own.values.at("probe_M");
    for (std::size_t k = 0; k < own_m.size(); ++k) {
      Configuration q = p;
      q.m = static_cast<std::int64_t>(own_m[k]);
      const ConfigResult point = execute_configuration(each, q, world, cache);
      EXPECT_EQ(own.values.at("probe_success")[k], point.values.at("success_rate")[0]) << "replica " << r;
    }
    if (r == 0) {
      EXPECT_EQ(own.values.at("capacity"), alone.values.at("capacity"));
      EXPECT_EQ(own.values.at("probe_M"), alone.values.at("probe_M"));
      EXPECT_EQ(own.values.at("probe_min_angle_deg"), alone.values.at("probe_min_angle_deg"));
    }
  }
}

}  // namespace
}  // namespace hopcap::sweep
