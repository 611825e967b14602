#include "hopcap/memories.hpp"

#include <cmath>

#include "hopcap/error.hpp"
#include "hopcap/rng.hpp"
#include "hopcap/sizes.hpp"
#include "kernels/parallel_panels.hpp"

namespace hopcap {

Distribution parse_distribution(std::string_view name) { return kDistributionNames.parse(name); }

bool is_distribution_name(std::string_view name) { return kDistributionNames.find(name).has_value(); }

std::string to_string(Distribution distribution) { return std::string(kDistributionNames.name(distribution)); }

MemorySource MemorySource::parse(std::string_view text) {
  if (const std::optional<Distribution> distribution = kDistributionNames.find(text)) return {distribution, {}};
  require(!text.empty(), "empty memory source (" + kDistributionNames.accepted() + " or a data file)");
  return {std::nullopt, std::string(text)};
}

std::string MemorySource::name() const { return distribution ? to_string(*distribution) : spec; }

void generate_memory_slice(Distribution distribution, std::int64_t d, std::uint64_t seed,
                           std::uint64_t set_id, std::int64_t first, std::int64_t count,
                           std::span<double> out) {
  require(d >= 1, "memory dimension d must be >= 1");
  require(first >= 0 && count >= 0, "memory slice must have first >= 0 and count >= 0");
  if (static_cast<std::int64_t>(out.size()) != checked_product(count, d, "memory slice count x d")) {
    throw KernelError("generate_memory_slice: output span has the wrong size");
  }
  const double binary_value = 1.0 / std::sqrt(static_cast<double>(d));
#pragma omp parallel for schedule(static) default(none) \
    shared(out, distribution, d, seed, set_id, first, count, binary_value) \
    if (kernels::worth_a_team(30.0 * static_cast<double>(count) * static_cast<double>(d)))  // a draw: some 30 flops
  for (std::int64_t i = 0; i < count; ++i) {
    rng::Stream stream(seed, set_id, static_cast<std::uint64_t>(first + i));
    double* x = out.data() + i * d;
    switch (distribution) {
      case Distribution::binary:
        for (std::int64_t j = 0; j < d; ++j) {
          x[j] = (stream.next_u64() >> 63) != 0 ? binary_value : -binary_value;
        }
        break;
      case Distribution::gaussian:
      case Distribution::sphere: {
        double norm2 = 0.0;
        for (std::int64_t j = 0; j < d; ++j) {
          x[j] = stream.normal();
          norm2 += x[j] * x[j];
        }
        if (distribution == Distribution::sphere) {
          const double inv = 1.0 / std::sqrt(norm2);  // norm2 > 0 with probability 1
          for (std::int64_t j = 0; j < d; ++j) x[j] *= inv;
        }
        break;
      }
    }
  }
}

Matrix generate_memories(Distribution distribution, std::int64_t d, std::int64_t m,
                         std::uint64_t seed, std::uint64_t set_id) {
  require(m >= 1, "number of memories M must be >= 1");
  require(d >= 1, "memory dimension d must be >= 1");
  Matrix out(m, d);
  generate_memory_slice(distribution, d, seed, set_id, 0, m, out.data);
  return out;
}

}  // namespace hopcap
