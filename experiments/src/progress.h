// Progress of long commands on stderr: a line redrawn in place on a terminal, plain lines every 10%
// otherwise (logs stay readable). The in-place line is always ended with a newline, when the work
// finishes or when the reporter is destroyed by an error, so an `error:` line never lands on it.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "nas/algorithms/architecture_trainer.h"
#include "nas/algorithms/searcher.h"

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

/// Live progress of training on stderr (weight-sharing searches): the epoch, the batch, the
/// epoch's running loss and accuracy, images/s and the ETA of the whole training. On a terminal one
/// line is redrawn (at most 4 times a second); otherwise a plain line at the first step, every 30 s
/// and at every finished epoch, so that the logs of long runs stay readable. Quiet: nothing.
class TrainingProgress {
 public:
  /// `label` prefixes every line ("gdas seed 0").
  TrainingProgress(std::string label, bool quiet)
      : label_(std::move(label)), quiet_(quiet), tty_(::isatty(STDERR_FILENO) != 0) {}
  TrainingProgress(const TrainingProgress&) = delete;
  TrainingProgress& operator=(const TrainingProgress&) = delete;
  ~TrainingProgress() { finish(); }

  void batch(const algorithms::BatchProgress& p) {
    if (quiet_ || p.batches <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    const double since = std::chrono::duration<double>(now - last_line_).count();
    const bool last = p.batch == p.batches;
    // Off a terminal: the first step (training has started, at this speed), then every 30 s.
    if (tty_ ? (since < 0.25 && !last) : (shown_ && since < 30)) return;
    last_line_ = now;
    shown_ = true;
    // This epoch's training so far extrapolated to its end; later epochs as the finished ones took.
    const double epoch_estimate = p.seconds / p.batch * p.batches;
    const double per_epoch = finished_epochs_ > 0 ? finished_seconds_ / finished_epochs_ : epoch_estimate;
    const double eta = (epoch_estimate - p.seconds) + per_epoch * (p.epochs - p.epoch - 1);
    char line[256];
    std::snprintf(line, sizeof line, "%s: epoch %d/%d batch %d/%d loss %.4f acc %.2f%% %.0f img/s ETA %s", label_.c_str(),
                  p.epoch + 1, p.epochs, p.batch, p.batches, p.train_loss, p.train_accuracy,
                  p.seconds > 0 ? static_cast<double>(p.images) / p.seconds : 0.0, duration_text(eta).c_str());
    if (tty_) {
      std::fprintf(stderr, "\r%s\033[K", line);
      open_line_ = true;
    } else {
      std::fprintf(stderr, "progress: %s\n", line);
    }
    std::fflush(stderr);
  }

  void epoch(const algorithms::EpochRecord& r, int epochs) {
    char summary[128];
    std::snprintf(summary, sizeof summary, "train loss %.4f acc %.2f%%, valid acc %.2f%%", r.train_loss, r.train_accuracy,
                  r.valid_accuracy);
    epoch_done(r.epoch, epochs, r.seconds, summary);
  }

  /// A finished epoch (0-based) that took `seconds`, with what it measured in words.
  void epoch_done(int epoch, int epochs, double seconds, const std::string& summary) {
    if (quiet_) return;
    ++finished_epochs_;
    finished_seconds_ += seconds;
    finish();
    std::fprintf(stderr, "progress: %s: epoch %d/%d done in %s: %s\n", label_.c_str(), epoch + 1, epochs,
                 duration_text(seconds).c_str(), summary.c_str());
    std::fflush(stderr);
  }

  /// Ends the in-place line (if one is drawn).
  void finish() {
    if (open_line_) std::fputc('\n', stderr);
    open_line_ = false;
  }

  /// "42 s", "3 min 05 s", "2 h 07 min".
  static std::string duration_text(double seconds) {
    if (!(seconds >= 0)) seconds = 0;
    const auto s = static_cast<long long>(seconds + 0.5);
    char text[32];
    if (s < 60) {
      std::snprintf(text, sizeof text, "%lld s", s);
    } else if (s < 3600) {
      std::snprintf(text, sizeof text, "%lld min %02lld s", s / 60, s % 60);
    } else {
      std::snprintf(text, sizeof text, "%lld h %02lld min", s / 3600, s / 60 % 60);
    }
    return text;
  }

 private:
  std::string label_;
  bool quiet_;
  bool tty_;
  bool open_line_ = false;
  bool shown_ = false;  // a batch line was printed
  int finished_epochs_ = 0;
  double finished_seconds_ = 0;
  std::chrono::steady_clock::time_point last_line_{};
};

/// SearchCallbacks that show a weight-sharing search's progress (a TrainingProgress of their own).
class TrainingProgressCallbacks final : public algorithms::SearchCallbacks {
 public:
  TrainingProgressCallbacks(std::string label, bool quiet) : display_(std::move(label), quiet) {}
  void on_batch(const algorithms::BatchProgress& p) override {
    epochs_ = p.epochs;
    display_.batch(p);
  }
  void on_epoch(const algorithms::EpochRecord& r) override { display_.epoch(r, epochs_); }

 private:
  TrainingProgress display_;
  int epochs_ = 0;  // of the search, as its batch events say
};

/// TrainingCallbacks of `nas train` that show its progress.
class TrainProgressCallbacks final : public algorithms::TrainingCallbacks {
 public:
  TrainProgressCallbacks(std::string label, bool quiet) : display_(std::move(label), quiet) {}
  void on_batch(const algorithms::BatchProgress& p) override { display_.batch(p); }
  void on_epoch(const algorithms::TrainingEpoch& e) override {
    char text[96];
    std::snprintf(text, sizeof text, "lr %.4g, train loss %.4f acc %.2f%%", e.lr, e.train_loss, e.train_accuracy);
    std::string summary = text;
    for (const auto& [set, accuracy] : e.eval_accuracy) {
      std::snprintf(text, sizeof text, ", %s %.2f%%", set.c_str(), accuracy);
      summary += text;
    }
    display_.epoch_done(e.epoch, e.epochs, e.seconds, summary);
  }

 private:
  TrainingProgress display_;
};

}  // namespace nas::cli
