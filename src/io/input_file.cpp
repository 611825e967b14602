#include "hopcap/io/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "hopcap/error.hpp"

namespace hopcap::io {
namespace {

std::optional<std::string> type_problem(mode_t mode) {
  if (S_ISREG(mode)) return std::nullopt;
  if (S_ISDIR(mode)) return "is a directory, not a file";
  if (S_ISFIFO(mode)) return "is a FIFO (named pipe), not a regular file";
  if (S_ISCHR(mode)) return "is a character device, not a regular file";
  if (S_ISBLK(mode)) return "is a block device, not a regular file";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file";
  return "is not a regular file";
}

std::string errno_problem(int error) {
  if (error == ENOENT || error == ENOTDIR) return "file not found";
  if (error == EACCES) return "permission denied";
  return std::string("cannot open file for reading: ") + std::strerror(error);
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
  throw InputError(path.string() + ": " + problem);
}

}  // namespace

std::optional<std::string> non_regular_file_problem(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return errno_problem(errno);
  return type_problem(info.st_mode);
}

std::string regular_file_identity(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return "";
  return std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino) + ":" +
         std::to_string(info.st_size) + ":" + std::to_string(info.st_mtim.tv_sec) + "." +
         std::to_string(info.st_mtim.tv_nsec);
}

InputFile::InputFile(const std::filesystem::path& path) {
  // Checking the type first keeps a directory's message clear (open() may succeed on one);
  // the check on the open descriptor below closes the window between stat and open.
  if (const auto problem = non_regular_file_problem(path)) fail(path, *problem);
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) fail(path, errno_problem(errno));
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    fail(path, std::string("cannot stat the open file: ") + std::strerror(error));
  }
  if (const auto problem = type_problem(info.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    fail(path, *problem);
  }
  // Regular files never block; clear the flag so readers see ordinary blocking semantics.
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  size_ = static_cast<std::uint64_t>(info.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

int InputFile::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

std::string read_regular_file(const std::filesystem::path& path, std::uint64_t limit) {
  const InputFile file(path);
  const auto too_large = [&] {
    fail(path, "file holds more than " + std::to_string(limit) + " bytes, the limit for this input");
  };
  if (file.size() > limit) too_large();
  std::string text;
  text.reserve(static_cast<std::size_t>(file.size()));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(file.descriptor(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail(path, std::string("read error: ") + std::strerror(errno));
    }
    if (got == 0) break;
    if (text.size() + static_cast<std::size_t>(got) > limit) too_large();
    text.append(buffer, static_cast<std::size_t>(got));
  }
  return text;
}

}  // namespace hopcap::io
