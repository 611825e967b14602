// Separation metrics of a memory set partitioned by rows across the ranks of MPI_COMM_WORLD
// agree with the single-process report: scalars on every rank, per-row values on their owner,
// indices exactly (also among exact ties), and the well-separation count summed over ranks.

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hopcap/codes.hpp"
#include "hopcap/error.hpp"
#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/metrics.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/parallel/group.hpp"
#include "partition_support.hpp"
#include "hopcap/uhop.hpp"
#include "hopcap/well_separation.hpp"

namespace hopcap {
namespace {

using parallel::Group;
using test::rows_of;

// Relative agreement of values computed from Gram entries formed in a different order.
void expect_close(double got, double want, const std::string& where) {
  if (std::isinf(want)) {
    EXPECT_EQ(got, want) << where;
  } else {
    EXPECT_NEAR(got, want, 1e-13 * std::max(1.0, std::abs(want))) << where;
  }
}

void expect_same_report(const kernels::SeparationReport& got, const kernels::SeparationReport& ref,
                        std::int64_t first, const std::string& where) {
  ASSERT_EQ(got.m, ref.m) << where;
  ASSERT_EQ(got.dim, ref.dim) << where;
  expect_close(got.raw_delta_min, ref.raw_delta_min, where);
  EXPECT_EQ(got.raw_argmin, ref.raw_argmin) << where;
  expect_close(got.max_norm, ref.max_norm, where);
  expect_close(got.min_norm, ref.min_norm, where);
  expect_close(got.max_cos, ref.max_cos, where);
  expect_close(got.delta_min_sphere, ref.delta_min_sphere, where);
  EXPECT_EQ(got.closest_pair, ref.closest_pair) << where;
  EXPECT_NEAR(got.min_angle_deg, ref.min_angle_deg, 1e-9) << where;
  for (std::size_t i = 0; i < got.raw_delta.size(); ++i) {
    const std::size_t g = static_cast<std::size_t>(first) + i;
    expect_close(got.raw_delta[i], ref.raw_delta[g], where + ", row " + std::to_string(g));
    expect_close(got.row_max_cos[i], ref.row_max_cos[g], where + ", row " + std::to_string(g));
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

TEST(PartitionedSeparation, MatchesTheSingleProcessReport) {
  const Group world(MPI_COMM_WORLD);
  // Awkward sizes: fewer rows than ranks, rows not divisible by the ranks, tiles smaller
  // than a rank's rows; unnormalised Gaussian memories so raw and spherical values differ.
  for (const std::int64_t m : {1, 2, 3, 7, 37}) {
    for (const std::int64_t block : {2, 5, 512}) {
      const Matrix memories = generate_memories(Distribution::gaussian, 6, m, 23, 0);
      const kernels::SeparationReport ref = kernels::separation_report(memories, {block});
      std::int64_t first = 0, count = 0;
      Group::split_rows(m, world.size(), world.rank(), first, count);
      const kernels::SeparationReport got = kernels::separation_report_partitioned(
          rows_of(memories, first, count), world.row_partition(m), {block});
      const std::string where = "M = " + std::to_string(m) + ", block = " + std::to_string(block) +
                                ", ranks = " + std::to_string(world.size());
      expect_same_report(got, ref, first, where);
      expect_same_on_every_rank(world, got);
      ASSERT_EQ(static_cast<std::int64_t>(got.raw_delta.size()), count) << where;
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
