#pragma once
// Counter-based random numbers. Every stream is a pure function of (seed, stream id, index):
// Philox4x64-10 keyed by (seed, stream id), counter (index, block). Any rank or thread can
// therefore draw memory μ of a set without drawing memories 0..μ-1, and results never depend
// on how work is split. Conversions to doubles are our own (std distributions are
// implementation-defined), so the streams are identical on every platform.

#include <array>
#include <cstdint>

namespace hopcap::rng {

/// SplitMix64 finaliser: a bijective 64-bit mixer used to derive sub-seeds.
std::uint64_t mix64(std::uint64_t x);

/// Derives a child seed from a parent seed and a label (e.g. a set id or a replica index).
std::uint64_t derive(std::uint64_t parent, std::uint64_t label);

/// Stream of random numbers for one (seed, stream_id, index) triple.
class Stream {
 public:
  Stream(std::uint64_t seed, std::uint64_t stream_id, std::uint64_t index);

  /// Next raw 64-bit output.
  std::uint64_t next_u64();
  /// Uniform double in the open interval (0, 1), 53 random bits.
  double uniform_open01();
  /// Uniform double in [0, 1), 53 random bits.
  double uniform01();
  /// Standard normal variate (Box–Muller, both outputs used).
  double normal();
  /// Uniform integer in [0, n) without modulo bias (n > 0).
  std::uint64_t below(std::uint64_t n);

 private:
  void refill();

  std::array<std::uint64_t, 2> key_;
  std::array<std::uint64_t, 4> counter_;
  std::array<std::uint64_t, 4> block_{};
  int used_ = 4;
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace hopcap::rng
