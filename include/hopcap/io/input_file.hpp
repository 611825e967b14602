#pragma once
// Opening input files safely. A data or config path may name anything: a FIFO with no writer
// blocks a plain open() forever, and /dev/zero or /dev/urandom never end. Only regular files
// are read, opened so that the open itself never blocks, and text is read up to a size limit.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace hopcap::io {

/// Why `path` is not a readable regular file ("file not found", "is a directory, not a file",
/// "is a FIFO (named pipe), not a regular file", ...), or nothing when it is one. Follows
/// symbolic links. For callers that hand the path to a library that opens it (HDF5).
std::optional<std::string> non_regular_file_problem(const std::filesystem::path& path);

/// A string that changes when the regular file at `path` is replaced or modified (device,
/// inode, size, modification time), or "" when `path` is not a regular file.
std::string regular_file_identity(const std::filesystem::path& path);

/// A read-only descriptor of a regular file. The open uses O_NONBLOCK, so a FIFO is refused
/// instead of waiting for a writer; the type is then checked on the open descriptor itself.
/// Throws InputError("PATH: problem").
class InputFile {
 public:
  explicit InputFile(const std::filesystem::path& path);
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  int descriptor() const { return fd_; }
  std::uint64_t size() const { return size_; }  ///< the size stat reported when it was opened
  /// Hands the descriptor to a new owner (e.g. zlib's gzdopen); this object no longer closes it.
  int release();

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

/// The whole content of the regular file `path`, refused with InputError("PATH: ...") when it
/// is not a regular file or holds more than `limit` bytes (checked before and while reading,
/// so a file that grows, or a /proc file that reports size 0, cannot exhaust memory).
std::string read_regular_file(const std::filesystem::path& path, std::uint64_t limit);

}  // namespace hopcap::io
