#pragma once
// Where hopcap may write a new output file. An output never replaces what is not hopcap's to
// replace: anything that is not a regular file (a FIFO, a device such as /dev/null, a
// directory, a symbolic link) is refused always, an existing regular file unless the caller
// asked to overwrite it.

#include <filesystem>
#include <string>

namespace hopcap::io {

/// The advice that ends the refusal of an existing file by commands with --overwrite.
inline constexpr const char* kOverwriteHint = "use --overwrite to replace it";

/// Throws ConfigError "<where>: ..." when `path` may not be written: it exists and is not a
/// regular file, or it is a regular file and `overwrite` is false (then the message ends with
/// `existing_hint`, e.g. "use --overwrite to replace it"). A missing path is fine.
void check_output_target(const std::filesystem::path& path, bool overwrite, const std::string& where,
                         const std::string& existing_hint);

}  // namespace hopcap::io
