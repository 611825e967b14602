#include "io/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "hopcap/error.hpp"

namespace hopcap::io {
namespace {

// The pid a holder wrote into the sidecar, or "unknown".
std::string holder_pid(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string pid = n > 0 ? std::string(text, static_cast<std::size_t>(n)) : std::string();
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

OutputLock::OutputLock(const std::filesystem::path& output, const std::string& where) {
  lock_path_ = output;
  lock_path_ += ".lock";
  // A holder removes the sidecar before it unlocks, so a lock taken on a sidecar that is no
  // longer the one at lock_path_ is worthless: check the inode after locking and retry.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      const int err = errno;
      throw InputError(where + ": cannot create the lock file '" + lock_path_.string() +
                       "': " + std::strerror(err));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string pid = err == EWOULDBLOCK ? holder_pid(fd) : std::string();
      ::close(fd);
      if (err == EWOULDBLOCK) {
        throw InputError(where + ": is in use by another hopcap run (pid " + pid + ", lock file '" +
                         lock_path_.string() + "')");
      }
      throw InputError(where + ": cannot lock '" + lock_path_.string() + "': " + std::strerror(err));
    }
    struct stat held {};
    struct stat named {};
    if (::fstat(fd, &held) == 0 && ::stat(lock_path_.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      const std::string pid = std::to_string(::getpid()) + "\n";
      // The pid only serves the message of a refused run: failing to record it is harmless.
      if (::ftruncate(fd, 0) == 0) {
        [[maybe_unused]] const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
      }
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  throw InputError(where + ": cannot take the lock file '" + lock_path_.string() +
                   "': it keeps being replaced");
}

OutputLock::OutputLock(OutputLock&& other) noexcept
    : lock_path_(std::move(other.lock_path_)), fd_(std::exchange(other.fd_, -1)) {}

OutputLock& OutputLock::operator=(OutputLock&& other) noexcept {
  if (this != &other) {
    release();
    lock_path_ = std::move(other.lock_path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

OutputLock::~OutputLock() { release(); }

void OutputLock::release() noexcept {
  if (fd_ < 0) return;
  ::unlink(lock_path_.c_str());
  ::close(std::exchange(fd_, -1));
}

}  // namespace hopcap::io
