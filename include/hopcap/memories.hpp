#pragma once
// Synthetic memory sets. Memory μ of a set is a pure function of (seed, set_id, μ): it is drawn
// from rng::Stream(seed, set_id, μ), so any slice can be generated independently on any rank.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hopcap/matrix.hpp"
#include "hopcap/name_table.hpp"

namespace hopcap {

enum class Distribution {
  sphere,    ///< uniform on S^{d-1} (normalised standard Gaussian)
  binary,    ///< entries ±1/√d with equal probability (unit norm)
  gaussian,  ///< raw standard Gaussian entries N(0, 1)
};

inline constexpr NameTable kDistributionNames{
    "memory distribution", std::array<Named<Distribution>, 3>{{{Distribution::sphere, "sphere"},
                                                               {Distribution::binary, "binary"},
                                                               {Distribution::gaussian, "gaussian"}}}};

/// "sphere" | "binary" | "gaussian"; throws ConfigError otherwise.
Distribution parse_distribution(std::string_view name);
/// Whether name is one that parse_distribution accepts (a synthetic set, not a file).
bool is_distribution_name(std::string_view name);
std::string to_string(Distribution distribution);

/// Where a memory set comes from: a synthetic distribution, or a data file named by its source
/// spec ("idx:PATH", "h5:PATH:DATASET", ...; read and checked by the io layer).
struct MemorySource {
  std::optional<Distribution> distribution = Distribution::sphere;  ///< set for a synthetic set
  std::string spec;                          ///< the file's source spec otherwise

  /// A distribution name, or else any non-empty text taken as a source spec.
  static MemorySource parse(std::string_view text);
  /// The canonical text form: the distribution's name or the spec.
  std::string name() const;
  bool synthetic() const { return distribution.has_value(); }
  bool operator==(const MemorySource&) const = default;
};

/// Writes memories first .. first+count-1 of the set (seed, set_id) into out, row-major
/// count×d. Pre: out.size() == count*d, d ≥ 1.
void generate_memory_slice(Distribution distribution, std::int64_t d, std::uint64_t seed,
                           std::uint64_t set_id, std::int64_t first, std::int64_t count,
                           std::span<double> out);

/// The whole set as an M×d matrix (rows are memories).
Matrix generate_memories(Distribution distribution, std::int64_t d, std::int64_t m,
                         std::uint64_t seed, std::uint64_t set_id = 0);

}  // namespace hopcap
