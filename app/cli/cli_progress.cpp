#include "cli_progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace h3d::cli {

ProgressPrinter::ProgressPrinter(bool quiet)
    : quiet_(quiet), terminal_(::isatty(STDERR_FILENO) == 1) {}

ProgressPrinter::~ProgressPrinter() {
  finish();
}

void ProgressPrinter::update(std::string_view stage, double fraction) {
  if (quiet_) return;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const bool newStage = stage != stage_;
  if (newStage) stage_ = stage;
  if (!terminal_) {
    if (newStage) std::fprintf(stderr, "h3dpart: %s\n", stage_.c_str());
    return;
  }
  // Redraw at most every 50 ms unless the stage changed.
  const auto now = std::chrono::steady_clock::now();
  const int permille = static_cast<int>(fraction * 1000);
  if (!newStage && (permille == lastPermille_ || now - lastDraw_ < std::chrono::milliseconds(50)))
    return;
  lastPermille_ = permille;
  lastDraw_ = now;
  constexpr int width = 30;
  const int filled = static_cast<int>(fraction * width);
  std::string bar(filled, '#');
  bar.resize(width, '-');
  std::fprintf(stderr, "\r\033[K[%s] %3d%% %s", bar.c_str(), permille / 10, stage_.c_str());
  std::fflush(stderr);
  barOpen_ = true;
}

void ProgressPrinter::finish() {
  if (barOpen_) std::fputc('\n', stderr);
  barOpen_ = false;
}

}  // namespace h3d::cli
