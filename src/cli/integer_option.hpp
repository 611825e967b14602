#pragma once
// Checked integer options. CLI11 2.1 converts integers with strtoull/strtoll: "-1" becomes
// 2^64 - 1 for an unsigned option, a number beyond the type is clamped to its largest value
// and "010" is read as octal. Every integer option of hopcap is given a checked_integer
// transform instead: the text must be a decimal integer within [min, max] of the option's
// type, or the option is refused (exit code 2) with a message that names it and the range.

#include <CLI/CLI.hpp>

#include <charconv>
#include <concepts>
#include <limits>
#include <string>
#include <system_error>

namespace hopcap::cli {

/// Rewrites a decimal integer in [min, max] in the canonical form CLI11 then converts exactly;
/// anything else is refused with "TEXT is not an integer in [MIN, MAX]".
template <std::integral T>
CLI::Validator checked_integer(T min, T max) {
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        T value{};
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
          return "'" + text + "' is not an integer in " + range;
        }
        text = std::to_string(value);
        return {};
      },
      "INT in " + range);
}

/// The whole range of T: a seed is any uint64, but never a negative number wrapped into one.
template <std::integral T>
CLI::Validator checked_integer() {
  return checked_integer<T>(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
}

}  // namespace hopcap::cli
