// The round-robin schedule of the symmetric Gram tiles: every unordered pair of blocks
// (diagonal included) exactly once, no block twice in one round, and tile numbers that count
// the tiles once each — checked by counting, for every block count up to 40.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernels/tile_rounds.hpp"

namespace {

using hopcap::kernels::BlockTile;
using hopcap::kernels::TileRounds;

TEST(TileRounds, EveryPairOnceAndNoBlockTwiceInARound) {
  for (std::int64_t blocks = 1; blocks <= 40; ++blocks) {
    SCOPED_TRACE("blocks " + std::to_string(blocks));
    const TileRounds schedule(blocks);
    const auto b = static_cast<std::size_t>(blocks);
    std::vector<int> seen(b * b, 0);
    std::vector<int> id_seen(static_cast<std::size_t>(schedule.tiles()), 0);
    std::int64_t count = 0;
    EXPECT_EQ(schedule.rounds(), blocks);
    for (std::int64_t round = 0; round < schedule.rounds(); ++round) {
      std::vector<int> in_round(b, 0);
      for (std::int64_t k = 0; k < schedule.tiles_in(round); ++k) {
        const BlockTile t = schedule.tile(round, k);
        ASSERT_GE(t.first, 0);
        ASSERT_LE(t.first, t.second);
        ASSERT_LT(t.second, blocks);
        ++seen[static_cast<std::size_t>(t.first) * b + static_cast<std::size_t>(t.second)];
        ++in_round[static_cast<std::size_t>(t.first)];
        if (!t.diagonal()) ++in_round[static_cast<std::size_t>(t.second)];
        const std::int64_t id = schedule.id(round, k);
        ASSERT_GE(id, 0);
        ASSERT_LT(id, schedule.tiles());
        ++id_seen[static_cast<std::size_t>(id)];
        ++count;
      }
      for (std::size_t i = 0; i < b; ++i) EXPECT_LE(in_round[i], 1) << "block " << i << " round " << round;
    }
    EXPECT_EQ(count, blocks * (blocks + 1) / 2);
    EXPECT_EQ(schedule.tiles(), count);
    for (std::size_t i = 0; i < b; ++i) {
      for (std::size_t j = 0; j < b; ++j) EXPECT_EQ(seen[i * b + j], j >= i ? 1 : 0) << i << " " << j;
    }
    for (int n : id_seen) EXPECT_EQ(n, 1);
  }
}

}  // namespace
