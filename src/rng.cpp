#include "hopcap/rng.hpp"

#include <Random123/philox.h>

#include <cmath>
#include <numbers>

namespace hopcap::rng {

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t derive(std::uint64_t parent, std::uint64_t label) {
  return mix64(mix64(parent) ^ (label * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL));
}

Stream::Stream(std::uint64_t seed, std::uint64_t stream_id, std::uint64_t index)
    : key_{seed, stream_id}, counter_{index, 0, 0, 0} {}

void Stream::refill() {
  r123::Philox4x64 generator;
  const r123::Philox4x64::key_type key = {{key_[0], key_[1]}};
  const r123::Philox4x64::ctr_type ctr = {{counter_[0], counter_[1], counter_[2], counter_[3]}};
  const r123::Philox4x64::ctr_type out = generator(ctr, key);
  for (int i = 0; i < 4; ++i) block_[static_cast<std::size_t>(i)] = out.v[i];
  ++counter_[1];  // the block counter; counter_[0] is the stream's index
  used_ = 0;
}

std::uint64_t Stream::next_u64() {
  if (used_ == 4) refill();
  return block_[static_cast<std::size_t>(used_++)];
}

double Stream::uniform01() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

double Stream::uniform_open01() {
  return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

double Stream::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  const double u1 = uniform_open01();
  const double u2 = uniform01();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_normal_ = r * std::sin(angle);
  has_spare_ = true;
  return r * std::cos(angle);
}

std::uint64_t Stream::below(std::uint64_t n) {
  // Rejection of the top partial block removes modulo bias for every n > 0.
  const std::uint64_t excess = (0 - n) % n;  // 2^64 mod n
  std::uint64_t x = next_u64();
  while (x > ~std::uint64_t{0} - excess) x = next_u64();
  return x % n;
}

}  // namespace hopcap::rng
