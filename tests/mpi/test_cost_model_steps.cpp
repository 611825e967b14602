// The cost model's probes. The retrieval step probe, on one process, measures the steps the sweep's own
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
#include "hopcap/kernels/retrieval.hpp"
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

// The engine's rates are measured in the sweep's precisions: the retrieval's in
// retrieval.precision, Algorithm 1's steps in uhop.precision, at the shape of every U-Hop+
// configuration of the plan. One rank calibrates (as the dry run does, on rank 0).
TEST(EngineCalibration, MeasuresInTheSweepsPrecisionsAndUhopShapes) {
  const parallel::Group world(MPI_COMM_WORLD);
  if (world.rank() != 0) GTEST_SKIP() << "rank 0 calibrates";
  SweepConfig config;
  config.d = {8};
  config.m = {48, 96};
  config.dphi = {4};
  config.sep = {Separation::parse("softmax")};
  config.query = {QueryModel::parse("angle:20")};
  config.model = {Model::khm_uhop};
  config.replicas = 1;
  config.uhop.method = "paper";
  config.uhop.iterations = 5;
  config.metrics = MetricsMode::off;
  for (const Precision precision : {Precision::float64, Precision::float32}) {
    config.precision = precision;
    config.uhop.precision = std::string(kPrecisionNames.name(precision));
    const Plan plan = make_plan(config);
    const EngineCalibration engine = calibrate_engine(config, plan);
    EXPECT_EQ(engine.retrieval_precision, precision);
    EXPECT_EQ(engine.uhop_precision, precision);
    ASSERT_EQ(engine.uhop_gflops.size(), 2u);
    for (const Configuration& c : plan.work) {
      const auto rate = engine.uhop_gflops.find(uhop_shape_key(config, c));
      ASSERT_NE(rate, engine.uhop_gflops.end()) << uhop_shape_key(config, c);
      EXPECT_GT(rate->second, 0.0);
      EXPECT_DOUBLE_EQ(uhop_gflops(config, c, engine), rate->second);
    }
  }
}

}  // namespace
}  // namespace hopcap::sweep
