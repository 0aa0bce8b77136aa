// Progress of long commands on stderr: a line redrawn in place on a terminal, plain lines every 10%
// otherwise (logs stay readable). The in-place line is always ended with a newline, when the work
// finishes or when the reporter is destroyed by an error, so an `error:` line never lands on it.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>

namespace nas::cli {

class ProgressLine {
 public:
  /// `unit` names what is counted ("runs", "archs").
  explicit ProgressLine(std::string unit) : unit_(std::move(unit)), tty_(::isatty(STDERR_FILENO) != 0) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { finish(); }

  void update(std::size_t done, std::size_t total) {
    if (total == 0) return;
    const int percent = static_cast<int>(100 * done / total);
    if (tty_) {
      const int width = 40;
      const int filled = width * percent / 100;
      std::fprintf(stderr, "\r[%s%s] %zu/%zu %s", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), done, total, unit_.c_str());
      open_line_ = true;
      if (done == total) finish();
    } else if (percent / 10 != last_percent_ / 10 || done == total) {
      std::fprintf(stderr, "progress: %zu/%zu %s (%d%%)\n", done, total, unit_.c_str(), percent);
    }
    last_percent_ = percent;
    std::fflush(stderr);
  }

  /// Ends the in-place line (if one is drawn).
  void finish() {
    if (open_line_) std::fputc('\n', stderr);
    open_line_ = false;
  }

 private:
  std::string unit_;
  bool tty_;
  bool open_line_ = false;
  int last_percent_ = -1;
};

}  // namespace nas::cli
