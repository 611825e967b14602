// The dry run's cost model against hand-computed values on small configurations: the counted
// flops of every phase (execute.cpp's counting model), the retrieval steps rule, the
// oversubscription factor and the fixed costs, which enter the wall time linearly; U-Hop+'s
// refine and search: flops per loss evaluation, evaluations scaled from a probe, their time.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/cost_model.hpp"
#include "hopcap/sweep/execute.hpp"
#include "hopcap/sweep/plan.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/uhop.hpp"
#include "configuration_point.hpp"

namespace hopcap::sweep {
namespace {

Configuration point(std::int64_t d, std::int64_t m, std::int64_t dphi, const std::string& model,
                    const std::string& query = "angle:20") {
  return test::configuration_point(d, m, dphi, 8.0, model, "softmax", query);
}

TEST(CostModelFlops, MhmRetrievalAndMetricsPerMode) {
  SweepConfig config;
  config.queries_per_memory = 2;
  const Configuration c = point(8, 16, 4, "mhm");
  // 2·16 queries · 3 steps · 4·M·d.
  config.metrics = MetricsMode::exact;
  PhaseFlops f = phase_flops(config, c, 3.0);
  EXPECT_DOUBLE_EQ(f.retrieval, 32.0 * 3.0 * 4.0 * 16.0 * 8.0);
  EXPECT_DOUBLE_EQ(f.metrics, 16.0 * 16.0 * 8.0);  // M²·d
  EXPECT_DOUBLE_EQ(f.uhop, 0.0);
  EXPECT_DOUBLE_EQ(f.total(), 49152.0 + 2048.0);
  EXPECT_DOUBLE_EQ(f.retrieval_with_outcomes, 32.0 * 4.0 * 4.0 * 16.0 * 8.0);  // 3 steps and the final pass
  config.metrics = MetricsMode::estimate;
  config.metrics_sample = 4;
  EXPECT_DOUBLE_EQ(phase_flops(config, c, 3.0).metrics, 2.0 * 16.0 * 4.0 * 8.0);  // 2·M·S·d
  config.metrics_sample = 100;  // a sample larger than M is the whole set
  EXPECT_DOUBLE_EQ(phase_flops(config, c, 3.0).metrics, 2.0 * 16.0 * 16.0 * 8.0);
  config.metrics = MetricsMode::off;
  EXPECT_DOUBLE_EQ(phase_flops(config, c, 3.0).metrics, 0.0);
  // Random queries: retrieval.random_queries of them, or M.
  const Configuration random = point(8, 16, 4, "mhm", "random");
  EXPECT_DOUBLE_EQ(phase_flops(config, random, 2.0).retrieval, 16.0 * 2.0 * 4.0 * 16.0 * 8.0);
  config.random_queries = 5;
  EXPECT_DOUBLE_EQ(phase_flops(config, random, 2.0).retrieval, 5.0 * 2.0 * 4.0 * 16.0 * 8.0);
}

TEST(CostModelFlops, KhmRetrievalFeaturesAndUhopSteps) {
  SweepConfig config;
  config.metrics = MetricsMode::exact;
  config.uhop.iterations = 10;
  config.uhop.restarts = 2;
  const Configuration c = point(8, 16, 4, "khm_uhop");
  const PhaseFlops f = phase_flops(config, c, 5.0);
  // 16 queries · 5 steps · 2·(M·D + M·d + D·d) = 80 · 2·(64 + 128 + 32).
  EXPECT_DOUBLE_EQ(f.retrieval, 80.0 * 448.0);
  // Gram M²·d, features 2·M·D·d, their Gram M²·D.
  EXPECT_DOUBLE_EQ(f.metrics, 2048.0 + 1024.0 + 1024.0);
  // 20 steps · (4·M²·D + 4·M·D·d): M ≤ 64 is one diagonal tile, its Gram GEMM and one
  // gradient GEMM.
  EXPECT_DOUBLE_EQ(f.uhop_steps, 20.0);
  EXPECT_DOUBLE_EQ(f.uhop, 20.0 * (4096.0 + 2048.0));
  config.uhop.batch = 8;  // per step over the mini-batch
  EXPECT_DOUBLE_EQ(phase_flops(config, c, 5.0).uhop, 20.0 * (4.0 * 64.0 * 4.0 + 4.0 * 8.0 * 4.0 * 8.0));
  // A random map trains nothing.
  EXPECT_DOUBLE_EQ(phase_flops(config, point(8, 16, 4, "khm_random"), 5.0).uhop, 0.0);
}

// The U-Hop+ step as the kernel tiles it (blocks of M/8 rows, 64 to 256; tiles {a, b}, a ≤ b,
// each formed once): features 2·M·d·D, Gram tiles D·(M² + Σ_a r_a²), the tiles' gradient
// GEMMs 2·M²·D (as coded, one end: D·(M² + Σ_a r_a²)), per_memory's tiles not kept formed
// again, ∂L/∂W 2·M·D·d.
TEST(CostModelFlops, UhopStepsCountTheTilesTheKernelForms) {
  SweepConfig config;
  config.uhop.iterations = 3;
  const double d = 16, dphi = 8;
  const auto closed_form = [&](double m, double squares, double ends, double again) {
    return 2 * m * d * dphi + dphi * (m * m + squares) + ends + 2 * dphi * again + 2 * m * dphi * d;
  };
  // M = 1000: 8 blocks of 125.
  const Configuration even = point(16, 1000, 8, "khm_uhop");
  const double even_squares = 8.0 * 125 * 125;
  const double pairwise = closed_form(1000, even_squares, 2 * dphi * 1000 * 1000, 0);
  EXPECT_DOUBLE_EQ(uhop_step_flops(config, even), pairwise);
  EXPECT_DOUBLE_EQ(phase_flops(config, even, 1.0).uhop, 3.0 * pairwise);
  // M = 1030: 7 blocks of 129 and one of 127.
  const Configuration uneven = point(16, 1030, 8, "khm_uhop");
  const double uneven_squares = 7.0 * 129 * 129 + 127.0 * 127;
  EXPECT_DOUBLE_EQ(uhop_step_flops(config, uneven), closed_form(1030, uneven_squares, 2 * dphi * 1030 * 1030, 0));
  config.uhop.loss = "as_coded";
  EXPECT_DOUBLE_EQ(uhop_step_flops(config, uneven),
                   closed_form(1030, uneven_squares, dphi * (1030.0 * 1030 + uneven_squares), 0));
  // per_memory keeps all 36 tiles of M = 1030 (3·2^20 entries): the same GEMMs as pairwise.
  config.uhop.loss = "per_memory";
  EXPECT_DOUBLE_EQ(uhop_step_flops(config, uneven), closed_form(1030, uneven_squares, 2 * dphi * 1030 * 1030, 0));
  // M = 4096: 16 blocks of 256, 136 tiles; 3·2^20 / 256² = 48 kept, the other 88 formed again.
  const Configuration large = point(16, 4096, 8, "khm_uhop");
  const double large_squares = 16.0 * 256 * 256;
  EXPECT_DOUBLE_EQ(uhop_step_flops(config, large),
                   closed_form(4096, large_squares, 2 * dphi * 4096 * 4096, 88.0 * 256 * 256));
  EXPECT_DOUBLE_EQ(kernels::uhop_work(4096, 16, 8, uhop_step_options(config), true).exponentials,
                   0.5 * (4096.0 * 4096 + large_squares) + 88.0 * 256 * 256);
  // The precision changes the arithmetic, not the GEMMs counted.
  config.uhop.precision = "float32";
  EXPECT_DOUBLE_EQ(uhop_step_flops(config, large),
                   closed_form(4096, large_squares, 2 * dphi * 4096 * 4096, 88.0 * 256 * 256));
  // A mini-batch of 1000 is the even case's step.
  config.uhop.loss = "pairwise";
  config.uhop.batch = 1000;
  EXPECT_DOUBLE_EQ(uhop_step_flops(config, large), pairwise);
}

// The options the U-Hop+ rate is measured with are the sweep's: its loss kind, τ and precision.
TEST(CostModelRates, UhopStepOptionsAreTheSweepsLossAndPrecision) {
  SweepConfig config;
  EXPECT_EQ(uhop_step_options(config).kind, UhopLossKind::pairwise);
  EXPECT_EQ(uhop_step_options(config).precision, Precision::float64);
  config.uhop.loss = "per_memory";
  config.uhop.tau = 0.25;
  config.uhop.precision = "float32";
  const UhopLossOptions options = uhop_step_options(config);
  EXPECT_EQ(options.kind, UhopLossKind::per_memory);
  EXPECT_DOUBLE_EQ(options.tau, 0.25);
  EXPECT_EQ(options.precision, Precision::float32);
  EXPECT_EQ(options.panel_rows, 0);
  // The rate's key: the step's memories (capped), d and D_Φ; none for the other models.
  EXPECT_EQ(uhop_shape_key(config, point(16, 64, 8, "khm_uhop")), "B=64 d=16 Dphi=8");
  EXPECT_EQ(uhop_shape_key(config, point(16, 4 * kUhopRateMaxMemories, 8, "khm_uhop")),
            uhop_shape_key(config, point(16, 2 * kUhopRateMaxMemories, 8, "khm_uhop")));
  config.uhop.batch = 32;
  EXPECT_EQ(uhop_shape_key(config, point(16, 64, 8, "khm_uhop")), "B=32 d=16 Dphi=8");
  EXPECT_EQ(uhop_shape_key(config, point(16, 64, 8, "khm_random")), "");
}

TEST(CostModelFlops, CapacitySearchCountsFourProbesAtMmaxPerReplica) {
  SweepConfig config;
  config.capacity = true;
  config.capacity_m_max = 32;
  config.replicas = 2;
  config.metrics = MetricsMode::off;
  const Configuration c = point(8, 0, 4, "mhm");  // M = 0: searched
  EXPECT_DOUBLE_EQ(phase_flops(config, c, 1.0).retrieval, 8.0 * 32.0 * 1.0 * 4.0 * 32.0 * 8.0);
  config.metrics = MetricsMode::exact;
  EXPECT_DOUBLE_EQ(metrics_flops(config, c), 8.0 * 32.0 * 32.0 * 8.0);
}

TEST(CostModelSteps, TmaxWithoutTargetOrProbeTheMeasuredMeanOtherwise) {
  SweepConfig config;
  config.t_max = 30;
  RetrievalStepProbes probes;
  const Configuration angle = point(8, 16, 4, "mhm");
  EXPECT_DOUBLE_EQ(expected_retrieval_steps(config, angle, probes), 30.0);  // not probed
  probes[retrieval_probe_key(angle)] = 2.5;
  EXPECT_DOUBLE_EQ(expected_retrieval_steps(config, angle, probes), 2.5);
  Configuration other_replica = angle;
  other_replica.replica = 3;
  EXPECT_DOUBLE_EQ(expected_retrieval_steps(config, other_replica, probes), 2.5);
  Configuration other_beta = angle;
  other_beta.beta = 2.0;
  EXPECT_DOUBLE_EQ(expected_retrieval_steps(config, other_beta, probes), 30.0);
  // Queries far from every memory: t_max, whatever a probe says.
  for (const std::string query : {"random", "data:idx:queries.idx"}) {
    const Configuration far = point(8, 16, 4, "mhm", query);
    probes[retrieval_probe_key(far)] = 1.0;
    EXPECT_DOUBLE_EQ(expected_retrieval_steps(config, far, probes), 30.0) << query;
  }
  // Probes stop at kStepProbeMaxMemories memories: larger sets share the capped probe.
  EXPECT_EQ(retrieval_probe_key(point(8, 2 * kStepProbeMaxMemories, 4, "mhm")),
            retrieval_probe_key(point(8, 4 * kStepProbeMaxMemories, 4, "mhm")));
  EXPECT_NE(retrieval_probe_key(point(8, 16, 4, "mhm")), retrieval_probe_key(point(8, 32, 4, "mhm")));
}

TEST(CostModelTime, OversubscriptionIsRanksTimesThreadsOverCores) {
  EXPECT_DOUBLE_EQ(oversubscription(4, 1, 2), 2.0);
  EXPECT_DOUBLE_EQ(oversubscription(3, 2, 4), 1.5);
  EXPECT_DOUBLE_EQ(oversubscription(2, 1, 2), 1.0);
  EXPECT_DOUBLE_EQ(oversubscription(1, 1, 16), 1.0);  // spare cores do not speed a rank up
  EXPECT_DOUBLE_EQ(oversubscription(8, 1, 0), 1.0);   // cores unknown
}

EngineCalibration hand_calibration() {
  EngineCalibration e;
  e.gflops_per_rank = 2.0;
  e.metrics_gflops_per_rank = 4.0;
  e.seconds_per_configuration = 0.01;
  e.seconds_per_uhop_step = 1e-4;
  return e;
}

TEST(CostModelTime, ConfigurationSecondsFromRatesAndFixedCosts) {
  SweepConfig config;
  config.metrics = MetricsMode::exact;
  config.t_max = 30;
  config.uhop.iterations = 10;
  EngineCalibration engine = hand_calibration();
  const Configuration c = point(8, 16, 4, "khm_uhop");
  engine.steps[retrieval_probe_key(c)] = 5.0;
  // The retrieval's time counts its 5 steps and the final pass: 16 queries · 6 passes.
  const double retrieval = 96.0 * 448.0, uhop = 10.0 * 6144.0, metrics = 4096.0;
  EXPECT_DOUBLE_EQ(configuration_seconds(config, c, 1, engine),
                   0.01 + 10.0 * 1e-4 + (retrieval + uhop) / 2e9 + metrics / 4e9);
  // A group of 4 shares the flops, not the fixed costs.
  EXPECT_DOUBLE_EQ(configuration_seconds(config, c, 4, engine),
                   0.01 + 10.0 * 1e-4 + (retrieval + uhop) / 8e9 + metrics / 16e9);
  // A separation with a rate of its own takes it; the others keep gflops_per_rank.
  engine.gflops_by_separation["entmax15"] = 1.0;
  EXPECT_DOUBLE_EQ(configuration_seconds(config, c, 1, engine),
                   0.01 + 10.0 * 1e-4 + (retrieval + uhop) / 2e9 + metrics / 4e9);
  Configuration sparse = c;
  sparse.separation = Separation::parse("entmax15");
  sparse.sep = sparse.separation.name();
  engine.steps[retrieval_probe_key(sparse)] = 5.0;
  // Its retrieval, not the U-Hop+ steps (with no U-Hop+ rate measured: gflops_per_rank).
  EXPECT_DOUBLE_EQ(configuration_seconds(config, sparse, 1, engine),
                   0.01 + 10.0 * 1e-4 + retrieval / 1e9 + uhop / 2e9 + metrics / 4e9);
}

TEST(CostModelTime, UhopStepsTakeTheRateMeasuredAtTheirShape) {
  SweepConfig config;
  config.metrics = MetricsMode::exact;
  config.uhop.iterations = 10;
  EngineCalibration engine = hand_calibration();
  const Configuration c = point(8, 16, 4, "khm_uhop");
  engine.steps[retrieval_probe_key(c)] = 5.0;
  const double retrieval = 96.0 * 448.0, uhop = 10.0 * 6144.0, metrics = 4096.0;
  // Measured at c's shape: the steps at 0.5 GFLOP/s, the retrieval at its own 2.
  engine.uhop_gflops[uhop_shape_key(config, c)] = 0.5;
  engine.uhop_gflops["B=1024 d=8 Dphi=4"] = 4.0;
  EXPECT_DOUBLE_EQ(uhop_gflops(config, c, engine), 0.5);
  EXPECT_DOUBLE_EQ(configuration_seconds(config, c, 1, engine),
                   0.01 + 10.0 * 1e-4 + retrieval / 2e9 + uhop / 0.5e9 + metrics / 4e9);
  // A group of 4 shares them.
  EXPECT_DOUBLE_EQ(configuration_seconds(config, c, 4, engine),
                   0.01 + 10.0 * 1e-4 + retrieval / 8e9 + uhop / 2e9 + metrics / 16e9);
  // A shape not measured takes the slowest measured.
  engine.uhop_gflops.erase(uhop_shape_key(config, c));
  engine.uhop_gflops["B=512 d=8 Dphi=4"] = 0.25;
  EXPECT_DOUBLE_EQ(configuration_seconds(config, c, 1, engine),
                   0.01 + 10.0 * 1e-4 + retrieval / 2e9 + uhop / 0.25e9 + metrics / 4e9);
  // The dry run names the precision of both rates.
  engine.retrieval_precision = Precision::float32;
  engine.uhop_precision = Precision::float32;
  config.d = {8};
  config.m = {16};
  config.dphi = {4};
  config.model = {Model::khm_uhop};
  config.uhop.method = "paper";
  DryRunFacts facts;
  facts.engine = engine;
  std::ostringstream out;
  print_dry_run(out, config, make_plan(config), facts);
  EXPECT_NE(out.str().find("GFLOP/s per rank in float32"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("U-Hop+ steps (uhop.loss = \"pairwise\", float32), GFLOP/s per rank by shape: 4 "
                           "(B=1024 d=8 Dphi=4) 0.25 (B=512 d=8 Dphi=4)"),
            std::string::npos)
      << out.str();
}

TEST(CostModelTime, FixedCostsAndOversubscriptionEnterTheWallTimeLinearly) {
  SweepConfig config;
  config.d = {8};
  config.m = {16, 32};
  config.beta = {2.0, 8.0};
  config.sep = {Separation::parse("softmax")};
  config.query = {QueryModel::parse("angle:20")};
  config.model = {Model::mhm};
  config.replicas = 1;
  config.commit_every = 3;
  config.t_max = 10;
  const Plan plan = make_plan(config);
  ASSERT_EQ(plan.work.size(), 4u);
  DryRunFacts facts;
  facts.engine = hand_calibration();
  double sum = 0.0;
  for (const Configuration& c : plan.work) sum += configuration_seconds(config, c, 1, facts.engine);
  // No probes: every configuration at t_max = 10 steps and the final pass of 16 (or 32) queries.
  EXPECT_DOUBLE_EQ(sum, 4 * 0.01 + 2.0 * (11.0 * 16.0 * 4.0 * 16.0 * 8.0 + 11.0 * 32.0 * 4.0 * 32.0 * 8.0) / 2e9 +
                            2.0 * (16.0 * 16.0 * 8.0 + 32.0 * 32.0 * 8.0) / 4e9);
  CostEstimate e = estimate_cost(config, plan, facts);
  EXPECT_DOUBLE_EQ(e.total.group_seconds, sum);
  EXPECT_DOUBLE_EQ(e.wall_seconds, sum);
  EXPECT_DOUBLE_EQ(e.total.core_hours, sum / 3600.0);
  facts.seconds_start_up = 0.5;
  facts.engine.seconds_per_run = 0.25;
  facts.engine.seconds_per_commit = 0.125;  // 4 configurations, commits of 3: 2 commits
  facts.ranks_per_node = 4;
  facts.cores_per_node = 2;
  facts.groups = 4;
  e = estimate_cost(config, plan, facts);
  EXPECT_DOUBLE_EQ(e.oversubscription, 2.0);
  EXPECT_DOUBLE_EQ(e.wall_seconds, 0.5 + 0.25 + 2 * 0.125 + 2.0 * sum / 4.0);
  // Core-hours count the work, not the waiting of oversubscribed ranks.
  EXPECT_DOUBLE_EQ(e.total.core_hours, sum / 3600.0);
  std::ostringstream out;
  print_dry_run(out, config, plan, facts);
  EXPECT_NE(out.str().find("predicted wall time"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("x 2 (4 rank(s) x 1 thread(s) on 2 core(s)"), std::string::npos) << out.str();
}

TEST(CostModelSearch, FlopsPerEvaluationFollowTheWhitenedCoordinates) {
  SweepConfig config;
  // M > d: features U Pᵀ with r = d columns. 4·M²·D + 4·M·r·D.
  EXPECT_DOUBLE_EQ(search_evaluation_flops(config, point(16, 64, 8, "khm_uhop")),
                   4.0 * 64 * 64 * 8 + 4.0 * 64 * 16 * 8);
  // M ≤ d: free points, r = M.
  EXPECT_DOUBLE_EQ(search_evaluation_flops(config, point(16, 12, 8, "khm_uhop")), 4.0 * 144 * 8 + 4.0 * 144 * 8);
  // An affine map adds the column of ones: d + 1 = 17 ≥ M = 17 is still free, M = 18 has r = 17.
  config.uhop.bias = true;
  EXPECT_DOUBLE_EQ(search_evaluation_flops(config, point(16, 17, 8, "khm_uhop")), 8.0 * 17 * 17 * 8);
  EXPECT_DOUBLE_EQ(search_evaluation_flops(config, point(16, 18, 8, "khm_uhop")),
                   4.0 * 18 * 18 * 8 + 4.0 * 18 * 17 * 8);
}

TEST(CostModelSearch, EvaluationsScalePerAnnealWithTheHops) {
  SweepConfig config;  // uhop.method = "search", 60 hops
  const Configuration small = point(16, 64, 8, "khm_uhop"), large = point(16, 128, 8, "khm_uhop");
  SearchProbes probes;
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, small, probes), 0.0);  // nothing measured
  // Larger sets share the probe on kSearchProbeMemories memories.
  EXPECT_EQ(search_probe_key(config, small), search_probe_key(config, large));
  probes[search_probe_key(config, small)] = {12000.0, 12};
  // 12000 over 8 starts + 4 hops = 1000 per anneal; 8 + 60 anneals.
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, small, probes), 68000.0);
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, large, probes), 68000.0);
  config.uhop.hops = 0;
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, large, probes), 8000.0);
  config.uhop.hops = 60;
  // A setting not probed takes the largest count per anneal.
  const Configuration wide = point(16, 64, 16, "khm_uhop");
  EXPECT_NE(search_probe_key(config, wide), search_probe_key(config, small));
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, wide, probes), 68000.0);
  probes["another"] = {1500.0 * 9, 9};  // 8 starts + 1 hop
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, wide, probes), 1500.0 * 68);
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, small, probes), 68000.0);
  // On S² with free points and M = 120 (two icosahedral orbits) the search adds 2 symmetric
  // starts: 8 + 2 + 60 anneals. The probe's 64 memories are no sum of orbits: 8 + 4 there.
  const Configuration sphere = point(128, 120, 3, "khm_uhop");
  probes[search_probe_key(config, sphere)] = {1000.0 * 12, 12};
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, sphere, probes), 1000.0 * 70);
  // Neither the paper's loop nor another model searches.
  EXPECT_EQ(search_probe_key(config, point(16, 64, 8, "khm_random")), "");
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, point(16, 64, 8, "khm_random"), probes), 0.0);
  config.uhop.method = "paper";
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, small, probes), 0.0);
  // refine is one anneal: the probe's count, whatever the hops.
  config.uhop.method = "refine";
  SearchProbes refined;
  refined[search_probe_key(config, small)] = {700.0, 1};
  EXPECT_NE(search_probe_key(config, small), search_probe_key(SweepConfig{}, small));
  EXPECT_DOUBLE_EQ(expected_search_evaluations(config, small, refined), 700.0);
}

TEST(CostModelSearch, SecondsAreEvaluationsAtTheKernelRateOfTheirShapeUnshared) {
  SweepConfig config;
  config.metrics = MetricsMode::exact;
  config.uhop.iterations = 10;
  EngineCalibration engine = hand_calibration();
  const Configuration c = point(8, 16, 4, "khm_uhop");
  engine.steps[retrieval_probe_key(c)] = 5.0;
  const double before = configuration_seconds(config, c, 1, engine), before4 = configuration_seconds(config, c, 4, engine);
  engine.search[search_probe_key(config, c)] = {12000.0, 12};  // 8 starts + 4 hops
  EXPECT_DOUBLE_EQ(search_seconds(config, c, engine), 0.0);  // no rate measured
  engine.search_overhead = 1.5;
  engine.search_gflops[search_shape_key(config, c)] = 2.0;
  engine.search_gflops["M=1024 r=8 Dphi=4"] = 8.0;
  // 68000 evaluations of 4·16²·4 + 4·16·8·4 = 6144 flops at 2 GFLOP/s, times the overhead.
  const double search = 1.5 * 68000.0 * 6144.0 / 2e9;
  EXPECT_DOUBLE_EQ(search_seconds(config, c, engine), search);
  const PhaseFlops f = phase_flops(config, c, 5.0, 68000.0);
  EXPECT_DOUBLE_EQ(f.search_evaluations, 68000.0);
  EXPECT_DOUBLE_EQ(f.search, 68000.0 * 6144.0);
  EXPECT_DOUBLE_EQ(f.total(), f.retrieval + f.uhop + f.metrics);  // as the run's gflops_counted
  EXPECT_DOUBLE_EQ(configuration_seconds(config, c, 1, engine), before + search);
  // Every rank of a group runs the same search.
  EXPECT_DOUBLE_EQ(configuration_seconds(config, c, 4, engine), before4 + search);
  // A shape not measured takes the slowest rate measured.
  engine.search_gflops.erase(search_shape_key(config, c));
  engine.search_gflops["M=512 r=8 Dphi=4"] = 0.5;
  EXPECT_DOUBLE_EQ(search_seconds(config, c, engine), 1.5 * 68000.0 * 6144.0 / 0.5e9);
  // Memories beyond kSearchRateMaxMemories share the capped shape.
  EXPECT_EQ(search_shape_key(config, point(8, 2 * kSearchRateMaxMemories, 4, "khm_uhop")),
            search_shape_key(config, point(8, 4 * kSearchRateMaxMemories, 4, "khm_uhop")));
  // A capacity search trains at every probe: 4 at M_max per replica.
  engine.search_gflops[search_shape_key(config, c)] = 2.0;
  config.capacity = true;
  config.capacity_m_max = 16;
  Configuration searched = c;
  searched.m = 0;
  EXPECT_DOUBLE_EQ(search_seconds(config, searched, engine), 4.0 * search);
}

TEST(CostModelSearch, ADryRunWithoutSearchProbesSaysItsEstimateIsALowerBound) {
  SweepConfig config;
  config.d = {8};
  config.m = {16};
  config.dphi = {4};
  config.sep = {Separation::parse("softmax")};
  config.query = {QueryModel::parse("angle:20")};
  config.model = {Model::khm_uhop};
  config.replicas = 1;
  const Plan plan = make_plan(config);
  DryRunFacts facts;
  facts.engine = hand_calibration();
  std::ostringstream unmeasured;
  print_dry_run(unmeasured, config, plan, facts);
  EXPECT_NE(unmeasured.str().find("was not measured"), std::string::npos) << unmeasured.str();
  facts.engine.search[search_probe_key(config, plan.work.front())] = {1200.0, 12};  // 8 starts + 4 hops
  facts.engine.search_gflops[search_shape_key(config, plan.work.front())] = 1.0;
  std::ostringstream measured;
  print_dry_run(measured, config, plan, facts);
  EXPECT_EQ(measured.str().find("was not measured"), std::string::npos) << measured.str();
  // 100 per anneal, 8 + 60 anneals.
  EXPECT_NE(measured.str().find("6.8e+03 to 6.8e+03 loss evaluations"), std::string::npos) << measured.str();
}

TEST(CostModelSearch, TheProbeCountsWhatTrainingOnItsMemoriesCounts) {
  SweepConfig config;
  config.uhop.iterations = 20;
  config.uhop.hops = 10;
  Configuration c = point(8, 24, 4, "khm_uhop");  // fewer than kSearchProbeMemories: all of them
  c.memory_seed = 5;
  c.map_seed = 9;
  double per_evaluation = 0.0;
  const SearchProbe probe = measure_search_evaluations(config, c, &per_evaluation);
  // The reference: U-Hop+ trained directly on the configuration's memories with
  // kSearchProbeHops of the 10 hops.
  Matrix memories(24, 8);
  generate_memory_slice(Distribution::sphere, 8, 5, 0, 0, 24, memories.data);
  UhopSettings settings = config.uhop.parse(9);
  settings.feature_dim = 4;
  settings.hops = kSearchProbeHops;
  EXPECT_EQ(probe.anneals, kUhopSearchStarts + kSearchProbeHops);  // D_Φ = 4: no symmetric starts
  EXPECT_DOUBLE_EQ(probe.evaluations, static_cast<double>(train_uhop(memories, settings).search_evaluations));
  EXPECT_GT(probe.evaluations, 0.0);
  EXPECT_GT(per_evaluation, 0.0);
  config.uhop.method = "refine";
  settings.method = UhopMethod::refine;
  const SearchProbe refined = measure_search_evaluations(config, c, nullptr);
  EXPECT_EQ(refined.anneals, 1);
  EXPECT_DOUBLE_EQ(refined.evaluations, static_cast<double>(train_uhop(memories, settings).search_evaluations));
  config.uhop.method = "paper";
  EXPECT_THROW((void)measure_search_evaluations(config, c, nullptr), Error);
}

}  // namespace
}  // namespace hopcap::sweep
