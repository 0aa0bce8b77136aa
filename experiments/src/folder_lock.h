// One `nas run` per results folder. Two processes writing one folder would race: the second could
// bind its runs to the first one's config, or compute everything and then fail on a duplicate. A
// FolderLock is an exclusive flock(2) on DIR/.nas-run.lock, held for the whole run and released by
// the kernel when the process ends in any way (even kill -9), so a stale lock file never blocks a
// resume. The file records who holds it, so the refusal can name the holder.
#pragma once

#include <string>

namespace nas::experiments {

class FolderLock {
 public:
  /// Takes the lock of `dir` (which must exist) or throws nas::Error at once, naming the holder
  /// (pid, host, start time) when another process has it.
  explicit FolderLock(const std::string& dir);
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  ~FolderLock();

 private:
  int fd_ = -1;
};

}  // namespace nas::experiments
