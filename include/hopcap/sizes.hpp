#pragma once
// Checked size arithmetic. Every product of sizes in hopcap (rows × cols of a matrix, M × d of
// a memory slice, queries × d, scratch panels of the kernels, the sweep grid) goes through
// checked_product, and every narrowing of a size to a smaller integer type through
// checked_narrow, so a size too large for the machine becomes a SizeError that names what
// overflowed instead of a wrapped product and a small buffer that later code writes past.
//
// The limits are what a 64-bit machine can honestly hold (docs/limits.md lists them with the
// options and config keys they bound):
//   kMaxDimension = 2^31 − 1  one dimension: d, M, D_Φ, a number of queries, the rows of a
//                             block, grid points of the landscape. OpenBLAS takes dimensions
//                             as 32-bit int, and indices and iteration counts are stored as int.
//   kMaxElements  = 2^45      the elements of one buffer: 2^45 doubles are 256 TiB, the whole
//                             48-bit virtual address space of x86-64 and AArch64.
//   kMaxGridSize  = 2^31 − 1  configurations of one sweep (MPI message counts are int).
//   kMaxIterations = 2^31 − 1 steps of an iteration (t_max, U-Hop+ steps), stored as int.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "hopcap/error.hpp"

namespace hopcap {

/// A size or count that does not fit: a product beyond its limit, a negative size, or a value
/// that a narrower integer type cannot hold. A bad setting (exit code 2), named in the message.
class SizeError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

inline constexpr std::int64_t kMaxDimension = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int64_t kMaxElements = std::int64_t{1} << 45;
inline constexpr std::int64_t kMaxGridSize = std::numeric_limits<std::int32_t>::max();
/// Grid points one `hopcap run` plans at most: every rank holds the whole plan, a few hundred
/// bytes per point, so a larger grid (say a range with `num = 1e8`) is refused up front.
inline constexpr std::int64_t kMaxPlannedPoints = std::int64_t{1} << 22;
inline constexpr std::int64_t kMaxIterations = std::numeric_limits<int>::max();

/// a·b when both are >= 0 and the product is <= limit, std::nullopt otherwise; never overflows.
/// For callers that report the failure themselves (a damaged file header is an InputError).
std::optional<std::int64_t> product_within(std::int64_t a, std::int64_t b, std::int64_t limit = kMaxElements);

/// a·b, or SizeError "WHAT: A x B exceeds the limit of LIMIT" (also for a negative factor).
std::int64_t checked_product(std::int64_t a, std::int64_t b, std::string_view what,
                             std::int64_t limit = kMaxElements);

/// The product of all factors (1 for none), checked against limit at every step.
std::int64_t checked_product(std::span<const std::int64_t> factors, std::string_view what,
                             std::int64_t limit = kMaxElements);

/// a·b as the element count of an allocation (checked_product, as a std::size_t).
inline std::size_t checked_size(std::int64_t a, std::int64_t b, std::string_view what,
                                std::int64_t limit = kMaxElements) {
  return static_cast<std::size_t>(checked_product(a, b, what, limit));
}

/// Throws SizeError "WHAT: VALUE is outside RANGE" (the shared message of checked_narrow).
[[noreturn]] void throw_out_of_range(std::string_view what, std::int64_t value, std::int64_t min,
                                     std::int64_t max);

/// value as T, or SizeError when T cannot hold it (an int64 size handed to a 32-bit BLAS or
/// stored as int).
template <class T>
T checked_narrow(std::int64_t value, std::string_view what) {
  if (!std::in_range<T>(value)) {
    throw_out_of_range(what, value, static_cast<std::int64_t>(std::numeric_limits<T>::min()),
                       static_cast<std::int64_t>(std::numeric_limits<T>::max()));
  }
  return static_cast<T>(value);
}

}  // namespace hopcap
