#pragma once
// Synthetic memory sets. Memory μ of a set is a pure function of (seed, set_id, μ): it is drawn
// from rng::Stream(seed, set_id, μ), so any slice can be generated independently on any rank.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hopcap/matrix.hpp"

namespace hopcap {

enum class Distribution {
  sphere,    ///< uniform on S^{d-1} (normalised standard Gaussian)
  binary,    ///< entries ±1/√d with equal probability (unit norm)
  gaussian,  ///< raw standard Gaussian entries N(0, 1)
};

/// "sphere" | "binary" | "gaussian"; throws ConfigError otherwise.
Distribution parse_distribution(std::string_view name);
/// Whether name is one that parse_distribution accepts (a synthetic set, not a file).
bool is_distribution_name(std::string_view name);
std::string to_string(Distribution distribution);

/// Writes memories first .. first+count-1 of the set (seed, set_id) into out, row-major
/// count×d. Pre: out.size() == count*d, d ≥ 1.
void generate_memory_slice(Distribution distribution, std::int64_t d, std::uint64_t seed,
                           std::uint64_t set_id, std::int64_t first, std::int64_t count,
                           std::span<double> out);

/// The whole set as an M×d matrix (rows are memories).
Matrix generate_memories(Distribution distribution, std::int64_t d, std::int64_t m,
                         std::uint64_t seed, std::uint64_t set_id = 0);

}  // namespace hopcap
