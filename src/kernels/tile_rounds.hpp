#pragma once
// The tiles of a symmetric B×B block matrix — every unordered pair of blocks {i, j}, i ≤ j,
// diagonal included — in rounds where every block appears exactly once (the circle method of
// a round-robin tournament). So every block meets its tiles one per round, and a sum over a
// block's tiles taken in round order is a function of B alone: floating-point sums over tiles
// do not depend on the threads or on which process computes which tile
// (src/kernels/ordered_tiles.hpp runs them so).

#include <algorithm>
#include <cstdint>
#include <utility>

namespace hopcap::kernels {

struct BlockTile {
  std::int64_t first = 0, second = 0;  ///< block indices, first ≤ second
  bool diagonal() const { return first == second; }
};

class TileRounds {
 public:
  explicit TileRounds(std::int64_t blocks)
      : blocks_(blocks), players_(blocks % 2 == 0 ? blocks : blocks + 1) {}

  /// B rounds for B blocks: with B odd, B rounds of pairs where the block left without a
  /// partner takes its diagonal tile; with B even, B − 1 rounds of pairs and one of diagonals.
  std::int64_t rounds() const { return blocks_; }

  std::int64_t tiles_in(std::int64_t round) const {
    if (blocks_ % 2 == 0 && round == blocks_ - 1) return blocks_;  // the diagonal round
    return players_ / 2;
  }

  /// Every tile: B(B + 1)/2.
  std::int64_t tiles() const { return blocks_ * (blocks_ + 1) / 2; }

  /// A number for each tile, 0 .. tiles() − 1, in round order.
  std::int64_t id(std::int64_t round, std::int64_t k) const { return round * (players_ / 2) + k; }

  /// The round and position of tile number id (the inverse of id()).
  std::pair<std::int64_t, std::int64_t> round_of(std::int64_t id) const {
    const std::int64_t round = std::min(id / (players_ / 2), blocks_ - 1);
    return {round, id - round * (players_ / 2)};
  }

  /// The tile at position k of a round, k < tiles_in(round).
  BlockTile tile(std::int64_t round, std::int64_t k) const {
    if (blocks_ % 2 == 0 && round == blocks_ - 1) return {k, k};
    const std::int64_t n = players_ - 1;  // players 0..n−1 turn around the fixed player n
    std::int64_t a = 0, b = 0;
    if (k == 0) {
      a = round;
      b = n;
    } else {
      a = (round + k) % n;
      b = (round - k + n) % n;
    }
    if (b == blocks_) b = a;  // the odd count's extra player: a bye, so the diagonal tile
    if (a == blocks_) a = b;
    if (a > b) std::swap(a, b);
    return {a, b};
  }

 private:
  std::int64_t blocks_, players_;
};

}  // namespace hopcap::kernels
