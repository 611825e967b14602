#pragma once
// An exclusive advisory lock on an output path, so that two hopcap runs never write the same
// file: flock(2) on the sidecar file "<path>.lock", which holds the owner's pid for the
// message of a refused run. The kernel drops a flock when its holder dies, so a run killed
// with SIGKILL leaves at most an unlocked sidecar, which the next run simply takes over.
// (The output itself cannot carry the lock: HDF5 takes its own flock on the files it opens,
// and a new file is renamed over the path, so a lock on the old inode would protect nothing.)

#include <filesystem>
#include <string>

namespace hopcap::io {

class OutputLock {
 public:
  /// Takes the lock or throws InputError "<where>: is in use by another hopcap run (pid N)".
  OutputLock(const std::filesystem::path& output, const std::string& where);
  OutputLock(OutputLock&& other) noexcept;
  OutputLock& operator=(OutputLock&& other) noexcept;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock();

  /// Removes the sidecar and drops the lock (idempotent).
  void release() noexcept;

 private:
  std::filesystem::path lock_path_;
  int fd_ = -1;
};

}  // namespace hopcap::io
