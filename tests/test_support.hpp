#pragma once
// Helpers shared by the test executables.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

namespace hopcap::test {

/// The shared reference-data directory (../shared beside the checkout, or $HOPCAP_SHARED_DIR),
/// or nothing when it is absent (a user's clone).
std::optional<std::filesystem::path> shared_dir();

/// Bounds a test that would hang if the code under test regressed (a blocking open, an
/// endless loop): SIGALRM ends the process after `seconds`, failing the test with a signal
/// instead of never returning.
class BoundedTime {
 public:
  explicit BoundedTime(unsigned seconds) { ::alarm(seconds); }
  BoundedTime(const BoundedTime&) = delete;
  BoundedTime& operator=(const BoundedTime&) = delete;
  ~BoundedTime() { ::alarm(0); }
};

}  // namespace hopcap::test

/// Binds `dir` to the shared data directory or skips the test with a clear message.
#define HOPCAP_REQUIRE_SHARED(dir)                                                       \
  const auto dir##_opt = ::hopcap::test::shared_dir();                                   \
  if (!dir##_opt) {                                                                      \
    GTEST_SKIP() << "reference data directory ../shared not found next to the checkout " \
                    "(set HOPCAP_SHARED_DIR to point at it); skipping";                  \
  }                                                                                      \
  const std::filesystem::path dir = *dir##_opt
