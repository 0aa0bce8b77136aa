// Reading and writing files safely: the one place where nas touches the file system for its data.
//
// Every input nas reads (benchmark stores, official records, experiment and config YAML, plugins,
// checkpoints, image data) comes from a user, so it may be anything: a FIFO that blocks an open()
// forever, /dev/zero that never ends, a directory, a file truncated while in use. Readers here
// refuse anything but a regular file without blocking on it, bound what they read, and read with
// pread so that a file that shrinks under a running process is an error, not a SIGBUS.
//
// Every output is written to a temporary file beside its destination and renamed over it once
// complete, so a reader never sees half a file; on any failure (full disk, permissions, an
// exception in the producer) the temporary is removed and the error names the cause.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nas {

/// A regular file opened for reading (move-only; closes on destruction).
class RegularFile {
 public:
  /// Opens `path`; throws nas::Error ("cannot read <what> <path>: ...") if it is missing, not a
  /// regular file (FIFO, device, directory, socket) or unreadable. Never blocks on a FIFO.
  static RegularFile open(const std::string& path, std::string_view what);

  RegularFile() = default;  ///< no file (is_open() false) until one is moved in
  RegularFile(RegularFile&& other) noexcept;
  RegularFile& operator=(RegularFile&& other) noexcept;
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;
  ~RegularFile();

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  /// The size when opened.
  std::uint64_t size() const { return size_; }
  /// The size now (fstat): differs from size() if the file was truncated or grown meanwhile.
  std::uint64_t current_size() const;
  /// Reads exactly `bytes` at `offset`; throws nas::Error if the file no longer holds them
  /// (truncated or replaced in place while in use) or on an I/O error.
  void read_at(std::uint64_t offset, void* out, std::size_t bytes) const;

 private:
  RegularFile(int fd, std::string path, std::uint64_t size, std::string what)
      : fd_(fd), path_(std::move(path)), size_(size), what_(std::move(what)) {}
  int fd_ = -1;
  std::string path_;
  std::uint64_t size_ = 0;
  std::string what_;
};

/// The whole content of a regular file; throws nas::Error if it is not one (see RegularFile) or if
/// it is larger than `max_bytes` (so a huge or endless input cannot exhaust memory).
std::string read_regular_file(const std::string& path, std::string_view what, std::uint64_t max_bytes);

/// Throws nas::Error unless `path` names a file that can be created or replaced: not empty, not a
/// directory, in an existing directory that this process may write. Commands call it before any
/// long work, so a bad --out fails at once instead of after the work.
void require_writable_location(const std::string& path, std::string_view what);

/// A file written atomically: bytes go to a unique temporary file in the destination's directory,
/// commit() flushes it to disk and renames it over the destination. If commit() is not reached
/// (an error, an exception) the temporary is removed, and the destination is left as it was.
class AtomicFile {
 public:
  /// Creates the temporary file; throws nas::Error naming `what` and the cause on failure.
  AtomicFile(std::string path, std::string_view what);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  /// Appends bytes; throws nas::Error with the cause (e.g. "No space left on device").
  void write(const void* data, std::size_t bytes);
  void write(std::string_view text) { write(text.data(), text.size()); }
  /// Overwrites bytes already written (e.g. a header filled in at the end).
  void write_at(std::uint64_t offset, const void* data, std::size_t bytes);
  /// Bytes appended so far.
  std::uint64_t size() const { return size_; }
  /// Flushes to disk and renames onto the destination; throws nas::Error on failure (and removes
  /// the temporary).
  void commit();

  const std::string& path() const { return path_; }
  /// The temporary file, for a writer that fills it by name rather than through write() (SQLite
  /// writes an exported database there); commit() then flushes and renames it all the same.
  const std::string& temporary_path() const { return temporary_; }

 private:
  [[noreturn]] void fail(const std::string& doing, int error_number);
  std::string path_, temporary_, what_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  bool committed_ = false;
};

/// Writes `content` to `path` atomically (AtomicFile).
void write_file_atomically(const std::string& path, std::string_view content, std::string_view what);

}  // namespace nas
