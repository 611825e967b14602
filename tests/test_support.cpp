#include "test_support.hpp"

#include <cstdlib>

namespace hopcap::test {

std::optional<std::filesystem::path> shared_dir() {
  std::filesystem::path candidate = HOPCAP_DEFAULT_SHARED_DIR;
  if (const char* env = std::getenv("HOPCAP_SHARED_DIR"); env != nullptr && *env != '\0') {
    candidate = env;
  }
  if (std::filesystem::is_directory(candidate / "spherical-codes")) return candidate;
  return std::nullopt;
}

}  // namespace hopcap::test
