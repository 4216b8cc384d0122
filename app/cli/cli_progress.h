#pragma once
// Progress on stderr: a redrawn bar on a terminal, plain lines otherwise
// (one per stage), nothing with --quiet.
#include <chrono>
#include <string>
#include <string_view>

namespace h3d::cli {

class ProgressPrinter {
 public:
  ProgressPrinter(bool quiet);
  ~ProgressPrinter();
  void update(std::string_view stage, double fraction);
  void finish();  // ends the bar's line

 private:
  bool quiet_;
  bool terminal_;
  std::string stage_;
  int lastPermille_ = -1;
  bool barOpen_ = false;
  std::chrono::steady_clock::time_point lastDraw_{};
};

}  // namespace h3d::cli
