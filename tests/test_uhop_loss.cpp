// U-Hop+ losses: the tiled kernel against the naive long-double twin at awkward sizes and at
// every tile boundary, analytic gradients against finite differences, the τ-sandwich bounds,
// small τ, and results bitwise independent of the row partition and the thread count.

#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <omp.h>

#include "hopcap/error.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/memories.hpp"
#include "reference/uhop_ref.hpp"
#include "thread_parts.hpp"
#include "uhop_loss_checks.hpp"

namespace hopcap {
namespace {

using kernels::uhop_loss;

constexpr const auto& kKinds = test::kLossKinds;
using test::clustered_memories;
using test::identity_map;
using test::norm;
using test::random_map;
using test::relative_difference;

struct LossAndGradientRun {
  double loss = 0.0;
  Matrix grad_w;
  std::vector<double> grad_b;
};

TEST(UhopLoss, BlockedMatchesNaiveTwinAtAwkwardSizes) {
  for (UhopLossKind kind : kKinds) {
    for (std::int64_t m : {2, 7, 33, 65}) {
      for (std::int64_t dphi : {1, 2, 5}) {
        for (bool bias : {false, true}) {
          for (std::int64_t panel : {0, 1, 6}) {
            for (double tau : {1.0, 0.07}) {
              SCOPED_TRACE(to_string(kind) + " m=" + std::to_string(m) + " D=" + std::to_string(dphi) +
                           " bias=" + std::to_string(bias) + " panel=" + std::to_string(panel) +
                           " tau=" + std::to_string(tau));
              const std::int64_t d = 4;
              const Matrix x = generate_memories(Distribution::gaussian, d, m, 40 + m, 0);
              const FeatureMap map = random_map(dphi, d, bias, 7 + dphi);
              Matrix gw;
              std::vector<double> gb;
              const UhopLossValue v = uhop_loss(x, map, {kind, tau, panel}, &gw, &gb);
              const double expected = ref::uhop_loss(x, map, map, kind, tau);
              EXPECT_NEAR(v.loss, expected, 1e-12 * (1.0 + std::abs(expected)));
              Matrix rw;
              std::vector<double> rb;
              ref::uhop_gradient(x, map, kind, tau, rw, rb);
              if (norm(rw.data) > 1e-200) {
                EXPECT_LT(relative_difference(gw.data, rw.data), 1e-11);
              }
              ASSERT_EQ(gb.size(), rb.size());
              if (bias && norm(rb) > 1e-200) {
                EXPECT_LT(relative_difference(gb, rb), 1e-11);
              }
            }
          }
        }
      }
    }
  }
}

// Every tile-size boundary: M = k·T − 1, k·T, k·T + 1 for tile sides T of 1 (tiles of one
// row: a diagonal tile with no pair), 2, 3 and 5, so that the last block is full, of one row
// or one short, with an odd and an even block count (the round-robin schedule differs), and
// D_Φ odd. Loss and both gradients against the naive twin.
TEST(UhopLoss, TriangleTilesMatchTheNaiveTwinAtEveryTileBoundary) {
  for (UhopLossKind kind : kKinds) {
    for (std::int64_t tile : {1, 2, 3, 5}) {
      for (std::int64_t k = 1; k <= 4; ++k) {
        for (std::int64_t m : {k * tile - 1, k * tile, k * tile + 1}) {
          if (m < 2) continue;
          SCOPED_TRACE(to_string(kind) + " T=" + std::to_string(tile) + " M=" + std::to_string(m));
          const std::int64_t d = 3, dphi = 3;
          const Matrix x = generate_memories(Distribution::gaussian, d, m, 70 + m, 0);
          const FeatureMap map = random_map(dphi, d, true, 11);
          Matrix gw;
          std::vector<double> gb;
          const UhopLossValue v = uhop_loss(x, map, {kind, 0.3, tile}, &gw, &gb);
          const double expected = ref::uhop_loss(x, map, map, kind, 0.3);
          EXPECT_NEAR(v.loss, expected, 1e-12 * (1.0 + std::abs(expected)));
          Matrix rw;
          std::vector<double> rb;
          ref::uhop_gradient(x, map, kind, 0.3, rw, rb);
          EXPECT_LT(relative_difference(gw.data, rw.data), 1e-11);
          EXPECT_LT(relative_difference(gb, rb), 1e-11);
        }
      }
    }
  }
}

// τ below 1/250: tiles whose entries span more than 500 units of z = s/τ take one exponential
// per row and column shift, narrower ones one per entry after scanning the tile. Memories
// around one direction keep every cosine above about 0.8, so τ = 1e-3 gives narrow tiles
// and τ = 5e-5 wide ones. The error of z itself grows like ε/τ, hence the looser gradient
// bound.
TEST(UhopLoss, SmallTemperatureTilesMatchTheNaiveTwin) {
  const Matrix x = clustered_memories(4, 23);
  const FeatureMap id = identity_map(4);
  for (UhopLossKind kind : kKinds) {
    for (double tau : {1e-3, 5e-5}) {
      for (std::int64_t tile : {4, 0}) {
        SCOPED_TRACE(to_string(kind) + " tau=" + std::to_string(tau) + " T=" + std::to_string(tile));
        Matrix gw;
        std::vector<double> gb;
        const UhopLossValue v = uhop_loss(x, id, {kind, tau, tile}, &gw, &gb);
        const double expected = ref::uhop_loss(x, id, id, kind, tau);
        EXPECT_NEAR(v.loss, expected, 1e-12 * (1.0 + std::abs(expected)));
        Matrix rw;
        std::vector<double> rb;
        ref::uhop_gradient(x, id, kind, tau, rw, rb);
        EXPECT_LT(relative_difference(gw.data, rw.data), 1e-9);
      }
    }
  }
}

// per_memory keeps its first pass's tiles for the gradient pass (all, some or none) and computes
// the others again: the same bits either way, at every thread count, and for tiles that need
// one exponential per entry or per row.
TEST(UhopLoss, PerMemoryKeptAndRecomputedTilesGiveTheSameBits) {
  const Matrix x = generate_memories(Distribution::gaussian, 6, 150, 12, 0);
  const FeatureMap map = random_map(5, 6, true, 13);
  const int saved = omp_get_max_threads();
  for (double tau : {0.2, 1e-3}) {
    for (std::int64_t tile : {7, 0}) {
      std::vector<std::pair<Matrix, std::vector<double>>> runs;
      std::vector<double> losses;
      // Every tile kept, none, and the first 5 (tiles of 7² entries; automatic: one of 64²).
      const std::int64_t some = tile == 0 ? 64 * 64 : 5 * 7 * 7 + 3;
      for (const std::int64_t kept : {std::int64_t{-1}, std::int64_t{0}, std::int64_t{1} << 40, some}) {
        for (int threads : {1, 2, 3}) {
          omp_set_num_threads(threads);
          Matrix gw;
          std::vector<double> gb;
          UhopLossOptions options{UhopLossKind::per_memory, tau, tile};
          options.kept_entries = kept;
          losses.push_back(uhop_loss(x, map, options, &gw, &gb).loss);
          runs.emplace_back(std::move(gw), std::move(gb));
        }
      }
      omp_set_num_threads(saved);
      for (std::size_t i = 1; i < runs.size(); ++i) {
        EXPECT_EQ(losses[i], losses[0]) << "tau " << tau << " tile " << tile << " run " << i;
        EXPECT_EQ(runs[i].first.data, runs[0].first.data) << "tau " << tau << " tile " << tile << " run " << i;
        EXPECT_EQ(runs[i].second, runs[0].second) << "tau " << tau << " tile " << tile << " run " << i;
      }
    }
  }
}

// Central differences over every entry of W and b. as_coded is differentiated in its first
// factor only (the second is the detached copy), which is what its gradient means.
void expect_gradient_matches_finite_differences(UhopLossKind kind, std::int64_t m, std::int64_t d,
                                                std::int64_t dphi, double tau, bool bias) {
  SCOPED_TRACE(to_string(kind) + " M=" + std::to_string(m) + " d=" + std::to_string(d) +
               " D=" + std::to_string(dphi) + " tau=" + std::to_string(tau));
  const Matrix x = generate_memories(Distribution::sphere, d, m, 100 + m, 0);
  const FeatureMap map = random_map(dphi, d, bias, 50 + d);
  Matrix gw;
  std::vector<double> gb;
  uhop_loss(x, map, {kind, tau, 0}, &gw, &gb);
  auto loss_at = [&](const FeatureMap& moved) {
    if (kind == UhopLossKind::as_coded) return ref::uhop_loss(x, moved, map, kind, tau);
    return uhop_loss(x, moved, {kind, tau, 0}).loss;
  };
  const double h = 1e-6;
  std::vector<double> fd_w(gw.data.size());
  for (std::size_t i = 0; i < fd_w.size(); ++i) {
    FeatureMap plus = map, minus = map;
    plus.weight.data[i] += h;
    minus.weight.data[i] -= h;
    fd_w[i] = (loss_at(plus) - loss_at(minus)) / (2.0 * h);
  }
  EXPECT_LT(relative_difference(gw.data, fd_w), 1e-6);
  if (bias) {
    std::vector<double> fd_b(gb.size());
    for (std::size_t i = 0; i < fd_b.size(); ++i) {
      FeatureMap plus = map, minus = map;
      plus.bias[i] += h;
      minus.bias[i] -= h;
      fd_b[i] = (loss_at(plus) - loss_at(minus)) / (2.0 * h);
    }
    EXPECT_LT(relative_difference(gb, fd_b), 1e-6);
  }
}

TEST(UhopLoss, PairwiseGradientMatchesFiniteDifferences) {
  expect_gradient_matches_finite_differences(UhopLossKind::pairwise, 5, 3, 3, 1.0, false);
  expect_gradient_matches_finite_differences(UhopLossKind::pairwise, 12, 6, 3, 0.1, true);
  expect_gradient_matches_finite_differences(UhopLossKind::pairwise, 40, 8, 5, 0.05, false);
}

TEST(UhopLoss, PerMemoryGradientMatchesFiniteDifferences) {
  expect_gradient_matches_finite_differences(UhopLossKind::per_memory, 5, 3, 3, 1.0, false);
  expect_gradient_matches_finite_differences(UhopLossKind::per_memory, 12, 6, 3, 0.1, true);
  expect_gradient_matches_finite_differences(UhopLossKind::per_memory, 40, 8, 5, 0.05, false);
}

TEST(UhopLoss, AsCodedGradientMatchesFiniteDifferencesOfTheUndetachedFactor) {
  expect_gradient_matches_finite_differences(UhopLossKind::as_coded, 5, 3, 3, 1.0, false);
  expect_gradient_matches_finite_differences(UhopLossKind::as_coded, 12, 6, 3, 0.1, true);
  expect_gradient_matches_finite_differences(UhopLossKind::as_coded, 40, 8, 5, 0.05, false);
}

TEST(UhopLoss, PairwiseIsSandwichedBetweenSmaxMinusTauLogPAndSmax) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    for (double tau : {2.0, 0.3, 0.01, 1e-3}) {
      const std::int64_t m = 3 + static_cast<std::int64_t>(seed) * 4;
      const Matrix x = generate_memories(Distribution::gaussian, 6, m, seed, 0);
      const FeatureMap map = random_map(4, 6, seed % 2 == 1, seed);
      const UhopLossValue v = uhop_loss(x, map, {UhopLossKind::pairwise, tau, 0});
      const double pairs = static_cast<double>(m) * static_cast<double>(m - 1) / 2.0;
      EXPECT_LE(v.loss, v.s_max + 1e-13) << seed << " " << tau;
      EXPECT_GE(v.loss, v.s_max - tau * std::log(pairs) - 1e-13) << seed << " " << tau;
    }
  }
}

TEST(UhopLoss, TinyTemperatureStaysFiniteAndApproachesSmax) {
  const Matrix x = generate_memories(Distribution::gaussian, 16, 600, 5, 0);
  const FeatureMap map = random_map(8, 16, false, 6);
  for (UhopLossKind kind : kKinds) {
    for (double tau : {1e-3, 1e-4, 1e-5}) {
      Matrix gw;
      const UhopLossValue v = uhop_loss(x, map, {kind, tau, 0}, &gw);
      ASSERT_TRUE(std::isfinite(v.loss)) << to_string(kind) << " tau=" << tau;
      for (double g : gw.data) ASSERT_TRUE(std::isfinite(g)) << to_string(kind) << " tau=" << tau;
      if (kind == UhopLossKind::pairwise) {
        EXPECT_LE(v.s_max - v.loss, tau * std::log(600.0 * 599.0 / 2.0) + 1e-12);
      }
    }
  }
}

TEST(UhopLoss, SmaxAndClosestPairAreThoseOfTheNormalisedFeatures) {
  // Identity map on the square's vertices plus one point near (1,0): the closest pair is (0,4).
  Matrix x(5, 2);
  const double pts[5][2] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}, {std::cos(0.1), std::sin(0.1)}};
  for (int i = 0; i < 5; ++i) {
    x(i, 0) = 3.0 * pts[i][0];  // scale does not matter after normalisation
    x(i, 1) = 3.0 * pts[i][1];
  }
  FeatureMap id{Matrix(2, 2), {}};
  id.weight(0, 0) = id.weight(1, 1) = 1.0;
  for (UhopLossKind kind : kKinds) {
    const UhopLossValue v = uhop_loss(x, id, {kind, 0.5, 2});
    EXPECT_NEAR(v.s_max, std::cos(0.1), 1e-15);
    EXPECT_EQ(v.closest[0], 0);
    EXPECT_EQ(v.closest[1], 4);
  }
}

TEST(UhopLoss, ResultDoesNotDependOnTheThreadCount) {
  // Tile sides that give odd and even block counts and a short last block; 1, 2 and 3 threads.
  const Matrix x = generate_memories(Distribution::gaussian, 9, 300, 8, 0);
  const FeatureMap map = random_map(5, 9, true, 9);
  const int saved = omp_get_max_threads();
  for (UhopLossKind kind : kKinds) {
    for (std::int64_t tile : {16, 23, 37, 0}) {
      std::vector<LossAndGradientRun> runs;
      for (int threads : {1, 2, 3}) {
        omp_set_num_threads(threads);
        LossAndGradientRun r;
        r.loss = uhop_loss(x, map, {kind, 0.2, tile}, &r.grad_w, &r.grad_b).loss;
        runs.push_back(std::move(r));
      }
      omp_set_num_threads(saved);
      for (std::size_t i = 1; i < runs.size(); ++i) {
        const std::string what = to_string(kind) + " tile " + std::to_string(tile) + " threads " + std::to_string(i + 1);
        EXPECT_EQ(runs[i].loss, runs[0].loss) << what;
        EXPECT_EQ(runs[i].grad_w.data, runs[0].grad_w.data) << what;
        EXPECT_EQ(runs[i].grad_b, runs[0].grad_b) << what;
      }
    }
  }
}

TEST(UhopLoss, BadInputIsRejected) {
  const Matrix x = generate_memories(Distribution::gaussian, 3, 4, 1, 0);
  const FeatureMap map = random_map(2, 3, false, 2);
  EXPECT_THROW(uhop_loss(x, map, {UhopLossKind::pairwise, 0.0, 0}), ConfigError);
  EXPECT_THROW(uhop_loss(x, map, {UhopLossKind::pairwise, -1.0, 0}), ConfigError);
  EXPECT_THROW(uhop_loss(x, map, {UhopLossKind::pairwise, std::nan(""), 0}), ConfigError);
  EXPECT_THROW(uhop_loss(x, map, {UhopLossKind::pairwise, 0.1, -2}), ConfigError);
  UhopLossOptions bad_kept{UhopLossKind::per_memory, 0.1, 0};
  bad_kept.kept_entries = -2;
  EXPECT_THROW(uhop_loss(x, map, bad_kept), ConfigError);
  EXPECT_THROW(uhop_loss(generate_memories(Distribution::gaussian, 3, 1, 1, 0), map, {}), ConfigError);
  EXPECT_THROW(uhop_loss(generate_memories(Distribution::gaussian, 5, 4, 1, 0), map, {}), ConfigError);
  FeatureMap zero{Matrix(2, 3), {}};
  EXPECT_THROW(uhop_loss(x, zero, {}), KernelError);
  EXPECT_THROW(parse_uhop_loss("pairwize"), ConfigError);
  for (UhopLossKind kind : kKinds) EXPECT_EQ(parse_uhop_loss(to_string(kind)), kind);
}

using hopcap::test::ThreadParts;

using test::LossAndGradient;
using test::expect_bitwise_equal;

// Runs every part of `part_first` on its own thread with `threads` OpenMP threads each, and
// returns what part 0 got (every part must get the same, bit for bit; checked).
LossAndGradient run_parts(const Matrix& x, const FeatureMap& map, const UhopLossOptions& options,
                          const std::vector<std::int64_t>& part_first, int threads) {
  ThreadParts parts(part_first);
  std::vector<LossAndGradient> runs(static_cast<std::size_t>(parts.parts()));
  parts.run_each(x, threads, [&](const kernels::RowPartition& partition, const Matrix& local, int part) {
    LossAndGradient& out = runs[static_cast<std::size_t>(part)];
    out.value = kernels::uhop_loss_partitioned(local, partition, map, options, &out.grad_w, &out.grad_b);
  });
  for (std::size_t p = 1; p < runs.size(); ++p) expect_bitwise_equal(runs[p], runs[0], "parts disagree");
  return runs[0];
}

TEST(UhopLoss, PartitionsAndThreadsGiveBitwiseEqualLossAndGradients) {
  // 37 memories in blocks of 4 (the last of 1) and in automatic blocks, split into 1..4 parts
  // of uneven sizes that cut blocks, some parts empty; 1, 2 and 3 threads per part. Loss,
  // s_max, closest pair and both gradients must equal the one-part, one-thread result exactly,
  // which itself matches the naive twin.
  const std::int64_t d = 5, m = 37, dphi = 4;
  const Matrix x = generate_memories(Distribution::gaussian, d, m, 23, 0);
  const FeatureMap map = random_map(dphi, d, true, 31);
  const std::vector<std::vector<std::int64_t>> splits = {
      {0, 37}, {0, 18, 37}, {0, 0, 11, 37}, {0, 5, 6, 30, 37}, {0, 0, 37, 37, 37}};
  for (UhopLossKind kind : kKinds) {
    for (std::int64_t panel : {4, 0}) {
      const UhopLossOptions options{kind, 0.15, panel};
      const std::string what = to_string(kind) + " panel " + std::to_string(panel);
      const LossAndGradient reference = run_parts(x, map, options, splits[0], 1);
      const double expected = ref::uhop_loss(x, map, map, kind, 0.15);
      EXPECT_NEAR(reference.value.loss, expected, 1e-12 * (1.0 + std::abs(expected))) << what;
      Matrix rw;
      std::vector<double> rb;
      ref::uhop_gradient(x, map, kind, 0.15, rw, rb);
      EXPECT_LT(relative_difference(reference.grad_w.data, rw.data), 1e-11) << what;
      EXPECT_LT(relative_difference(reference.grad_b, rb), 1e-11) << what;
      for (const auto& split : splits) {
        for (int threads : {1, 2, 3}) {
          expect_bitwise_equal(run_parts(x, map, options, split, threads), reference,
                               what + " parts " + std::to_string(split.size() - 1) + " threads " +
                                   std::to_string(threads));
        }
      }
    }
  }
}

TEST(UhopLoss, OneLargeBlockGivesTheSameBitsAtEveryThreadCount) {
  // One block of 256 rows: GEMMs big enough for a threaded BLAS to split them over threads, the
  // case where a split that follows the thread count would change the last bits.
  const std::int64_t d = 64, m = 256, dphi = 64;
  const Matrix x = generate_memories(Distribution::sphere, d, m, 5, 0);
  const FeatureMap map = random_map(dphi, d, false, 6);
  const int saved = omp_get_max_threads();
  for (UhopLossKind kind : kKinds) {
    const UhopLossOptions options{kind, 0.1, m};
    std::vector<LossAndGradient> runs;
    for (int threads : {1, 2, 3}) {
      omp_set_num_threads(threads);
      LossAndGradient r;
      r.value = uhop_loss(x, map, options, &r.grad_w, &r.grad_b);
      runs.push_back(std::move(r));
    }
    omp_set_num_threads(saved);
    for (std::size_t i = 1; i < runs.size(); ++i) {
      expect_bitwise_equal(runs[i], runs[0], to_string(kind) + " threads " + std::to_string(i + 1));
    }
  }
}

}  // namespace
}  // namespace hopcap
