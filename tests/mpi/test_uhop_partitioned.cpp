// U-Hop+ over a memory set partitioned by rows across the ranks of MPI_COMM_WORLD gives the
// single-process loss kernel's loss, closest pair and gradients bit for bit, and its trainer's
// maps.

#include <gtest/gtest.h>
#include <mpi.h>

#include <string>
#include <vector>

#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/parallel/group.hpp"
#include "partition_support.hpp"
#include "hopcap/uhop.hpp"

namespace hopcap {
namespace {

using parallel::Group;
using test::rows_of;

class PartitionedLossTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PartitionedLossTest, MatchesTheSingleProcessKernel) {
  const Group world(MPI_COMM_WORLD);
  // Awkward sizes: M not divisible by the ranks, tiles smaller than a rank's rows (so tiles
  // between ranks' blocks), per_memory with its first pass's tiles kept and formed again; in
  // both precisions (float32 tiles, double sums: still bitwise at every rank count).
  for (const Precision precision : {Precision::float64, Precision::float32}) {
    for (const std::int64_t m : {2, 5, 37}) {
      for (const std::int64_t kept : {std::int64_t{-1}, std::int64_t{0}}) {
        const Matrix memories = generate_memories(Distribution::sphere, 6, m, 17, 0);
        FeatureMap map = initial_uhop_map(UhopInit::gaussian, 4, 6, true, 3, 0);
        UhopLossOptions options{parse_uhop_loss(GetParam()), 0.07, 3};
        options.kept_entries = kept;
        options.precision = precision;
        Matrix gw_ref;
        std::vector<double> gb_ref;
        const UhopLossValue ref = kernels::uhop_loss(memories, map, options, &gw_ref, &gb_ref);

        std::int64_t first = 0, count = 0;
        Group::split_rows(m, world.size(), world.rank(), first, count);
        Matrix gw;
        std::vector<double> gb;
        const UhopLossValue got = kernels::uhop_loss_partitioned(rows_of(memories, first, count),
                                                                 world.row_partition(m), map, options, &gw, &gb);
        const std::string where =
            "M = " + std::to_string(m) + ", ranks = " + std::to_string(world.size()) + ", kept " + std::to_string(kept) +
            ", " + std::string(kPrecisionNames.name(precision));
        EXPECT_EQ(got.loss, ref.loss) << where;
        EXPECT_EQ(got.s_max, ref.s_max) << where;
        EXPECT_EQ(got.closest[0], ref.closest[0]) << where;
        EXPECT_EQ(got.closest[1], ref.closest[1]) << where;
        EXPECT_EQ(gw.data, gw_ref.data) << where;
        EXPECT_EQ(gb, gb_ref) << where;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Losses, PartitionedLossTest, ::testing::Values("pairwise", "per_memory", "as_coded"));

TEST(PartitionedTraining, GivesTheSingleProcessMapOnEveryRank) {
  const Group world(MPI_COMM_WORLD);
  const std::int64_t m = 23;
  const Matrix memories = generate_memories(Distribution::sphere, 5, m, 4, 0);
  UhopSettings s;
  s.feature_dim = 3;
  s.iterations = 30;
  s.lr = 0.05;
  s.restarts = 2;
  s.seed = 9;
  s.hops = 3;  // the default method, its search kept short
  const UhopResult ref = train_uhop(memories, s);
  std::int64_t first = 0, count = 0;
  Group::split_rows(m, world.size(), world.rank(), first, count);
  const UhopResult got = train_uhop_partitioned(rows_of(memories, first, count), world.row_partition(m), s);
  EXPECT_EQ(got.best_restart, ref.best_restart);
  EXPECT_EQ(got.iterations, ref.iterations);
  // The loss and its gradient are bitwise those of one process, so is the trained map.
  EXPECT_EQ(got.map.weight.data, ref.map.weight.data);
  EXPECT_NEAR(got.delta_min_after, ref.delta_min_after, 1e-12);
  EXPECT_NEAR(got.delta_min_before, ref.delta_min_before, 1e-12);
  EXPECT_EQ(got.loss_final, ref.loss_final);
  // Every rank holds the same map, bit for bit.
  std::vector<double> mine = got.map.weight.data, root = got.map.weight.data;
  world.broadcast(root);
  EXPECT_EQ(mine, root);
}

TEST(PartitionedTraining, MiniBatchesGiveTheSingleProcessMap) {
  // The same seeded batches as the single-process trainer, assembled from every rank's rows:
  // batch rows are exact copies, so the maps agree bit for bit.
  const Group world(MPI_COMM_WORLD);
  const std::int64_t m = 19;
  const Matrix memories = generate_memories(Distribution::sphere, 5, m, 4, 0);
  UhopSettings s;
  s.feature_dim = 3;
  s.batch = 6;
  s.iterations = 25;
  s.lr = 0.05;
  s.restarts = 2;
  s.seed = 12;
  s.hops = 3;
  const UhopResult ref = train_uhop(memories, s);
  std::int64_t first = 0, count = 0;
  Group::split_rows(m, world.size(), world.rank(), first, count);
  const UhopResult got = train_uhop_partitioned(rows_of(memories, first, count), world.row_partition(m), s);
  EXPECT_EQ(got.map.weight.data, ref.map.weight.data);
  EXPECT_EQ(got.best_restart, ref.best_restart);
  ASSERT_EQ(got.trace.size(), ref.trace.size());
  for (std::size_t i = 0; i < got.trace.size(); ++i) EXPECT_EQ(got.trace[i].loss, ref.trace[i].loss) << "step " << i;
  EXPECT_NEAR(got.delta_min_after, ref.delta_min_after, 1e-12);
  EXPECT_NEAR(got.loss_final, ref.loss_final, 1e-12);
}

}  // namespace
}  // namespace hopcap
