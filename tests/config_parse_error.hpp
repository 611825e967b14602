#pragma once
// The ConfigError message of parsing a config text, for tests of the config parser's refusals.

#include <string>

#include "hopcap/error.hpp"
#include "hopcap/sweep/config.hpp"

namespace hopcap::test {

/// The ConfigError message of parsing `text`, or "" when it parses.
inline std::string config_parse_error(const std::string& text) {
  try {
    (void)sweep::parse_config(text, "test.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace hopcap::test
