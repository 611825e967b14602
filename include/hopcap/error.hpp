#pragma once
// The one typed error path of hopcap. Library code throws these; the CLI turns them into one
// line on stderr and a non-zero exit code; the sweep driver records them as failed data.

#include <stdexcept>
#include <string>
#include <string_view>

namespace hopcap {

/// Base of every error hopcap throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A user-supplied setting is missing, out of range or contradictory.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// An input file cannot be opened, read or parsed.
class InputError : public Error {
 public:
  using Error::Error;
};

/// A kernel's precondition does not hold or its result is not finite.
class KernelError : public Error {
 public:
  using Error::Error;
};

/// An HDF5 call failed; the message carries the HDF5 error stack.
class H5Error : public InputError {
 public:
  using InputError::InputError;
};

/// An MPI call failed, or ranks disagree about shared work.
class MpiError : public Error {
 public:
  using Error::Error;
};

/// `text` as one line: every line break or other control character becomes a space, so that
/// an error reaches the user as exactly one `hopcap: error:` line whatever a library put in it.
inline std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

/// Throws ConfigError(message) unless condition holds.
inline void require(bool condition, const std::string& message) {
  if (!condition) throw ConfigError(message);
}

}  // namespace hopcap
