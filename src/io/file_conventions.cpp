#include "io/file_conventions.hpp"

#include <cstdint>

#include "hopcap/build_info.hpp"
#include "io/hdf5.hpp"

namespace hopcap::io {

std::string source_attribute() {
  const BuildInfo& build = build_info();
  return std::string("hopcap ") + build.version + " (git " + build.git_sha +
         (build.git_dirty ? ", with uncommitted changes)" : ")");
}

void write_file_conventions(hid_t root, const std::string& title, const std::string& summary,
                            const std::string& where) {
  hdf5::write_attribute(root, "title", title, where);
  hdf5::write_attribute(root, "summary", summary, where);
  write_build_provenance(root, where);
}

void write_build_provenance(hid_t root, const std::string& where) {
  hdf5::write_attribute(root, "Conventions", kConventions, where);
  hdf5::write_attribute(root, "source", source_attribute(), where);
  hdf5::write_attribute(root, "references", kReferences, where);
  hdf5::write_attribute(root, "hopcap_version", build_info().version, where);
  hdf5::write_attribute(root, "git_sha", build_info().git_sha, where);
  hdf5::write_attribute(root, "git_dirty", static_cast<std::int8_t>(build_info().git_dirty ? 1 : 0), where);
}

}  // namespace hopcap::io
