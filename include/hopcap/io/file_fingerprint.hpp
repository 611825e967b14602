#pragma once
// A fingerprint of an input file (its size and CRC-32), recorded in a results file so that
// `--resume` notices data that changed between a killed run and its resumption.

#include <filesystem>
#include <string>

namespace hopcap::io {

/// "size N bytes, crc32 XXXXXXXX" of a regular file; throws InputError for a file that is
/// missing, not regular, or unreadable.
std::string file_fingerprint(const std::filesystem::path& path);

}  // namespace hopcap::io
