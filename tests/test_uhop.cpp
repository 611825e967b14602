// U-Hop+ Stage I: optimal spherical codes where a linear map can place the memories freely,
// the τ → 0 behaviour, fewer metastable states in Stage II, optimiser steps by hand,
// initialisations, determinism and bad settings.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/uhop.hpp"
#include "uhop_code_settings.hpp"

namespace hopcap {
namespace {

using test::code_settings;

double learned_angle(std::int64_t m, std::int64_t dphi, std::uint64_t seed) {
  // d = 2M > M: the memories are linearly independent, so W can place φ_μ anywhere.
  const Matrix x = generate_memories(Distribution::sphere, 2 * m, m, 100 + seed, 0);
  const UhopResult r = train_uhop(x, code_settings(dphi, seed));
  return r.min_angle_deg_after;
}

TEST(UhopCodes, ThreeDimensionalFeaturesReachThePlatonicCodes) {
  const double tetrahedron = std::acos(-1.0 / 3.0) * 180.0 / M_PI;    // 109.4712°
  const double octahedron = 90.0;
  const double icosahedron = std::acos(1.0 / std::sqrt(5.0)) * 180.0 / M_PI;  // 63.4349°
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    EXPECT_NEAR(learned_angle(4, 3, seed), tetrahedron, 0.05) << "seed " << seed;
    EXPECT_NEAR(learned_angle(6, 3, seed), octahedron, 0.05) << "seed " << seed;
    EXPECT_NEAR(learned_angle(12, 3, seed), icosahedron, 0.05) << "seed " << seed;
  }
}

TEST(UhopCodes, TwoDimensionalFeaturesReachTheRegularPolygon) {
  for (std::int64_t m : {3, 5, 7, 16}) {
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      EXPECT_NEAR(learned_angle(m, 2, seed), 360.0 / static_cast<double>(m), 0.05)
          << "M=" << m << " seed " << seed;
    }
  }
}

TEST(UhopAnnealing, SmallerTemperatureGivesLargerSeparationOnAverage) {
  // One annealed run per seed; Δ^Φ_min read from the trace when τ reaches each level, averaged
  // over a fixed seed set, must increase as τ decreases (the τ → 0 claim of §3.6).
  const std::vector<double> levels = {0.3, 0.1, 0.03, 0.01, 0.003};
  std::vector<double> mean(levels.size(), 0.0);
  const int seeds = 8;
  for (int seed = 0; seed < seeds; ++seed) {
    const Matrix x = generate_memories(Distribution::sphere, 40, 20, 500 + seed, 0);
    UhopSettings s = code_settings(3, static_cast<std::uint64_t>(seed));
    s.tau = levels.front();
    s.tau_min = levels.back();
    s.anneal = 0.995;
    s.restarts = 1;
    s.iterations = 1500;
    const UhopResult r = train_uhop(x, s);
    for (std::size_t l = 0; l < levels.size(); ++l) {
      // the last step taken at a temperature ≥ this level
      double delta = 0.0;
      for (const UhopTracePoint& p : r.trace) {
        if (p.tau >= levels[l] * (1.0 - 1e-12)) delta = p.delta_min;
      }
      mean[l] += delta / seeds;
    }
  }
  for (std::size_t l = 1; l < levels.size(); ++l) {
    EXPECT_GT(mean[l], mean[l - 1]) << "tau " << levels[l] << " vs " << levels[l - 1];
  }
}

TEST(UhopMetastable, LearnedMapShrinksMetastableStatesOfEntmax15) {
  // The paper's synthetic setting: d = 5, M = 10 memories on the sphere, D_Φ = 5, β = 1,
  // 1.5-entmax, 20 iterations, independent random queries. Over 20 fixed seeds of 100
  // queries, the mean metastable size must drop by more than 3 standard errors of the paired
  // per-seed differences, and the share of size-1 states must not drop.
  const int seeds = 20;
  const std::int64_t d = 5, m = 10, queries = 100;
  std::vector<double> diff;
  double one_mhm = 0.0, one_khm = 0.0, size_mhm = 0.0, size_khm = 0.0;
  for (int seed = 0; seed < seeds; ++seed) {
    const Matrix x = generate_memories(Distribution::sphere, d, m, 1000 + seed, 0);
    std::vector<std::int64_t> targets(queries, -1);
    std::vector<std::uint64_t> ids(queries);
    std::iota(ids.begin(), ids.end(), 0u);
    Matrix q(queries, d);
    make_queries(QueryModel::parse("random"), x, targets, ids, 2000 + seed, q);
    UhopSettings s;
    s.method = UhopMethod::paper;  // Algorithm 1 alone: its loop is what is checked here
    s.feature_dim = 5;
    s.lr = 0.05;
    s.iterations = 200;
    s.tau = 0.1;
    s.seed = static_cast<std::uint64_t>(seed);
    const UhopResult trained = train_uhop(x, s);
    RetrievalSettings rs;
    rs.beta = 1.0;
    rs.separation = Separation::parse("entmax15");
    rs.max_iterations = 20;
    double sizes[2];
    for (int model = 0; model < 2; ++model) {
      std::optional<FeatureMap> map;
      if (model == 1) map = trained.map;
      const Retriever retriever(x, rs, map);
      Matrix states = q;
      std::vector<QueryOutcome> out(queries);
      retriever.run(states, targets, out);
      const RetrievalSummary summary = summarize(out, m);
      sizes[model] = summary.metastable_mean;
      (model == 0 ? one_mhm : one_khm) += static_cast<double>(summary.metastable_histogram[1]);
    }
    size_mhm += sizes[0] / seeds;
    size_khm += sizes[1] / seeds;
    diff.push_back(sizes[0] - sizes[1]);
  }
  const double mean = std::accumulate(diff.begin(), diff.end(), 0.0) / seeds;
  double var = 0.0;
  for (double v : diff) var += (v - mean) * (v - mean);
  const double stderr_mean = std::sqrt(var / (seeds - 1) / seeds);
  RecordProperty("mean_size_mhm", std::to_string(size_mhm));
  RecordProperty("mean_size_khm", std::to_string(size_khm));
  EXPECT_GT(mean - 3.0 * stderr_mean, 0.0) << "MHM " << size_mhm << " KHM " << size_khm;
  EXPECT_GE(one_khm, one_mhm);
}

// ---------------------------------------------------------------- optimiser steps by hand

FeatureMap one_step(UhopSettings s, const Matrix& x, Matrix& grad) {
  s.iterations = 1;
  s.restarts = 1;
  const FeatureMap start = initial_uhop_map(s.init, s.feature_dim, x.cols, s.bias, s.seed, 0);
  kernels::uhop_loss(x, start, {s.loss, s.tau, 0}, &grad);
  return train_uhop(x, s).map;
}

TEST(UhopOptimizers, FirstStepsMatchTheUpdateRules) {
  const Matrix x = generate_memories(Distribution::sphere, 6, 9, 3, 0);
  UhopSettings s;
  s.method = UhopMethod::paper;  // Algorithm 1 alone: its loop is what is checked here
  s.feature_dim = 4;
  s.lr = 0.3;
  s.seed = 11;
  const FeatureMap start = initial_uhop_map(s.init, 4, 6, false, 11, 0);
  Matrix g;
  for (UhopOptimizer opt : {UhopOptimizer::gd, UhopOptimizer::sgd, UhopOptimizer::adam}) {
    s.optimizer = opt;
    const FeatureMap after = one_step(s, x, g);
    for (std::size_t i = 0; i < g.data.size(); ++i) {
      // gd and sgd (zero initial velocity) both move by −lr·g; Adam's first step is
      // −lr·g/(|g| + ε) after bias correction.
      const double expected = opt == UhopOptimizer::adam
                                  ? start.weight.data[i] - s.lr * g.data[i] / (std::abs(g.data[i]) + s.adam_eps)
                                  : start.weight.data[i] - s.lr * g.data[i];
      EXPECT_NEAR(after.weight.data[i], expected, 1e-14) << to_string(opt) << " entry " << i;
    }
  }
}

TEST(UhopOptimizers, ProjectionsHoldAfterEveryStep) {
  const Matrix x = generate_memories(Distribution::sphere, 6, 15, 4, 0);
  UhopSettings s;
  s.method = UhopMethod::paper;  // Algorithm 1 alone: its loop is what is checked here
  s.feature_dim = 4;
  s.optimizer = UhopOptimizer::gd;
  s.lr = 0.5;
  s.iterations = 30;
  s.projection = UhopProjection::unit_rows;
  FeatureMap w = train_uhop(x, s).map;
  for (std::int64_t k = 0; k < w.weight.rows; ++k) {
    double n = 0.0;
    for (std::int64_t j = 0; j < w.weight.cols; ++j) n += w.weight(k, j) * w.weight(k, j);
    EXPECT_NEAR(n, 1.0, 1e-12);
  }
  s.projection = UhopProjection::frobenius;
  const FeatureMap start = initial_uhop_map(s.init, 4, 6, false, s.seed, 0);
  w = train_uhop(x, s).map;
  double n0 = 0.0, n1 = 0.0;
  for (double v : start.weight.data) n0 += v * v;
  for (double v : w.weight.data) n1 += v * v;
  EXPECT_NEAR(n1, n0, 1e-12 * n0);
}

TEST(UhopTraining, TraceRestartsPlateauAndDeterminism) {
  const Matrix x = generate_memories(Distribution::sphere, 8, 30, 5, 0);
  UhopSettings s;
  s.method = UhopMethod::paper;  // Algorithm 1 alone: its loop is what is checked here
  s.feature_dim = 3;
  s.iterations = 40;
  s.restarts = 3;
  s.seed = 9;
  s.tau = 0.2;
  s.tau_min = 0.05;
  s.anneal = 0.9;
  const UhopResult a = train_uhop(x, s);
  const UhopResult b = train_uhop(x, s);
  EXPECT_EQ(a.map.weight.data, b.map.weight.data);
  ASSERT_EQ(a.trace.size(), 40u);
  ASSERT_EQ(a.restart_delta_min.size(), 3u);
  // The kept restart is the best one, and its reported separation is that of the final map.
  for (double v : a.restart_delta_min) EXPECT_LE(v, a.delta_min_after);
  const auto report = kernels::feature_separation_report(x, a.map.weight, a.map.bias);
  EXPECT_DOUBLE_EQ(report.delta_min_sphere, a.delta_min_after);
  // τ anneals geometrically to its floor; the trace is consistent.
  EXPECT_DOUBLE_EQ(a.trace[0].tau, 0.2);
  EXPECT_DOUBLE_EQ(a.trace[1].tau, 0.2 * 0.9);
  EXPECT_DOUBLE_EQ(a.trace.back().tau, 0.05);
  for (const UhopTracePoint& p : a.trace) {
    EXPECT_DOUBLE_EQ(p.delta_min, 1.0 - p.s_max);
    EXPECT_GE(p.grad_norm, 0.0);
  }
  // A plateau stops early once nothing moves: with lr tiny the loss is flat at once.
  s.lr = 1e-14;
  s.plateau_window = 5;
  s.plateau_tol = 1e-9;
  s.tau_min = 0.0;
  const UhopResult flat = train_uhop(x, s);
  EXPECT_EQ(flat.stop_reason, "plateau");
  EXPECT_EQ(flat.iterations, 6);
}

TEST(UhopTraining, MiniBatchesAreSeededAndTrainTheWholeSet) {
  const Matrix x = generate_memories(Distribution::sphere, 10, 64, 6, 0);
  UhopSettings s;
  s.method = UhopMethod::paper;  // Algorithm 1 alone: its loop is what is checked here
  s.feature_dim = 4;
  s.batch = 16;
  s.iterations = 150;
  s.lr = 0.05;
  const UhopResult a = train_uhop(x, s);
  const UhopResult b = train_uhop(x, s);
  EXPECT_EQ(a.map.weight.data, b.map.weight.data);
  // Batches of 16 rarely hold the closest pair, so Δ^Φ_min of the whole set is noisy; the
  // loss of the whole set is what the batches estimate, and it must go down.
  const UhopLossOptions whole{s.loss, s.tau, 0};
  EXPECT_LT(kernels::uhop_loss(x, a.map, whole).loss, kernels::uhop_loss(x, a.initial_map, whole).loss - 0.05);
  s.seed = 1;  // another batch sequence gives another map
  EXPECT_NE(train_uhop(x, s).map.weight.data, a.map.weight.data);
}

TEST(UhopInit, InitialisationsHaveTheirDocumentedShape) {
  const FeatureMap id = initial_uhop_map(UhopInit::identity, 3, 5, false, 0, 0);
  for (std::int64_t k = 0; k < 3; ++k) {
    for (std::int64_t j = 0; j < 5; ++j) EXPECT_EQ(id.weight(k, j), k == j ? 1.0 : 0.0);
  }
  for (auto [rows, cols] : {std::pair<std::int64_t, std::int64_t>{3, 7}, {7, 3}}) {
    const FeatureMap o = initial_uhop_map(UhopInit::orthogonal, rows, cols, false, 1, 2);
    const bool by_rows = rows <= cols;
    const std::int64_t n = by_rows ? rows : cols, len = by_rows ? cols : rows;
    for (std::int64_t a = 0; a < n; ++a) {
      for (std::int64_t b = 0; b < n; ++b) {
        double dot = 0.0;
        for (std::int64_t k = 0; k < len; ++k) {
          dot += by_rows ? o.weight(a, k) * o.weight(b, k) : o.weight(k, a) * o.weight(k, b);
        }
        EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-13);
      }
    }
  }
  // Kaiming-normal: variance 2/d.
  const FeatureMap g = initial_uhop_map(UhopInit::gaussian, 200, 50, true, 3, 0);
  double var = 0.0;
  for (double v : g.weight.data) var += v * v;
  var /= static_cast<double>(g.weight.data.size());
  EXPECT_NEAR(var, 2.0 / 50.0, 0.002);
  ASSERT_EQ(g.bias.size(), 200u);
  for (double b : g.bias) EXPECT_LE(std::abs(b), 1.0 / std::sqrt(50.0));
  // Restarts differ, seeds reproduce.
  EXPECT_NE(initial_uhop_map(UhopInit::gaussian, 3, 4, false, 3, 0).weight.data,
            initial_uhop_map(UhopInit::gaussian, 3, 4, false, 3, 1).weight.data);
  EXPECT_EQ(initial_uhop_map(UhopInit::gaussian, 3, 4, false, 3, 1).weight.data,
            initial_uhop_map(UhopInit::gaussian, 3, 4, false, 3, 1).weight.data);
}

TEST(UhopSettingsValidation, BadSettingsNameTheProblem) {
  const Matrix x = generate_memories(Distribution::sphere, 4, 6, 1, 0);
  auto expect_error = [&](auto change, const std::string& needle) {
    UhopSettings s;
    s.feature_dim = 2;
    change(s);
    try {
      train_uhop(x, s);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error([](UhopSettings& s) { s.tau = 0.0; }, "tau");
  expect_error([](UhopSettings& s) { s.tau = -1.0; }, "tau");
  expect_error([](UhopSettings& s) { s.feature_dim = 0; }, "D_Phi");
  expect_error([](UhopSettings& s) { s.lr = 0.0; }, "lr");
  expect_error([](UhopSettings& s) { s.anneal = 1.5; }, "anneal");
  expect_error([](UhopSettings& s) { s.tau_min = 1.0; }, "tau_min");
  expect_error([](UhopSettings& s) { s.restarts = 0; }, "restarts");
  expect_error([](UhopSettings& s) { s.hops = -1; }, "hops");
  expect_error([](UhopSettings& s) { s.batch = 1; }, "batch");
  expect_error([](UhopSettings& s) { s.init = UhopInit::identity; s.feature_dim = 9; }, "identity");
  // float32 steps: the loop's smallest τ (the annealing floor, else τ) at least 1e-4.
  expect_error([](UhopSettings& s) { s.precision = Precision::float32; s.tau = 5e-5; }, "float32");
  expect_error([](UhopSettings& s) { s.precision = Precision::float32; s.tau_min = 5e-5; s.anneal = 0.9; }, "tau_min");
  UhopTextSettings text;
  text.precision = "float32";
  EXPECT_EQ(text.parse(0).precision, Precision::float32);
  EXPECT_EQ(UhopTextSettings{}.parse(0).precision, Precision::float64);
  text.precision = "half";
  EXPECT_THROW(text.parse(0), ConfigError);
  EXPECT_THROW(parse_uhop_optimizer("adamw"), ConfigError);
  EXPECT_THROW(parse_uhop_projection("sphere"), ConfigError);
  EXPECT_THROW(parse_uhop_init("xavier"), ConfigError);
}

}  // namespace
}  // namespace hopcap
