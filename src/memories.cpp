#include "hopcap/memories.hpp"

#include <cmath>

#include "hopcap/error.hpp"
#include "hopcap/rng.hpp"

namespace hopcap {

Distribution parse_distribution(std::string_view name) {
  if (name == "sphere") return Distribution::sphere;
  if (name == "binary") return Distribution::binary;
  if (name == "gaussian") return Distribution::gaussian;
  throw ConfigError("unknown memory distribution '" + std::string(name) +
                    "' (expected sphere, binary or gaussian)");
}

bool is_distribution_name(std::string_view name) {
  return name == "sphere" || name == "binary" || name == "gaussian";
}

std::string to_string(Distribution distribution) {
  switch (distribution) {
    case Distribution::sphere: return "sphere";
    case Distribution::binary: return "binary";
    case Distribution::gaussian: return "gaussian";
  }
  return "unknown";
}

void generate_memory_slice(Distribution distribution, std::int64_t d, std::uint64_t seed,
                           std::uint64_t set_id, std::int64_t first, std::int64_t count,
                           std::span<double> out) {
  require(d >= 1, "memory dimension d must be >= 1");
  require(first >= 0 && count >= 0, "memory slice must have first >= 0 and count >= 0");
  if (static_cast<std::int64_t>(out.size()) != count * d) {
    throw KernelError("generate_memory_slice: output span has the wrong size");
  }
  const double binary_value = 1.0 / std::sqrt(static_cast<double>(d));
#pragma omp parallel for schedule(static) default(none) \
    shared(out, distribution, d, seed, set_id, first, count, binary_value)
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
