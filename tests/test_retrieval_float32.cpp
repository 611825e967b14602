// float32 retrieval against float64: the step against the naive twin, the same outcomes where
// the margin is clear at awkward sizes, the same discrete outcomes on exact codes, bitwise
// results over threads and partitions, and the refusal where float32 cannot be trusted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "hopcap/codes.hpp"
#include "hopcap/error.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/queries.hpp"
#include "reference/retrieval_ref.hpp"
#include "outcome_checks.hpp"
#include "test_support.hpp"
#include "thread_parts.hpp"

namespace hopcap {
namespace {

const std::vector<std::string>& kSeparations = test::kRetrievalSeparations;
using test::max_abs_diff;

FeatureMap random_map(std::int64_t dphi, std::int64_t d, bool bias, std::uint64_t seed) {
  return test::random_retrieval_map(dphi, d, bias, seed);
}

RetrievalSettings settings_for(const std::string& sep, double beta, Precision precision) {
  RetrievalSettings s;
  s.beta = beta;
  s.separation = Separation::parse(sep);
  s.precision = precision;
  return s;
}

// One query per target (or −1) with its generated start.
struct QuerySet {
  Matrix states;
  std::vector<std::int64_t> targets;
};

QuerySet queries_for(const Matrix& memories, const std::string& model, std::int64_t n, std::uint64_t seed) {
  QuerySet q{Matrix(n, memories.cols), std::vector<std::int64_t>(static_cast<std::size_t>(n))};
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    q.targets[static_cast<std::size_t>(i)] = (i * 7) % memories.rows;
    ids[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(i);
  }
  make_queries(QueryModel::parse(model), memories, q.targets, ids, seed, q.states);
  return q;
}

struct FinalStates {
  Matrix states;
  std::vector<QueryOutcome> outcomes;
};

FinalStates run_all(const Matrix& memories, const QuerySet& q, const RetrievalSettings& s, const std::optional<FeatureMap>& map) {
  const Retriever r(memories, s, map);
  FinalStates out{q.states, std::vector<QueryOutcome>(q.targets.size())};
  r.run(out.states, q.targets, out.outcomes);
  return out;
}

// One float32 update against the float64 twin (measured 5.4e-6 and 7.5e-6 at β·|score| ≤ 20).
constexpr double kStepTolerance = 1e-5;
// Final states of queries that converged (float32 stops at its floored tolerance, 2^−20 here:
// measured 1.2e-6), and of queries still moving at t_max, metastable mixtures that drift
// slowly and carry the rounding along (measured 1.4e-3).
constexpr double kStateTolerance = 1e-5;
constexpr double kMovingStateTolerance = 1e-2;

TEST(RetrievalFloat32, StepMatchesTheNaiveTwinToFloatRounding) {
  // One update in float32 against the float64 naive twin at awkward sizes (M not a multiple of
  // the memory block, d odd). The scores carry an error of a few 2^−24 of β·|ξ|·|x| and so do
  // the weights (relatively); the update, a convex combination of memories, moves by at most
  // that times the spread of the memories.
  for (std::int64_t m : {1, 7, 37, 101}) {
    for (std::int64_t b : {1, 5, 33}) {
      for (std::int64_t d : {3, 9}) {
        const Matrix memories = generate_memories(Distribution::sphere, d, m, 11 + m, 0);
        const Matrix states = generate_memories(Distribution::sphere, d, b, 13 + b, 1);
        for (const std::string& sep : kSeparations) {
          for (int model = 0; model < 3; ++model) {
            RetrievalSettings s = settings_for(sep, 3.7, Precision::float32);
            s.memory_block = 16;
            std::optional<FeatureMap> map;
            if (model > 0) {
              map = random_map(5, d, model == 2, 99);
              s.khm_scores = model == 1 ? KhmScores::normalized : KhmScores::raw_features;
            }
            const Retriever r(memories, s, map);
            Matrix next, p;
            r.step(states, next, p);
            Matrix p_ref;
            const Matrix next_ref = ref::retrieval_step(memories, states, s, map, p_ref);
            const std::string what = sep + " model " + std::to_string(model) + " M " + std::to_string(m) + " B " +
                                     std::to_string(b) + " d " + std::to_string(d);
            EXPECT_LT(max_abs_diff(next, next_ref), kStepTolerance) << what;
            EXPECT_LT(max_abs_diff(p, p_ref), kStepTolerance) << what;
          }
        }
      }
    }
  }
}

// Per query of a float64 run: whether its outcome is decided with a clear margin. The argmax
// needs the two largest scores at the final state apart by more than `gap`, the retrieval
// radius the distance away from ε by more than `radius`.
std::vector<bool> clear_margins(const Matrix& memories, const RetrievalSettings& s, const std::optional<FeatureMap>& map,
                                const FinalStates& reference, double gap, double radius) {
  RetrievalSettings f64 = s;
  f64.precision = Precision::float64;
  const Retriever r(memories, f64, map);
  Matrix z;
  r.scores(reference.states, z);
  std::vector<bool> clear(reference.outcomes.size());
  for (std::int64_t i = 0; i < z.rows; ++i) {
    double first = -std::numeric_limits<double>::infinity(), second = first;
    for (std::int64_t j = 0; j < z.cols; ++j) {
      const double v = z(i, j);
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) {
        second = v;
      }
    }
    const QueryOutcome& o = reference.outcomes[static_cast<std::size_t>(i)];
    clear[static_cast<std::size_t>(i)] = first - second > gap && std::abs(o.distance - s.epsilon) > radius;
  }
  return clear;
}

TEST(RetrievalFloat32, SameOutcomesAsFloat64WhereTheMarginIsClear) {
  // Random memories at awkward sizes, MHM and both KHM score variants, every separation,
  // queries inside and outside the basins. Every query with a clear margin gets float64's
  // argmax and retrieval, and its final state within kStateTolerance; most queries are clear.
  double worst_state = 0.0, worst_moving = 0.0;
  std::int64_t clear_count = 0, total = 0;
  for (auto [m, d] : {std::pair<std::int64_t, std::int64_t>{37, 9}, {131, 5}, {257, 7}}) {
    const Matrix memories = generate_memories(Distribution::sphere, d, m, 5 + m, 0);
    for (const std::string query : {"angle:25", "gauss:0.3"}) {
      const QuerySet q = queries_for(memories, query, m + 3, 17);
      for (const std::string& sep : kSeparations) {
        for (int model = 0; model < 3; ++model) {
          RetrievalSettings s = settings_for(sep, 12.0, Precision::float64);
          s.max_iterations = 30;
          s.memory_block = 16;
          std::optional<FeatureMap> map;
          if (model > 0) {
            map = random_map(d + 2, d, model == 2, 31);
            s.khm_scores = model == 1 ? KhmScores::normalized : KhmScores::raw_features;
            if (model == 2) s.beta = 0.5;
          }
          const FinalStates a = run_all(memories, q, s, map);
          RetrievalSettings s32 = s;
          s32.precision = Precision::float32;
          const FinalStates b = run_all(memories, q, s32, map);
          const std::vector<bool> clear = clear_margins(memories, s, map, a, 1e-3, 1e-4);
          const std::string what = query + " " + sep + " model " + std::to_string(model) + " M " + std::to_string(m);
          for (std::size_t i = 0; i < clear.size(); ++i) {
            ++total;
            if (!clear[i]) continue;
            ++clear_count;
            EXPECT_EQ(b.outcomes[i].argmax, a.outcomes[i].argmax) << what << " query " << i;
            EXPECT_EQ(b.outcomes[i].retrieved, a.outcomes[i].retrieved) << what << " query " << i;
            double diff = 0.0;
            for (std::int64_t j = 0; j < d; ++j) {
              diff = std::max(diff, std::abs(a.states(static_cast<std::int64_t>(i), j) - b.states(static_cast<std::int64_t>(i), j)));
            }
            const bool settled = a.outcomes[i].converged;
            (settled ? worst_state : worst_moving) = std::max(settled ? worst_state : worst_moving, diff);
            EXPECT_LT(diff, settled ? kStateTolerance : kMovingStateTolerance) << what << " query " << i;
          }
        }
      }
    }
  }
  RecordProperty("worst_converged_state", std::to_string(worst_state));
  RecordProperty("worst_moving_state", std::to_string(worst_moving));
  EXPECT_GT(clear_count, total * 9 / 10);
}

// Discrete outcomes of every query, in both precisions, must agree exactly where the dynamics
// decides them: every float64 query converges (checked), so no outcome is read off a trajectory
// still moving at t_max. At smaller β some of these codes have symmetric fixed points that are
// unstable (the 600-cell at β = 8 with entmax15: a 13-memory mixture that float64 rounding
// keeps and float32 rounding leaves after ~80 steps); there neither precision's answer is the
// model's, and the comparison is not made.
void expect_same_discrete_outcomes(const Matrix& code, const std::string& label, std::vector<double> betas) {
  double min_cos = -1.0;
  for (std::int64_t i = 0; i < code.rows; ++i) {
    for (std::int64_t j = i + 1; j < code.rows; ++j) {
      double c = 0.0;
      for (std::int64_t k = 0; k < code.cols; ++k) c += code(i, k) * code(j, k);
      min_cos = std::max(min_cos, c);
    }
  }
  const double min_angle_deg = std::acos(std::min(1.0, min_cos)) * 180.0 / std::acos(-1.0);
  // Inside the basins (a third of the smallest angle), at their edge (half of it) and beyond.
  for (double fraction : {0.0, 0.33, 0.5, 0.8}) {
    const std::string query = "angle:" + std::to_string(fraction * min_angle_deg);
    const QuerySet q = queries_for(code, query, 2 * code.rows, 23);
    for (const std::string& sep : kSeparations) {
      for (double beta : betas) {
        const RetrievalSettings s = settings_for(sep, beta, Precision::float64);
        RetrievalSettings s32 = s;
        s32.precision = Precision::float32;
        const FinalStates a = run_all(code, q, s, std::nullopt);
        const FinalStates b = run_all(code, q, s32, std::nullopt);
        std::int64_t retrieved = 0;
        for (std::size_t i = 0; i < a.outcomes.size(); ++i) {
          const std::string what = label + " " + query + " " + sep + " beta " + std::to_string(beta) + " query " +
                                   std::to_string(i);
          EXPECT_EQ(b.outcomes[i].argmax, a.outcomes[i].argmax) << what;
          EXPECT_EQ(b.outcomes[i].retrieved, a.outcomes[i].retrieved) << what;
          EXPECT_EQ(b.outcomes[i].metastable_size, a.outcomes[i].metastable_size) << what;
          EXPECT_EQ(b.outcomes[i].converged, a.outcomes[i].converged) << what;
          EXPECT_TRUE(a.outcomes[i].converged) << what << ": float64 did not settle";
          retrieved += a.outcomes[i].retrieved ? 1 : 0;
        }
        // At β = 60 the memories themselves are retrieved, so the comparison is not all failures.
        if (fraction == 0.0 && beta >= 60.0) {
          EXPECT_EQ(retrieved, q.states.rows) << label << " " << sep;
        }
      }
    }
  }
}

TEST(RetrievalFloat32, ExactCodesGiveTheDiscreteOutcomesOfFloat64) {
  expect_same_discrete_outcomes(codes::cross_polytope(8), "cross-polytope 8", {8.0, 60.0});
  expect_same_discrete_outcomes(codes::regular_simplex(11), "simplex 11", {8.0, 60.0});
  expect_same_discrete_outcomes(codes::icosahedron(), "icosahedron", {8.0, 60.0});
  expect_same_discrete_outcomes(codes::e8_roots(), "E8", {60.0});  // β = 8 is not settled in 100 steps
}

TEST(RetrievalFloat32, SharedCodesGiveTheDiscreteOutcomesOfFloat64) {
  HOPCAP_REQUIRE_SHARED(shared);
  const std::filesystem::path codes = shared / "spherical-codes";
  expect_same_discrete_outcomes(io::load_text(codes / "dim4" / "600cell.4.120.txt"), "600-cell file", {60.0, 200.0});
  for (int n : {24, 48, 72}) {
    expect_same_discrete_outcomes(io::load_text(codes / "sloane-dim3" / ("pack.3." + std::to_string(n) + ".txt")),
                                  "Sloane pack.3." + std::to_string(n), {60.0, 200.0});
  }
}

using hopcap::test::ThreadParts;

// Every part on its own thread with `threads` OpenMP threads; what part 0 saw (all agree).
FinalStates run_partitioned(const Matrix& memories, const QuerySet& q, const RetrievalSettings& s,
                            const std::optional<FeatureMap>& map, const std::vector<std::int64_t>& part_first,
                            int threads, Matrix& next) {
  ThreadParts parts(part_first);
  std::vector<FinalStates> runs(static_cast<std::size_t>(parts.parts()));
  std::vector<Matrix> nexts(runs.size());
  parts.run_each(memories, threads, [&](const kernels::RowPartition& partition, const Matrix& local, int part) {
    const Retriever r(local, partition, s, map);
    FinalStates& out = runs[static_cast<std::size_t>(part)];
    r.advance(q.states, nexts[static_cast<std::size_t>(part)]);
    out.states = q.states;
    out.outcomes.resize(q.targets.size());
    r.run(out.states, q.targets, out.outcomes);
  });
  for (const FinalStates& r : runs) EXPECT_EQ(r.states.data, runs[0].states.data) << "parts disagree";
  next = nexts[0];
  return runs[0];
}

void expect_bitwise_equal(const FinalStates& got, const Matrix& got_next, const FinalStates& want,
                          const Matrix& want_next, const std::string& what) {
  EXPECT_EQ(got_next.data, want_next.data) << what;
  EXPECT_EQ(got.states.data, want.states.data) << what;
  test::expect_bitwise_equal_outcomes(got.outcomes, want.outcomes, what);
}

TEST(RetrievalFloat32, PartitionsAndThreadsGiveBitwiseEqualResults) {
  // 29 memories in blocks of 3, split into 1..5 uneven (sometimes empty) parts, 1 thread per
  // part and 2 or 3 for one part: every float32 state and outcome equals the one-part,
  // one-thread run's exactly, as in float64.
  const std::int64_t d = 5, m = 29;
  const Matrix memories = generate_memories(Distribution::sphere, d, m, 41, 0);
  const QuerySet q = queries_for(memories, "angle:35", 37, 3);
  const std::vector<std::vector<std::int64_t>> splits = {
      {0, 29}, {0, 9, 29}, {0, 0, 12, 29}, {0, 3, 6, 27, 29}, {0, 6, 9, 9, 15, 29}};
  for (const std::string& sep : kSeparations) {
    for (int model = 0; model < 3; ++model) {
      RetrievalSettings s = settings_for(sep, 9.0, Precision::float32);
      s.max_iterations = 8;
      s.memory_block = 3;
      std::optional<FeatureMap> map;
      if (model > 0) {
        map = random_map(4, d, model == 2, 97);
        s.khm_scores = model == 1 ? KhmScores::normalized : KhmScores::raw_features;
        if (model == 2) s.beta = 0.5;
      }
      Matrix reference_next;
      const FinalStates reference = run_partitioned(memories, q, s, map, splits[0], 1, reference_next);
      for (const auto& split : splits) {
        for (int threads : {1, 2, 3}) {
          if (threads > 1 && split.size() != 2) continue;
          Matrix next;
          const FinalStates got = run_partitioned(memories, q, s, map, split, threads, next);
          expect_bitwise_equal(got, next, reference, reference_next,
                               sep + " model " + std::to_string(model) + " parts " + std::to_string(split.size() - 1) +
                                   " threads " + std::to_string(threads));
        }
      }
    }
  }
}

TEST(RetrievalFloat32, ThreadTeamsGiveTheBitsOfOneThread) {
  // Work large enough for thread teams over several panels.
  const std::int64_t d = 24, m = 300;
  const Matrix memories = generate_memories(Distribution::gaussian, d, m, 43, 0);
  const QuerySet q = queries_for(memories, "angle:30", 200, 5);
  for (const std::string& sep : kSeparations) {
    for (int model = 0; model < 2; ++model) {
      RetrievalSettings s = settings_for(sep, 4.0, Precision::float32);
      s.max_iterations = 6;
      std::optional<FeatureMap> map;
      if (model == 1) map = random_map(16, d, true, 99);
      Matrix one_next;
      const FinalStates one = run_partitioned(memories, q, s, map, {0, m}, 1, one_next);
      for (int threads : {2, 3}) {
        Matrix next;
        const FinalStates got = run_partitioned(memories, q, s, map, {0, m}, threads, next);
        expect_bitwise_equal(got, next, one, one_next, sep + " model " + std::to_string(model) + " threads " + std::to_string(threads));
      }
    }
  }
}

TEST(RetrievalFloat32, ConvergenceToleranceIsFlooredAtFloatResolution) {
  Matrix memories = generate_memories(Distribution::sphere, 4, 9, 2, 0);
  for (std::int64_t j = 0; j < 4; ++j) memories(3, j) *= 3.0;  // the largest norm is 3
  RetrievalSettings s = settings_for("softmax", 2.0, Precision::float64);
  s.tolerance = 1e-10;
  EXPECT_EQ(Retriever(memories, s).convergence_tolerance(), 1e-10);
  s.precision = Precision::float32;
  const double floor = 16.0 * std::ldexp(3.0, -24);
  EXPECT_NEAR(Retriever(memories, s).convergence_tolerance(), floor, 1e-15 * floor);
  s.tolerance = 1e-3;  // a coarser tolerance is kept
  EXPECT_EQ(Retriever(memories, s).convergence_tolerance(), 1e-3);
}

TEST(RetrievalFloat32, RefusedWhereScoreRoundingWouldMoveTheWeights) {
  // β times the largest self-score above kFloat32ScoreLimit: refused in float32, fine in float64.
  const Matrix unit = generate_memories(Distribution::sphere, 6, 10, 1, 0);
  RetrievalSettings s = settings_for("softmax", kFloat32ScoreLimit * 1.01, Precision::float32);
  EXPECT_THROW(Retriever(unit, s), ConfigError);
  s.precision = Precision::float64;
  EXPECT_NO_THROW(Retriever(unit, s));
  s.precision = Precision::float32;
  s.beta = kFloat32ScoreLimit * 0.99;
  EXPECT_NO_THROW(Retriever(unit, s));
  // Memories of norm 10: the limit falls 100 times lower.
  Matrix scaled = unit;
  for (double& v : scaled.data) v *= 10.0;
  s.beta = kFloat32ScoreLimit / 100.0 * 1.01;
  EXPECT_THROW(Retriever(scaled, s), ConfigError);
  s.beta = kFloat32ScoreLimit / 100.0 * 0.99;
  EXPECT_NO_THROW(Retriever(scaled, s));
  // Normalised KHM scores are at most 1 whatever the memories' scale; raw ones are not.
  const FeatureMap map = random_map(4, 6, false, 5);
  s.beta = kFloat32ScoreLimit * 0.99;
  EXPECT_NO_THROW(Retriever(scaled, s, map));
  s.khm_scores = KhmScores::raw_features;
  EXPECT_THROW(Retriever(scaled, s, map), ConfigError);
}

}  // namespace
}  // namespace hopcap
