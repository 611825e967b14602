#pragma once
// Runs the tiles of a TileRounds schedule on a team of threads with no barrier between rounds:
// a thread takes the next tile by number (round order), computes it, and then adds it to each
// of its blocks once that block has received its tile of the previous round. Every block thus
// receives its tiles in round order whatever the threads, and a thread waits only for the one
// tile before it at the same block, sleeping (not spinning) where the cores are oversubscribed.
// Tiles are handed out in number order, so the tile waited for is always held by a thread that
// is working on it or waiting for an earlier one: no deadlock.

#include <omp.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "hopcap/error.hpp"
#include "kernels/parallel_panels.hpp"
#include "kernels/tile_rounds.hpp"

namespace hopcap::kernels {

/// For every tile: compute(tile, id, scratch) on any thread, then add(tile, block, id, scratch)
/// for block = tile.first and (off the diagonal) tile.second, each in round order per block.
/// `work` (flops of all tiles) decides whether a team is worth it. A throw from compute or
/// add comes out as one KernelError with the first message, after every tile has been passed.
template <class MakeScratch, class Compute, class Add>
void run_tiles_in_block_order(const TileRounds& schedule, double work, MakeScratch make_scratch, Compute compute,
                              Add add) {
  const std::int64_t tiles = schedule.tiles();
  const std::int64_t blocks = schedule.rounds();
  if (tiles == 0) return;
  // received[b]: the rounds whose tile block b has received; atomic wait/notify sleeps.
  const std::unique_ptr<std::atomic<std::int64_t>[]> received(new std::atomic<std::int64_t>[static_cast<std::size_t>(blocks)]);
  for (std::int64_t b = 0; b < blocks; ++b) received[static_cast<std::size_t>(b)].store(0, std::memory_order_relaxed);
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  std::string error;
  const auto record = [&](const std::exception& e) {
#pragma omp critical(hopcap_ordered_tiles_error)
    if (error.empty()) error = e.what();
    failed.store(true, std::memory_order_relaxed);
  };
  const auto add_in_order = [&](const BlockTile& tile, std::int64_t block, std::int64_t round, std::int64_t id,
                                auto& scratch, bool computed) {
    std::atomic<std::int64_t>& turn = received[static_cast<std::size_t>(block)];
    for (std::int64_t seen = turn.load(std::memory_order_acquire); seen != round;
         seen = turn.load(std::memory_order_acquire)) {
      turn.wait(seen, std::memory_order_acquire);
    }
    if (computed && !failed.load(std::memory_order_relaxed)) {
      try {
        add(tile, block, id, scratch);
      } catch (const std::exception& e) {
        record(e);
      }
    }
    turn.store(round + 1, std::memory_order_release);
    turn.notify_all();
  };
  // Every thread: claim tiles by number until none is left.
  const auto worker = [&](auto& scratch) {
    for (std::int64_t id = next.fetch_add(1); id < tiles; id = next.fetch_add(1)) {
      const auto [round, k] = schedule.round_of(id);
      const BlockTile tile = schedule.tile(round, k);
      bool computed = false;
      if (!failed.load(std::memory_order_relaxed)) {
        try {
          computed = compute(tile, id, scratch);
        } catch (const std::exception& e) {
          record(e);
        }
      }
      add_in_order(tile, tile.first, round, id, scratch, computed);
      if (!tile.diagonal()) add_in_order(tile, tile.second, round, id, scratch, computed);
    }
  };
  if (tiles == 1 || !worth_a_team(work) || omp_get_max_threads() == 1) {
    on_calling_thread([&] {
      try {
        auto scratch = make_scratch();
        worker(scratch);
      } catch (const std::exception& e) {
        record(e);
      }
    });
  } else {
#pragma omp parallel default(shared)
    {
      // A thread whose scratch cannot be made takes no tile; the others take them all.
      try {
        auto scratch = make_scratch();
        worker(scratch);
      } catch (const std::exception& e) {
        record(e);
      }
    }
  }
  if (!error.empty()) throw KernelError(error);
}

}  // namespace hopcap::kernels
