// The cost model's retrieval step probe, on one process, measures the steps the sweep's own
// retrieval takes: with every query probed (M·queries_per_memory ≤ kStepProbeQueries) its
// mean is the run's `iterations_mean` on a group of all the ranks, bit for bit.

#include <gtest/gtest.h>
#include <mpi.h>

#include <string>

#include "hopcap/error.hpp"
#include "hopcap/parallel/group.hpp"
#include "hopcap/sweep/cost_model.hpp"
#include "hopcap/sweep/execute.hpp"
#include "hopcap/sweep/plan.hpp"
#include "configuration_point.hpp"

namespace hopcap::sweep {
namespace {

TEST(RetrievalStepProbe, EqualsTheRunsMeanStepsWhenEveryQueryIsProbed) {
  const parallel::Group world(MPI_COMM_WORLD);
  SweepConfig config;
  config.t_max = 40;
  config.metrics = MetricsMode::off;
  int cases = 0;
  for (const std::string model : {"mhm", "khm_random"}) {
    for (const std::string sep : {"softmax", "entmax15"}) {
      for (const std::string query : {"angle:40", "mask:0.5"}) {
        for (const std::int64_t per_memory : {1, 2}) {
          config.queries_per_memory = per_memory;
          Configuration c = test::configuration_point(6, 8, 5, 3.0, model, sep, query);
          c.replica = cases;
          assign_seeds(config, c);
          DatasetCache cache;
          const ConfigResult run = execute_configuration(config, c, world, cache);
          ASSERT_EQ(run.status, ResultStatus::ok) << run.message;
          const double steps = measure_retrieval_steps(config, c);
          EXPECT_EQ(steps, run.values.at("iterations_mean").at(0)) << model << " " << sep << " " << query;
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 16);
}

TEST(RetrievalStepProbe, RefusesQueriesWithoutTarget) {
  SweepConfig config;
  const Configuration c = test::configuration_point(4, 8, 0, 1.0, "mhm", "softmax", "random");
  EXPECT_THROW((void)measure_retrieval_steps(config, c), Error);
}

}  // namespace
}  // namespace hopcap::sweep
