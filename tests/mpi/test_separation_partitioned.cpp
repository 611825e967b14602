// Separation metrics of a memory set partitioned by rows across the ranks of MPI_COMM_WORLD
// (each pair computed once, by one rank) agree bitwise with the single-process report and with the
// naive reference twin: scalars on every rank, per-row values on their owner, indices exactly
// (also among exact ties), and the well-separation count summed over ranks; also for
// partitions with empty parts. The sampled estimate agrees with its single-process twin and
// bounds the exact values.

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "hopcap/codes.hpp"
#include "hopcap/error.hpp"
#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/parallel/group.hpp"
#include "hopcap/uhop.hpp"
#include "near_ties.hpp"
#include "partition_support.hpp"
#include "reference/metrics_ref.hpp"
#include "hopcap/well_separation.hpp"

namespace hopcap {
namespace {

using parallel::Group;
using test::rows_of;

// Bitwise agreement: every value a report keeps is the fixed-order inner product of its pair
// (the BLAS tiles, whose shapes follow the partition, only screen), and both reports combine
// them by the same rules.
void expect_identical(double got, double want, const std::string& where) { EXPECT_EQ(got, want) << where; }

void expect_same_report(const kernels::SeparationReport& got, const kernels::SeparationReport& ref,
                        std::int64_t first, const std::string& where) {
  ASSERT_EQ(got.m, ref.m) << where;
  ASSERT_EQ(got.dim, ref.dim) << where;
  expect_identical(got.raw_delta_min, ref.raw_delta_min, where);
  EXPECT_EQ(got.raw_argmin, ref.raw_argmin) << where;
  expect_identical(got.max_norm, ref.max_norm, where);
  expect_identical(got.min_norm, ref.min_norm, where);
  expect_identical(got.max_cos, ref.max_cos, where);
  expect_identical(got.delta_min_sphere, ref.delta_min_sphere, where);
  EXPECT_EQ(got.closest_pair, ref.closest_pair) << where;
  EXPECT_EQ(got.min_angle_deg, ref.min_angle_deg) << where;
  for (std::size_t i = 0; i < got.raw_delta.size(); ++i) {
    const std::size_t g = static_cast<std::size_t>(first) + i;
    expect_identical(got.raw_delta[i], ref.raw_delta[g], where + ", row " + std::to_string(g));
    expect_identical(got.row_max_cos[i], ref.row_max_cos[g], where + ", row " + std::to_string(g));
    EXPECT_EQ(got.raw_nearest[i], ref.raw_nearest[g]) << where << ", row " << g;
    EXPECT_EQ(got.nearest[i], ref.nearest[g]) << where << ", row " << g;
  }
}

// Every rank must hold bitwise the same scalars.
void expect_same_on_every_rank(const Group& world, const kernels::SeparationReport& r) {
  std::vector<double> mine{r.raw_delta_min,  r.max_cos, r.min_angle_deg, r.max_norm, r.min_norm,
                           static_cast<double>(r.closest_pair[0]), static_cast<double>(r.closest_pair[1]),
                           static_cast<double>(r.raw_argmin)};
  std::vector<double> root = mine;
  world.broadcast(root);
  EXPECT_EQ(mine, root);
}

// The per-row values and indices of the naive twin (plain loops over all ordered pairs).
void expect_matches_twin(const kernels::SeparationReport& got, const Matrix& x, std::int64_t first,
                         const std::string& where) {
  const ref::Separation want = ref::separation(x);
  const double raw_scale = std::max(1.0, want.max_norm * want.max_norm);
  const auto near = [&](double a, double b, double scale) {
    return std::isinf(b) ? a == b : std::abs(a - b) <= 1e-13 * scale;
  };
  EXPECT_TRUE(near(got.raw_delta_min, want.raw_delta_min, raw_scale)) << where << ": " << got.raw_delta_min;
  EXPECT_NEAR(got.max_cos, want.max_cos, 1e-13) << where;
  EXPECT_NEAR(got.min_angle_deg, want.min_angle_deg, 1e-9) << where;
  EXPECT_EQ(got.raw_argmin, want.raw_argmin) << where;
  EXPECT_EQ(got.closest_pair, want.closest_pair) << where;
  for (std::size_t i = 0; i < got.raw_delta.size(); ++i) {
    const std::size_t g = static_cast<std::size_t>(first) + i;
    EXPECT_TRUE(near(got.raw_delta[i], want.raw_delta[g], raw_scale)) << where << ", row " << g;
    EXPECT_NEAR(got.row_max_cos[i], want.row_max_cos[g], 1e-13) << where << ", row " << g;
    EXPECT_EQ(got.raw_nearest[i], want.raw_nearest[g]) << where << ", row " << g;
    EXPECT_EQ(got.nearest[i], want.nearest[g]) << where << ", row " << g;
  }
}

// A partition of m rows over the ranks with the given part sizes (summing to m).
kernels::RowPartition partition_with(const Group& world, std::int64_t m, const std::vector<std::int64_t>& sizes) {
  kernels::RowPartition p = world.row_partition(m);
  p.part_first.assign(1, 0);
  for (const std::int64_t n : sizes) p.part_first.push_back(p.part_first.back() + n);
  p.first = p.part_first[static_cast<std::size_t>(world.rank())];
  return p;
}

TEST(PartitionedSeparation, EachPairOnceMatchesTheTwinOnUnevenPartitions) {
  // Parts of very different sizes, empty ones first, last and in between, so that the ring
  // schedule's halves and skipped visitors are exercised at every rank count.
  const Group world(MPI_COMM_WORLD);
  const int ranks = world.size();
  for (const std::int64_t m : {1, 2, 5, 13, 40}) {
    std::vector<std::vector<std::int64_t>> layouts;
    layouts.push_back(std::vector<std::int64_t>(static_cast<std::size_t>(ranks), 0));
    layouts.back().back() = m;  // everything on the last rank
    layouts.push_back(std::vector<std::int64_t>(static_cast<std::size_t>(ranks), 0));
    layouts.back().front() = m;  // everything on the first rank
    std::vector<std::int64_t> skewed(static_cast<std::size_t>(ranks), 0);
    std::int64_t left = m;
    for (int r = 0; r < ranks && left > 0; r += 2) {  // odd ranks empty, sizes 1, 2, 4, ...
      const std::int64_t n = r + 2 >= ranks ? left : std::min(left, std::int64_t{1} << r);
      skewed[static_cast<std::size_t>(r)] = n;
      left -= n;
    }
    skewed.back() += left;
    layouts.push_back(skewed);
    for (const auto& sizes : layouts) {
      for (const std::int64_t block : {1, 3, 512}) {
        const Matrix memories = generate_memories(Distribution::gaussian, 4, m, 31, 0);
        const kernels::RowPartition partition = partition_with(world, m, sizes);
        const std::int64_t count = partition.rows_of(world.rank());
        const kernels::SeparationReport got =
            kernels::separation_report_partitioned(rows_of(memories, partition.first, count), partition, {block});
        std::string where = "M = " + std::to_string(m) + ", block = " + std::to_string(block) + ", parts";
        for (const std::int64_t n : sizes) where += " " + std::to_string(n);
        ASSERT_EQ(static_cast<std::int64_t>(got.raw_delta.size()), count) << where;
        expect_same_report(got, kernels::separation_report(memories, {block}), partition.first, where);
        expect_matches_twin(got, memories, partition.first, where);
        expect_same_on_every_rank(world, got);
      }
    }
  }
}

TEST(PartitionedSeparation, EstimateMatchesItsSingleProcessTwinAndBoundsTheExactValues) {
  const Group world(MPI_COMM_WORLD);
  for (const std::int64_t m : {2, 3, 11, 50}) {
    for (const std::int64_t sample_size : {std::int64_t{1}, std::int64_t{4}, m}) {
      const Matrix memories = generate_memories(Distribution::gaussian, 5, m, 8, 0);
      const std::vector<std::int64_t> sample = kernels::sample_rows(m, sample_size, 77);
      const kernels::SeparationReport single =
          kernels::separation_estimate_partitioned(memories, kernels::RowPartition::whole(m), sample, {4});
      const kernels::SeparationReport exact = kernels::separation_report(memories);
      std::int64_t first = 0, count = 0;
      Group::split_rows(m, world.size(), world.rank(), first, count);
      const kernels::SeparationReport got = kernels::separation_estimate_partitioned(
          rows_of(memories, first, count), world.row_partition(m), sample, {4});
      const std::string where = "M = " + std::to_string(m) + ", sample " + std::to_string(sample_size);
      expect_same_on_every_rank(world, got);
      // Per-row vectors: the sampled rows, on every rank; compared with the single process.
      expect_same_report(got, single, 0, where);
      ASSERT_EQ(got.raw_delta.size(), sample.size()) << where;
      for (std::size_t k = 0; k < sample.size(); ++k) {
        EXPECT_EQ(got.nearest[k], exact.nearest[static_cast<std::size_t>(sample[k])]) << where;
      }
      EXPECT_LE(got.max_cos, exact.max_cos + 1e-15) << where;
      EXPECT_GE(got.raw_delta_min, exact.raw_delta_min - 1e-13 * std::max(1.0, exact.max_norm * exact.max_norm))
          << where;
      EXPECT_GE(got.min_angle_deg, exact.min_angle_deg - 1e-9) << where;
      if (sample_size >= m - 1) {
        EXPECT_EQ(got.closest_pair, exact.closest_pair) << where;
        EXPECT_EQ(got.raw_argmin, exact.raw_argmin) << where;
      }
    }
  }
}

TEST(PartitionedSeparation, MatchesTheSingleProcessReport) {
  const Group world(MPI_COMM_WORLD);
  // Awkward sizes: fewer rows than ranks, rows not divisible by the ranks, tiles smaller
  // than a rank's rows; unnormalised Gaussian memories so raw and spherical values differ.
  for (const std::int64_t m : {1, 2, 3, 7, 37, 67}) {
    for (const std::int64_t block : {1, 2, 5, 512}) {
      const Matrix memories = generate_memories(Distribution::gaussian, 6, m, 23, 0);
      const kernels::SeparationReport ref = kernels::separation_report(memories, {block});
      std::int64_t first = 0, count = 0;
      Group::split_rows(m, world.size(), world.rank(), first, count);
      const kernels::SeparationReport got = kernels::separation_report_partitioned(
          rows_of(memories, first, count), world.row_partition(m), {block});
      const std::string where = "M = " + std::to_string(m) + ", block = " + std::to_string(block) +
                                ", ranks = " + std::to_string(world.size());
      expect_same_report(got, ref, first, where);
      expect_matches_twin(got, memories, first, where);
      expect_same_on_every_rank(world, got);
      ASSERT_EQ(static_cast<std::int64_t>(got.raw_delta.size()), count) << where;
    }
  }
}

TEST(PartitionedSeparation, RoundingLevelTiesNameTheSamePartnerOnEveryPartition) {
  // The 600-cell and the E8 roots, rotated: each vector has 12 (56) partners at the same angle
  // up to rounding, and which one wins must not depend on the tiles the partition implies.
  const Group world(MPI_COMM_WORLD);
  for (const Matrix& code : {test::rotated(codes::cell600()), test::rotated(codes::e8_roots())}) {
    const std::int64_t m = code.rows;
    for (const std::int64_t block : {1, 5, 512}) {
      const kernels::SeparationReport ref = kernels::separation_report(code, {block});
      std::int64_t first = 0, count = 0;
      Group::split_rows(m, world.size(), world.rank(), first, count);
      const kernels::SeparationReport got =
          kernels::separation_report_partitioned(rows_of(code, first, count), world.row_partition(m), {block});
      const std::string where = "M = " + std::to_string(m) + ", block = " + std::to_string(block);
      expect_same_report(got, ref, first, where);
      expect_same_on_every_rank(world, got);
    }
  }
}

// float32 tiles only screen: every kept value is still the float64 fixed-order one, so the
// partitioned report with float32 tiles is bitwise the single-process float64 report, also on
// rounding-level ties and for a set whose entries float32 cannot hold (then float64 tiles).
TEST(PartitionedSeparation, Float32TilesGiveTheFloat64ReportOnEveryPartition) {
  const Group world(MPI_COMM_WORLD);
  Matrix huge = generate_memories(Distribution::gaussian, 5, 40, 31, 0);
  for (double& e : huge.data) e *= 1e30;
  const std::vector<std::pair<std::string, Matrix>> sets{
      {"gaussian d=6", generate_memories(Distribution::gaussian, 6, 67, 23, 0)},
      {"rotated 600-cell", test::rotated(codes::cell600())},
      {"rotated E8 roots", test::rotated(codes::e8_roots())},
      {"entries of 1e30", huge}};
  for (const auto& [name, x] : sets) {
    const std::int64_t m = x.rows;
    for (const std::int64_t block : {1, 5, 512}) {
      kernels::SeparationOptions double_tiles{block};
      double_tiles.float32_tiles = false;
      const kernels::SeparationReport ref = kernels::separation_report(x, double_tiles);
      std::int64_t first = 0, count = 0;
      Group::split_rows(m, world.size(), world.rank(), first, count);
      kernels::SeparationOptions single{block};
      single.float32_tiles = true;
      const kernels::SeparationReport got =
          kernels::separation_report_partitioned(rows_of(x, first, count), world.row_partition(m), single);
      const std::string where = name + ", block = " + std::to_string(block);
      expect_same_report(got, ref, first, where);
      expect_same_on_every_rank(world, got);
      const std::vector<std::int64_t> sample = kernels::sample_rows(m, 9, 5);
      const kernels::SeparationReport est_ref =
          kernels::separation_estimate_partitioned(x, kernels::RowPartition::whole(m), sample, double_tiles);
      const kernels::SeparationReport est = kernels::separation_estimate_partitioned(
          rows_of(x, first, count), world.row_partition(m), sample, single);
      expect_same_report(est, est_ref, 0, where + ", estimate");
    }
  }
}

TEST(PartitionedSeparation, ExactTiesGoToTheSmallestIndex) {
  // The cross-polytope ±e_k: all Gram entries are exactly 0 or ±1, so every memory has many
  // partners at the same cosine (0); the report must name the smallest of them, and the
  // closest pair must be the lexicographically first, (0, 2): rows are e_0, −e_0, e_1, −e_1, ...
  const Group world(MPI_COMM_WORLD);
  const Matrix code = codes::cross_polytope(5);
  const std::int64_t m = code.rows;
  const kernels::SeparationReport ref = kernels::separation_report(code);
  std::int64_t first = 0, count = 0;
  Group::split_rows(m, world.size(), world.rank(), first, count);
  const kernels::SeparationReport got =
      kernels::separation_report_partitioned(rows_of(code, first, count), world.row_partition(m), {3});
  expect_same_report(got, ref, first, "cross-polytope");
  EXPECT_EQ(got.max_cos, 0.0);
  EXPECT_EQ(got.min_angle_deg, 90.0);
  EXPECT_EQ(got.closest_pair[0], 0);
  EXPECT_EQ(got.closest_pair[1], 2);
}

TEST(PartitionedSeparation, FeaturesAndWellSeparationMatch) {
  const Group world(MPI_COMM_WORLD);
  const std::int64_t m = 29;
  const Matrix memories = generate_memories(Distribution::sphere, 7, m, 5, 0);
  const FeatureMap map = initial_uhop_map(UhopInit::gaussian, 4, 7, true, 11, 0);
  const kernels::SeparationReport ref = kernels::feature_separation_report(memories, map.weight, map.bias);
  std::int64_t first = 0, count = 0;
  Group::split_rows(m, world.size(), world.rank(), first, count);
  const Matrix local = rows_of(memories, first, count);
  const kernels::SeparationReport got =
      kernels::feature_separation_report_partitioned(local, world.row_partition(m), map.weight, map.bias);
  expect_same_report(got, ref, first, "features");

  // Stored counts: per part against the threshold of all M, summed over the ranks. β is
  // chosen so that some but not all memories pass, which the test checks first.
  for (const double beta : {30.0, 300.0}) {
    for (const SeparationSpace space : {SeparationSpace::raw, SeparationSpace::sphere}) {
      const WellSeparation whole = check_well_separation(ref, space, beta);
      const WellSeparation part = check_well_separation(got, space, beta);
      EXPECT_EQ(part.threshold, whole.threshold);
      std::vector<std::int64_t> stored{part.stored_count};
      world.sum(stored);
      EXPECT_EQ(stored[0], whole.stored_count) << "beta = " << beta;
    }
  }
  const WellSeparation some = check_well_separation(ref, SeparationSpace::sphere, 300.0);
  EXPECT_GT(some.stored_count, 0);
  EXPECT_LT(some.stored_count, m);
}

TEST(PartitionedSeparation, AZeroRowFailsOnEveryRank) {
  const Group world(MPI_COMM_WORLD);
  const std::int64_t m = 9;
  Matrix memories = generate_memories(Distribution::sphere, 3, m, 2, 0);
  std::fill_n(memories.row(m - 1), 3, 0.0);  // owned by the last rank only
  std::int64_t first = 0, count = 0;
  Group::split_rows(m, world.size(), world.rank(), first, count);
  try {
    kernels::separation_report_partitioned(rows_of(memories, first, count), world.row_partition(m));
    ADD_FAILURE() << "a zero row was accepted";
  } catch (const KernelError& e) {
    EXPECT_NE(std::string(e.what()).find("vector 8"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hopcap
