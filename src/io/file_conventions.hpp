#pragma once
// The global attributes every file hopcap writes shares (CF-1.8 and ACDD-1.3 discovery
// attributes): Conventions, source, references and the build's version and commit.

#include <hdf5.h>

#include <string>

namespace hopcap::io {

/// The paper hopcap implements, as a CF `references` attribute.
inline constexpr const char* kReferences =
    "Hu, Wu and Liu, Provably Optimal Memory Capacity for Modern Hopfield Models: Transformer-Compatible "
    "Dense Associative Memories as Spherical Codes, NeurIPS 2024, arXiv:2410.23126";
inline constexpr const char* kConventions = "CF-1.8, ACDD-1.3";

/// "hopcap VERSION (git SHA[, with uncommitted changes])": the CF `source` attribute.
std::string source_attribute();

/// Writes Conventions, source, references, hopcap_version, git_sha and git_dirty (int8 0/1)
/// on `root`.
void write_build_provenance(hid_t root, const std::string& where);

/// Writes `title` and `summary`, then write_build_provenance(), on `root`.
void write_file_conventions(hid_t root, const std::string& title, const std::string& summary,
                            const std::string& where);

}  // namespace hopcap::io
