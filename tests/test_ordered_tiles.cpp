// Running the Gram tiles on a thread team without barriers: every tile computed once, each
// block receiving its tiles one at a time and in round order at 1–3 threads, tiles that
// compute nothing still passing their turn, and a throw coming out as one KernelError without
// leaving a thread waiting.

#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "kernels/ordered_tiles.hpp"

namespace {

using hopcap::KernelError;
using hopcap::kernels::BlockTile;
using hopcap::kernels::run_tiles_in_block_order;
using hopcap::kernels::TileRounds;

constexpr double kTeamWorthy = 1e12;  // flops enough for a team at any thread count

struct Log {
  std::vector<std::atomic<int>> computed;
  std::vector<std::vector<std::int64_t>> rounds_received;  // per block, in the order added
  std::unique_ptr<std::atomic<int>[]> adding;              // adds under way per block
  std::atomic<int> overlaps{0};
  explicit Log(const TileRounds& s)
      : computed(static_cast<std::size_t>(s.tiles())),
        rounds_received(static_cast<std::size_t>(s.rounds())),
        adding(new std::atomic<int>[static_cast<std::size_t>(s.rounds())]) {
    for (std::int64_t b = 0; b < s.rounds(); ++b) adding[static_cast<std::size_t>(b)] = 0;
  }
};

TEST(OrderedTiles, EveryBlockGetsItsTilesOnceAndInRoundOrder) {
  const int saved = omp_get_max_threads();
  for (std::int64_t blocks : {1, 2, 3, 7, 8, 13}) {
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE("blocks " + std::to_string(blocks) + " threads " + std::to_string(threads));
      omp_set_num_threads(threads);
      const TileRounds schedule(blocks);
      Log log(schedule);
      // Tiles whose number is a multiple of 5 compute nothing: their blocks get no add.
      run_tiles_in_block_order(
          schedule, kTeamWorthy, [] { return 0; },
          [&](BlockTile, std::int64_t id, int&) {
            ++log.computed[static_cast<std::size_t>(id)];
            return id % 5 != 0;
          },
          [&](BlockTile tile, std::int64_t block, std::int64_t id, int&) {
            auto& busy = log.adding[static_cast<std::size_t>(block)];
            if (busy.fetch_add(1) != 0) ++log.overlaps;
            EXPECT_TRUE(block == tile.first || block == tile.second);
            log.rounds_received[static_cast<std::size_t>(block)].push_back(schedule.round_of(id).first);
            busy.fetch_sub(1);
          });
      EXPECT_EQ(log.overlaps.load(), 0);
      for (const auto& n : log.computed) EXPECT_EQ(n.load(), 1);
      // Block b's expected rounds: every round, except those of its tiles that computed nothing.
      for (std::int64_t b = 0; b < blocks; ++b) {
        std::vector<std::int64_t> expected;
        for (std::int64_t round = 0; round < schedule.rounds(); ++round) {
          for (std::int64_t k = 0; k < schedule.tiles_in(round); ++k) {
            const BlockTile t = schedule.tile(round, k);
            if ((t.first == b || t.second == b) && schedule.id(round, k) % 5 != 0) expected.push_back(round);
          }
        }
        EXPECT_EQ(log.rounds_received[static_cast<std::size_t>(b)], expected) << "block " << b;
      }
    }
  }
  omp_set_num_threads(saved);
}

TEST(OrderedTiles, AThrowComesOutAsOneKernelErrorWithoutAHang) {
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    const TileRounds schedule(9);
    std::atomic<int> adds{0};
    try {
      run_tiles_in_block_order(
          schedule, kTeamWorthy, [] { return 0; },
          [&](BlockTile, std::int64_t id, int&) {
            if (id == 7) throw std::runtime_error("tile 7 failed");
            return true;
          },
          [&](BlockTile, std::int64_t, std::int64_t, int&) { ++adds; });
      ADD_FAILURE() << "no exception at " << threads << " threads";
    } catch (const KernelError& e) {
      EXPECT_NE(std::string(e.what()).find("tile 7 failed"), std::string::npos);
    }
    // The failed tile adds nothing, and tiles after it compute nothing more: on one thread
    // exactly tiles 0..6 were added; on more, some taken before the failure may be too.
    std::int64_t all = 0, before = 0;
    for (std::int64_t id = 0; id < schedule.tiles(); ++id) {
      const auto [round, k] = schedule.round_of(id);
      const std::int64_t ends = schedule.tile(round, k).diagonal() ? 1 : 2;
      all += ends;
      if (id < 7) before += ends;
    }
    if (threads == 1) {
      EXPECT_EQ(adds.load(), before);
    } else {
      EXPECT_LT(adds.load(), all);
    }
  }
  omp_set_num_threads(saved);
}

}  // namespace
