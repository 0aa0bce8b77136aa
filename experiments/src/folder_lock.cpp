// The results folder lock (see folder_lock.h).
#include "folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/text.h"

namespace nas::experiments {
namespace {

std::string holder_text() {
  char host[256] = "unknown host";
  ::gethostname(host, sizeof host - 1);
  const std::time_t now = std::time(nullptr);
  char since[32];
  std::strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return "pid " + std::to_string(::getpid()) + " on " + host + ", since " + since;
}

}  // namespace

FolderLock::FolderLock(const std::string& dir) {
  const std::string path = dir + "/.nas-run.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) throw Error("cannot lock results folder " + dir + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error_number = errno;
    char holder[512] = {0};
    const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    std::string who = n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : std::string("unknown process");
    while (!who.empty() && (who.back() == '\n' || who.back() == '\r')) who.pop_back();
    ::close(fd_);
    fd_ = -1;
    if (error_number == EWOULDBLOCK) {
      throw Error(dir + " is in use by another `nas run` (" + one_line(who) +
                  "); wait for it to finish, or give another --out directory");
    }
    throw Error("cannot lock results folder " + dir + ": " + std::strerror(error_number));
  }
  const std::string me = holder_text() + "\n";
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, me.data(), me.size(), 0);
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace nas::experiments
