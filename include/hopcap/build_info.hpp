#pragma once
// Build provenance captured when the binary was built (see cmake/write_build_info.cmake).

namespace hopcap {

struct BuildInfo {
  const char* version;
  const char* git_sha;
  bool git_dirty;
  const char* compiler;
  const char* build_type;
};

const BuildInfo& build_info();

}  // namespace hopcap
