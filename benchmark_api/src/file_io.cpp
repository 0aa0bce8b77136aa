// Safe file reading and atomic writing (see file_io.h).
#include "nas/benchmark_api/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "nas/benchmark_api/error.h"

namespace nas {
namespace {

std::string describe_type(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string with_what(std::string_view what, const std::string& path) {
  return what.empty() ? path : std::string(what) + " " + path;
}

}  // namespace

// ---- RegularFile -------------------------------------------------------------------------------------

RegularFile RegularFile::open(const std::string& path, std::string_view what) {
  if (path.empty()) throw Error("no " + std::string(what.empty() ? "file" : what) + " given (the path is empty)");
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. It has no
  // effect on regular files, the only kind accepted below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) throw Error("cannot read " + with_what(what, path) + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error_number = errno;
    ::close(fd);
    throw Error("cannot read " + with_what(what, path) + ": " + std::strerror(error_number));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(with_what(what, path) + " is " + describe_type(st.st_mode) + ", not a regular file");
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return RegularFile(fd, path, static_cast<std::uint64_t>(st.st_size), std::string(what));
}

RegularFile::RegularFile(RegularFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      size_(other.size_),
      what_(std::move(other.what_)) {}

RegularFile& RegularFile::operator=(RegularFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    size_ = other.size_;
    what_ = std::move(other.what_);
  }
  return *this;
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t RegularFile::current_size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw Error("cannot read " + with_what(what_, path_) + ": " + std::strerror(errno));
  return static_cast<std::uint64_t>(st.st_size);
}

void RegularFile::read_at(std::uint64_t offset, void* out, std::size_t bytes) const {
  auto* cursor = static_cast<char*>(out);
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pread(fd_, cursor + done, bytes - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot read " + with_what(what_, path_) + ": " + std::strerror(errno));
    }
    if (n == 0) {
      throw Error(with_what(what_, path_) + " was truncated while in use (it now has " + std::to_string(current_size()) +
                  " bytes, " + std::to_string(offset + bytes) + " were expected)");
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string read_regular_file(const std::string& path, std::string_view what, std::uint64_t max_bytes) {
  const RegularFile file = RegularFile::open(path, what);
  if (file.size() > max_bytes) {
    throw Error(with_what(what, path) + " is too large (" + std::to_string(file.size()) + " bytes; at most " +
                std::to_string(max_bytes) + " are read)");
  }
  std::string content(static_cast<std::size_t>(file.size()), '\0');
  file.read_at(0, content.data(), content.size());
  return content;
}

// ---- writing -----------------------------------------------------------------------------------------

void require_writable_location(const std::string& path, std::string_view what) {
  const std::string name = what.empty() ? "output file" : std::string(what);
  if (path.empty()) throw Error("no " + name + " given (the path is empty)");
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target(path);
  if (fs::is_directory(target, ec)) throw Error(name + " " + path + " is a directory, not a file");
  if (!target.has_filename()) throw Error(name + " " + path + " does not name a file");
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) throw Error("cannot write " + name + " " + path + ": the folder " + parent.string() + " does not exist");
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    throw Error("cannot write " + name + " " + path + ": " + std::strerror(errno) + " (folder " + parent.string() + ")");
  }
  if (fs::exists(target, ec) && !fs::is_regular_file(target, ec)) {
    throw Error(name + " " + path + " exists and is not a regular file");
  }
}

AtomicFile::AtomicFile(std::string path, std::string_view what) : path_(std::move(path)), what_(what) {
  require_writable_location(path_, what_);
  // A unique name beside the destination (same file system, so the rename is atomic); mode 0666
  // under the umask, like any file the user creates.
  static std::atomic<std::uint64_t> counter{0};
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    temporary_ = path_ + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0) {
    const int error_number = errno;
    temporary_.clear();
    throw Error("cannot write " + with_what(what_, path_) + ": " + std::strerror(error_number));
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temporary_.empty()) ::unlink(temporary_.c_str());
}

void AtomicFile::fail(const std::string& doing, int error_number) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
  temporary_.clear();
  throw Error("cannot " + doing + " " + with_what(what_, path_) + ": " + std::strerror(error_number));
}

void AtomicFile::write(const void* data, std::size_t bytes) {
  write_at(size_, data, bytes);
}

void AtomicFile::write_at(std::uint64_t offset, const void* data, std::size_t bytes) {
  if (fd_ < 0) throw Error("cannot write " + with_what(what_, path_) + ": the file was already closed");
  const auto* cursor = static_cast<const char*>(data);
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pwrite(fd_, cursor + done, bytes - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    if (n == 0) fail("write", ENOSPC);
    done += static_cast<std::size_t>(n);
  }
  if (offset + bytes > size_) size_ = offset + bytes;
}

void AtomicFile::commit() {
  if (fd_ < 0) throw Error("cannot write " + with_what(what_, path_) + ": the file was already closed");
  // Data first, then the name: after a crash the destination is the old file or the whole new one.
  if (::fsync(fd_) != 0) fail("write", errno);
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail("write", errno);
  }
  fd_ = -1;
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) fail("write", errno);
  committed_ = true;
}

void write_file_atomically(const std::string& path, std::string_view content, std::string_view what) {
  AtomicFile file(path, what);
  file.write(content);
  file.commit();
}

}  // namespace nas
