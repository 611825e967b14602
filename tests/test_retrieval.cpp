// Retrieval: tuned GEMM kernels against the naive twins, fixed points of well-separated codes,
// failure far beyond capacity, CCCP energy descent, and the query models.
#include <gtest/gtest.h>

#include <barrier>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <numeric>
#include <vector>

#include <omp.h>

#include "hopcap/codes.hpp"
#include "hopcap/error.hpp"
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

// ±e_i in R^d: a well-separated code (Δ_min = 1) with 2d memories.
using codes::cross_polytope;

TEST(Retrieval, TunedStepMatchesReferenceAtAwkwardSizes) {
  for (std::int64_t m : {1, 2, 7, 33, 65}) {
    for (std::int64_t b : {1, 2, 7, 33}) {
      for (std::int64_t d : {3, 8}) {
        const Matrix memories = generate_memories(Distribution::sphere, d, m, 11 + m, 0);
        const Matrix states = generate_memories(Distribution::gaussian, d, b, 13 + b, 1);
        for (const std::string& sep : kSeparations) {
          for (int model = 0; model < 3; ++model) {
            RetrievalSettings s;
            s.beta = 3.7;
            s.separation = Separation::parse(sep);
            std::optional<FeatureMap> map;
            if (model > 0) {
              map = random_map(5, d, model == 2, 99);
              s.khm_scores = model == 1 ? KhmScores::normalized : KhmScores::raw_features;
            }
            const Retriever r(memories, s, map);
            Matrix z, next, p;
            r.scores(states, z);
            const Matrix z_ref = ref::retrieval_scores(memories, states, s.beta, map, s.khm_scores);
            EXPECT_LT(max_abs_diff(z, z_ref), 1e-12 * (1.0 + std::abs(s.beta) * 10))
                << "scores m=" << m << " b=" << b << " d=" << d << " " << sep << " model " << model;
            r.step(states, next, p);
            Matrix p_ref;
            const Matrix next_ref = ref::retrieval_step(memories, states, s, map, p_ref);
            EXPECT_LT(max_abs_diff(p, p_ref), 1e-12) << "weights m=" << m << " " << sep;
            EXPECT_LT(max_abs_diff(next, next_ref), 1e-12) << "update m=" << m << " " << sep;
          }
        }
      }
    }
  }
}

TEST(Retrieval, PanelledAdvanceMatchesReferenceAtAwkwardSizes) {
  // advance() splits the rows into thread panels (several when M is large) and falls back to
  // one GEMM pair for fewer rows than 2 × threads: every path must give the reference update.
  for (std::int64_t m : {1, 7, 65, 1100, 3000}) {
    for (std::int64_t b : {1, 2, 7, 33, 65, 130}) {
      const std::int64_t d = 6;
      const Matrix memories = generate_memories(Distribution::sphere, d, m, 21 + m, 0);
      const Matrix states = generate_memories(Distribution::gaussian, d, b, 23 + b, 1);
      for (const std::string& sep : kSeparations) {
        for (int model = 0; model < 2; ++model) {
          RetrievalSettings s;
          s.beta = 5.5;
          s.separation = Separation::parse(sep);
          std::optional<FeatureMap> map;
          if (model > 0) map = random_map(4, d, false, 98);
          const Retriever r(memories, s, map);
          Matrix next;
          r.advance(states, next);
          Matrix p_ref;
          const Matrix next_ref = ref::retrieval_step(memories, states, s, map, p_ref);
          ASSERT_EQ(next.rows, b);
          EXPECT_LT(max_abs_diff(next, next_ref), 1e-12)
              << "m=" << m << " b=" << b << " " << sep << " model " << model;
        }
      }
    }
  }
}

TEST(Retrieval, EveryMemoryOfAWellSeparatedCodeIsAFixedPointAtLargeBeta) {
  const Matrix code = cross_polytope(8);  // Δ_min = 1, m = 1
  for (const std::string& sep : kSeparations) {
    RetrievalSettings s;
    s.beta = 60.0;  // softmax error bound 2m(M−1)e^{−βΔ} = 30e^{−60} ≈ 3e−25
    s.separation = Separation::parse(sep);
    const Retriever r(code, s);
    Matrix next, p;
    r.step(code, next, p);
    EXPECT_LT(max_abs_diff(next, code), 1e-15) << sep;
  }
}

TEST(Retrieval, AnglePerturbedQueriesInsideTheBasinReturnToTheirMemory) {
  const Matrix code = cross_polytope(8);
  const std::int64_t n = 4 * code.rows;
  std::vector<std::int64_t> targets(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    targets[static_cast<std::size_t>(i)] = i % code.rows;
    ids[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(i);
  }
  Matrix queries(n, code.cols);
  make_queries(QueryModel::parse("angle:25"), code, targets, ids, 5, queries);
  for (const std::string& sep : kSeparations) {
    RetrievalSettings s;
    s.beta = 40.0;
    s.separation = Separation::parse(sep);
    s.epsilon = 1e-6;
    const Retriever r(code, s);
    Matrix states = queries;
    std::vector<QueryOutcome> out(static_cast<std::size_t>(n));
    r.run(states, targets, out);
    const RetrievalSummary summary = summarize(out, code.rows);
    EXPECT_EQ(summary.retrieved, n) << sep;
    EXPECT_EQ(summary.converged, n) << sep;
    EXPECT_EQ(summary.metastable_histogram[1], n) << sep;
  }
}

TEST(Retrieval, RandomMemoriesFarBeyondCapacityAreNotRetrieved) {
  const std::int64_t d = 8, m = 10000, n = 200;
  const Matrix memories = generate_memories(Distribution::sphere, d, m, 2024, 0);
  std::vector<std::int64_t> targets(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    targets[static_cast<std::size_t>(i)] = (i * 37) % m;
    ids[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(i);
  }
  Matrix states(n, d);
  make_queries(QueryModel::parse("angle:0"), memories, targets, ids, 1, states);
  RetrievalSettings s;
  s.beta = 1.0;
  const Retriever r(memories, s);
  std::vector<QueryOutcome> out(static_cast<std::size_t>(n));
  r.run(states, targets, out);
  const RetrievalSummary summary = summarize(out, m);
  // At β = 1 the softmax over 10^4 near-orthogonal memories is close to uniform: the dynamics
  // collapse to the global average, far from every memory, and no weight reaches the 0.01
  // threshold of the metastable-size definition.
  EXPECT_EQ(summary.retrieved, 0);
  EXPECT_GT(summary.distance_mean, 0.9);
  EXPECT_EQ(summary.metastable_histogram[0], n);
}

TEST(Retrieval, CccpUpdateNeverIncreasesTheMhmEnergy) {
  const Matrix memories = generate_memories(Distribution::sphere, 6, 25, 77, 0);
  const Matrix starts = generate_memories(Distribution::gaussian, 6, 20, 78, 0);
  for (const std::string& sep : kSeparations) {
    for (double beta : {0.5, 4.0, 30.0}) {
      RetrievalSettings s;
      s.beta = beta;
      s.separation = Separation::parse(sep);
      const Retriever r(memories, s);
      Matrix x = starts, next, p;
      for (int t = 0; t < 6; ++t) {
        r.step(x, next, p);
        for (std::int64_t i = 0; i < x.rows; ++i) {
          const double before = r.energy(x.row_span(i));
          const double after = r.energy(next.row_span(i));
          EXPECT_LE(after, before + 1e-12 * (1.0 + std::abs(before))) << sep << " beta=" << beta;
        }
        x = next;
      }
    }
  }
}

TEST(Retrieval, SoftmaxEnergyMatchesTheClosedForm) {
  const Matrix memories = generate_memories(Distribution::gaussian, 5, 9, 3, 0);
  const Matrix states = generate_memories(Distribution::gaussian, 5, 4, 4, 0);
  for (double beta : {0.1, 1.0, 250.0}) {
    RetrievalSettings s;
    s.beta = beta;
    const Retriever r(memories, s);
    for (std::int64_t i = 0; i < states.rows; ++i) {
      const double expected = ref::softmax_mhm_energy(memories, states.row(i), beta);
      EXPECT_NEAR(r.energy(states.row_span(i)), expected, 1e-12 * (1.0 + std::abs(expected)));
    }
  }
}

TEST(Retrieval, KhmWithIdentityMapScoresUnitStatesLikeTheMhm) {
  const std::int64_t d = 7;
  const Matrix memories = generate_memories(Distribution::sphere, d, 12, 5, 0);
  const Matrix states = generate_memories(Distribution::sphere, d, 6, 6, 0);
  RetrievalSettings s;
  s.beta = 2.5;
  const Retriever mhm(memories, s);
  const Retriever khm(memories, s, identity_feature_map(d, d));
  Matrix a, b;
  mhm.scores(states, a);
  khm.scores(states, b);
  EXPECT_LT(max_abs_diff(a, b), 1e-14);
}

TEST(Retrieval, BlockSizeDoesNotChangeOutcomes) {
  const Matrix memories = generate_memories(Distribution::sphere, 6, 40, 8, 0);
  const std::int64_t n = 23;
  std::vector<std::int64_t> targets(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  std::iota(targets.begin(), targets.end(), 0);
  std::iota(ids.begin(), ids.end(), 0);
  Matrix queries(n, 6);
  make_queries(QueryModel::parse("gauss:0.2"), memories, targets, ids, 9, queries);
  std::vector<std::vector<QueryOutcome>> results;
  std::vector<Matrix> finals;
  for (std::int64_t block : {0, 1, 5, 23}) {
    RetrievalSettings s;
    s.beta = 8.0;
    s.block_size = block;
    s.separation = Separation::parse("entmax15");
    const Retriever r(memories, s);
    Matrix states = queries;
    std::vector<QueryOutcome> out(static_cast<std::size_t>(n));
    r.run(states, targets, out);
    results.push_back(out);
    finals.push_back(states);
  }
  for (std::size_t k = 1; k < results.size(); ++k) {
    EXPECT_LT(max_abs_diff(finals[k], finals[0]), 1e-12);
    for (std::int64_t i = 0; i < n; ++i) {
      const auto& a = results[k][static_cast<std::size_t>(i)];
      const auto& b = results[0][static_cast<std::size_t>(i)];
      EXPECT_EQ(a.iterations, b.iterations);
      EXPECT_EQ(a.argmax, b.argmax);
      EXPECT_EQ(a.retrieved, b.retrieved);
      EXPECT_EQ(a.metastable_size, b.metastable_size);
      EXPECT_NEAR(a.energy, b.energy, 1e-12);
    }
  }
}

TEST(Retrieval, OneIterationBudgetStopsEveryQueryAfterOneUpdate) {
  const Matrix memories = generate_memories(Distribution::sphere, 4, 10, 1, 0);
  const std::int64_t n = 10;
  std::vector<std::int64_t> targets(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  std::iota(targets.begin(), targets.end(), 0);
  std::iota(ids.begin(), ids.end(), 0);
  Matrix states(n, 4);
  make_queries(QueryModel::parse("random"), memories, targets, ids, 2, states);
  RetrievalSettings s;
  s.beta = 0.01;
  s.max_iterations = 1;
  const Retriever r(memories, s);
  std::vector<std::int64_t> none(static_cast<std::size_t>(n), -1);
  std::vector<QueryOutcome> out(static_cast<std::size_t>(n));
  r.run(states, none, out);
  for (const QueryOutcome& o : out) {
    EXPECT_EQ(o.iterations, 1);
    EXPECT_FALSE(o.retrieved);
    // β = 0.01: every weight is ≈ 1/10 > 0.01, so the metastable state spans all memories.
    EXPECT_EQ(o.metastable_size, 10);
  }
}

using hopcap::test::ThreadParts;

struct PartitionedRun {
  Matrix states, next;
  std::vector<QueryOutcome> outcomes;
};

// Runs every part of `part_first` on its own thread with `threads` OpenMP threads, and returns
// what part 0 saw (every part sees the same; checked).
PartitionedRun run_partitioned(const Matrix& memories, const Matrix& queries, const std::vector<std::int64_t>& targets,
                               const RetrievalSettings& s, const std::optional<FeatureMap>& map,
                               const std::vector<std::int64_t>& part_first, int threads) {
  ThreadParts parts(part_first);
  std::vector<PartitionedRun> runs(static_cast<std::size_t>(parts.parts()));
  parts.run_each(memories, threads, [&](const kernels::RowPartition& partition, const Matrix& local, int part) {
    const Retriever r(local, partition, s, map);
    PartitionedRun& out = runs[static_cast<std::size_t>(part)];
    r.advance(queries, out.next);
    out.states = queries;
    out.outcomes.resize(static_cast<std::size_t>(queries.rows));
    r.run(out.states, targets, out.outcomes);
  });
  for (const PartitionedRun& r : runs) {
    EXPECT_EQ(r.states.data, runs[0].states.data) << "parts disagree";
  }
  return runs[0];
}

TEST(Retrieval, ThreadTeamsGiveTheBitsOfOneThread) {
  // Work large enough for thread teams over several panels (the test above is small enough to
  // run on the calling thread): 1, 2 and 3 threads must give the one-thread bits, however an
  // OpenMP BLAS would split a GEMM.
  const std::int64_t d = 24, m = 300, n = 200;
  const Matrix memories = generate_memories(Distribution::gaussian, d, m, 43, 0);
  std::vector<std::int64_t> targets(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    targets[static_cast<std::size_t>(i)] = (i * 7) % m;
    ids[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(i);
  }
  Matrix queries(n, d);
  make_queries(QueryModel::parse("angle:30"), memories, targets, ids, 5, queries);
  for (const std::string& sep : kSeparations) {
    for (int model = 0; model < 2; ++model) {
      RetrievalSettings s;
      s.beta = 4.0;
      s.separation = Separation::parse(sep);
      s.max_iterations = 6;
      std::optional<FeatureMap> map;
      if (model == 1) {
        map = random_map(16, d, true, 99);
        s.khm_scores = KhmScores::normalized;
      }
      const PartitionedRun one = run_partitioned(memories, queries, targets, s, map, {0, m}, 1);
      for (int threads : {2, 3}) {
        const PartitionedRun got = run_partitioned(memories, queries, targets, s, map, {0, m}, threads);
        const std::string what = sep + " model " + std::to_string(model) + " threads " + std::to_string(threads);
        EXPECT_EQ(got.next.data, one.next.data) << what;
        EXPECT_EQ(got.states.data, one.states.data) << what;
        for (std::size_t i = 0; i < got.outcomes.size(); ++i) {
          EXPECT_EQ(got.outcomes[i].iterations, one.outcomes[i].iterations) << what << " query " << i;
          EXPECT_EQ(got.outcomes[i].distance, one.outcomes[i].distance) << what << " query " << i;
          EXPECT_EQ(got.outcomes[i].energy, one.outcomes[i].energy) << what << " query " << i;
        }
      }
    }
  }
}

TEST(Retrieval, PartitionsAndThreadsGiveBitwiseEqualStatesAndOutcomes) {
  // 29 memories in blocks of 3 (the last of 2), split into 1..5 parts of uneven, sometimes
  // empty, runs of whole blocks; 1 thread per part, and 2 for 1 and 5 parts. Every state, weight sum and
  // outcome must equal the one-part, one-thread run exactly.
  const std::int64_t d = 5, m = 29, n = 37;
  const Matrix memories = generate_memories(Distribution::sphere, d, m, 41, 0);
  std::vector<std::int64_t> targets(static_cast<std::size_t>(n));
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    targets[static_cast<std::size_t>(i)] = i % 4 == 3 ? -1 : (i * 5) % m;
    ids[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(i);
  }
  std::vector<std::int64_t> aimed = targets;
  for (auto& t : aimed) t = std::max<std::int64_t>(t, 0);
  Matrix queries(n, d);
  make_queries(QueryModel::parse("angle:35"), memories, aimed, ids, 3, queries);
  const std::vector<std::vector<std::int64_t>> splits = {
      {0, 29}, {0, 9, 29}, {0, 0, 12, 29}, {0, 3, 6, 27, 29}, {0, 6, 9, 9, 15, 29}};
  for (const std::string& sep : kSeparations) {
    for (int model = 0; model < 3; ++model) {
      RetrievalSettings s;
      s.beta = 9.0;
      s.separation = Separation::parse(sep);
      s.max_iterations = 8;
      s.memory_block = 3;
      std::optional<FeatureMap> map;
      if (model > 0) {
        map = random_map(4, d, model == 2, 97);
        s.khm_scores = model == 1 ? KhmScores::normalized : KhmScores::raw_features;
      }
      const PartitionedRun reference = run_partitioned(memories, queries, targets, s, map, splits[0], 1);
      // The one-part engine against the naive twin, so the common answer is also the right one.
      Matrix p_ref;
      const Matrix next_ref = ref::retrieval_step(memories, queries, s, map, p_ref);
      EXPECT_LT(max_abs_diff(reference.next, next_ref), 1e-12) << sep << " model " << model;
      for (const auto& split : splits) {
        for (int threads : {1, 2}) {
          if (threads == 2 && split.size() != 2 && split.size() != 6) continue;  // 1 and 5 parts
          const PartitionedRun got = run_partitioned(memories, queries, targets, s, map, split, threads);
          const std::string what = sep + " model " + std::to_string(model) + " parts " +
                                   std::to_string(split.size() - 1) + " threads " + std::to_string(threads);
          EXPECT_EQ(got.next.data, reference.next.data) << what;
          EXPECT_EQ(got.states.data, reference.states.data) << what;
          test::expect_bitwise_equal_outcomes(got.outcomes, reference.outcomes, what);
        }
      }
    }
  }
}

TEST(Retrieval, APartitionThatSplitsAMemoryBlockIsRefused) {
  const Matrix memories = generate_memories(Distribution::sphere, 3, 10, 1, 0);
  RetrievalSettings s;
  s.memory_block = 4;
  ThreadParts parts({0, 5, 10});  // 5 is not a multiple of 4
  const kernels::RowPartition p = parts.partition(0);
  Matrix local(5, 3);
  std::copy_n(memories.data.begin(), 15, local.data.begin());
  EXPECT_THROW(Retriever(local, p, s), ConfigError);
}

TEST(Retrieval, BadSettingsAreRejected) {
  const Matrix memories = generate_memories(Distribution::sphere, 3, 4, 1, 0);
  RetrievalSettings s;
  s.beta = 0.0;
  EXPECT_THROW(Retriever(memories, s), ConfigError);
  s.beta = 1.0;
  s.max_iterations = 0;
  EXPECT_THROW(Retriever(memories, s), ConfigError);
  s.max_iterations = 10;
  EXPECT_THROW(Retriever(memories, s, identity_feature_map(4, 2)), ConfigError);
}

TEST(Queries, AngleQueriesSitAtTheRequestedAngleOnTheMemorySphere) {
  const Matrix memories = generate_memories(Distribution::gaussian, 9, 5, 3, 0);
  for (double deg : {0.0, 10.0, 45.0, 90.0, 170.0}) {
    std::vector<std::int64_t> targets = {0, 1, 2, 3, 4, 0, 1};
    std::vector<std::uint64_t> ids = {0, 1, 2, 3, 4, 5, 6};
    Matrix q(7, 9);
    make_queries(QueryModel{QueryKind::angle, deg, {}}, memories, targets, ids, 4, q);
    for (std::int64_t i = 0; i < q.rows; ++i) {
      const double* xi = memories.row(targets[static_cast<std::size_t>(i)]);
      double dot = 0, nx = 0, nq = 0;
      for (std::int64_t j = 0; j < 9; ++j) {
        dot += xi[j] * q(i, j);
        nx += xi[j] * xi[j];
        nq += q(i, j) * q(i, j);
      }
      EXPECT_NEAR(std::sqrt(nq), std::sqrt(nx), 1e-12);
      EXPECT_NEAR(dot / std::sqrt(nx * nq), std::cos(deg * std::numbers::pi / 180), 1e-12);
    }
  }
}

// Memories of any finite scale whose squared norm is a double: the query lies at the angle, on
// the sphere of the memory's radius. 1e13 and 2^63 made the old redraw loop spin forever (its
// acceptance threshold grew with the norm); 1e-200 underflowed the squared norm to 0.
TEST(Queries, AngleQueriesWorkAtAnyRepresentableScale) {
  const test::BoundedTime bound(20);  // the old code never returned
  for (const double scale : {1e13, 0x1p63, 1e150, 1e-200}) {
    Matrix memories = generate_memories(Distribution::gaussian, 3, 4, 7, 0);
    for (std::int64_t j = 0; j < 3; ++j) memories(3, j) = j == 1 ? 1.0 : 0.0;  // on an axis
    for (double& v : memories.data) v *= scale;
    const std::vector<std::int64_t> targets = {0, 1, 2, 3, 3};
    const std::vector<std::uint64_t> ids = {0, 1, 2, 3, 4};
    Matrix q(5, 3);
    make_queries(QueryModel::parse("angle:30"), memories, targets, ids, 11, q);
    for (std::int64_t i = 0; i < q.rows; ++i) {
      const double* xi = memories.row(targets[static_cast<std::size_t>(i)]);
      double dot = 0, nx = 0, nq = 0;
      for (std::int64_t j = 0; j < 3; ++j) {  // in units of `scale`, so nothing overflows here
        const double a = xi[j] / scale;
        const double b = q(i, j) / scale;
        ASSERT_TRUE(std::isfinite(q(i, j))) << scale;
        dot += a * b;
        nx += a * a;
        nq += b * b;
      }
      EXPECT_NEAR(std::sqrt(nq) / std::sqrt(nx), 1.0, 1e-12) << scale;
      EXPECT_NEAR(dot / std::sqrt(nx * nq), std::cos(std::numbers::pi / 6), 1e-12) << scale;
    }
  }
}

TEST(Queries, AngleQueriesRefuseATargetWhoseNormOverflows) {
  const test::BoundedTime bound(20);
  Matrix memories(2, 3, 1.5e308);  // finite entries, norm 2.6e308 > DBL_MAX
  memories(0, 0) = 1.0;
  const std::vector<std::int64_t> targets = {1};
  const std::vector<std::uint64_t> ids = {0};
  Matrix q(1, 3);
  EXPECT_THROW(make_queries(QueryModel::parse("angle:10"), memories, targets, ids, 1, q),
               KernelError);
  memories(1, 2) = std::numeric_limits<double>::infinity();
  EXPECT_THROW(make_queries(QueryModel::parse("angle:10"), memories, targets, ids, 1, q),
               KernelError);
}

TEST(Queries, MaskZeroesTheRequestedNumberOfCoordinates) {
  const Matrix memories = generate_memories(Distribution::binary, 20, 3, 3, 0);  // no zero entries
  std::vector<std::int64_t> targets = {0, 1, 2};
  std::vector<std::uint64_t> ids = {0, 1, 2};
  Matrix q(3, 20);
  make_queries(QueryModel::parse("mask:0.35"), memories, targets, ids, 4, q);
  for (std::int64_t i = 0; i < 3; ++i) {
    int zeros = 0;
    for (std::int64_t j = 0; j < 20; ++j) {
      if (q(i, j) == 0.0) {
        ++zeros;
      } else {
        EXPECT_EQ(q(i, j), memories(i, j));
      }
    }
    EXPECT_EQ(zeros, 7);
  }
}

TEST(Queries, GaussianNoiseHasTheRequestedSpread) {
  const Matrix memories = generate_memories(Distribution::sphere, 50, 1, 3, 0);
  const std::int64_t n = 400;
  std::vector<std::int64_t> targets(static_cast<std::size_t>(n), 0);
  std::vector<std::uint64_t> ids(static_cast<std::size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  Matrix q(n, 50);
  make_queries(QueryModel::parse("gauss:0.3"), memories, targets, ids, 4, q);
  double sum = 0, sum2 = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < 50; ++j) {
      const double e = q(i, j) - memories(0, j);
      sum += e;
      sum2 += e * e;
    }
  }
  const double count = static_cast<double>(n * 50);
  EXPECT_NEAR(sum / count, 0.0, 0.01);                // sd of the mean 0.3/√20000 ≈ 0.002
  EXPECT_NEAR(std::sqrt(sum2 / count), 0.3, 0.006);  // relative sd ≈ 1/√40000
}

TEST(Queries, QueryDependsOnlyOnSeedAndIdNotOnBatchOrder) {
  const Matrix memories = generate_memories(Distribution::sphere, 5, 4, 3, 0);
  std::vector<std::int64_t> t1 = {0, 1, 2, 3};
  std::vector<std::uint64_t> i1 = {10, 11, 12, 13};
  std::vector<std::int64_t> t2 = {3, 1};
  std::vector<std::uint64_t> i2 = {13, 11};
  Matrix a(4, 5), b(2, 5);
  make_queries(QueryModel::parse("angle:30"), memories, t1, i1, 8, a);
  make_queries(QueryModel::parse("angle:30"), memories, t2, i2, 8, b);
  for (std::int64_t j = 0; j < 5; ++j) {
    EXPECT_EQ(a(3, j), b(0, j));
    EXPECT_EQ(a(1, j), b(1, j));
  }
}

TEST(Queries, DataQueriesNameTheirSourceAndAreNotGenerated) {
  const QueryModel data = QueryModel::parse("data:h5:test.h5:/images");
  EXPECT_EQ(data.kind, QueryKind::data);
  EXPECT_EQ(data.source, "h5:test.h5:/images");  // only the first colon separates the kind
  EXPECT_EQ(data.name(), "data:h5:test.h5:/images");
  EXPECT_FALSE(data.has_target());
  EXPECT_THROW(QueryModel::parse("data:"), ConfigError);
  const Matrix memories = generate_memories(Distribution::sphere, 3, 2, 1, 0);
  std::vector<std::int64_t> targets = {-1};
  std::vector<std::uint64_t> ids = {0};
  Matrix q(1, 3);
  EXPECT_THROW(make_queries(data, memories, targets, ids, 1, q), KernelError);
}

TEST(Queries, ParseRejectsBadModels) {
  EXPECT_THROW(QueryModel::parse("angle:200"), ConfigError);
  EXPECT_THROW(QueryModel::parse("gauss:-1"), ConfigError);
  EXPECT_THROW(QueryModel::parse("mask:1.5"), ConfigError);
  EXPECT_THROW(QueryModel::parse("mask:x"), ConfigError);
  EXPECT_THROW(QueryModel::parse("noise"), ConfigError);
  EXPECT_EQ(QueryModel::parse("angle:12.5").name(), "angle:12.5");
  EXPECT_EQ(QueryModel::parse("random").name(), "random");
}

}  // namespace
}  // namespace hopcap
