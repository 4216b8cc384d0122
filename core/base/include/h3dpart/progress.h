#pragma once
// Progress reporting with cooperative cancellation: long work names its stage,
// reports a fraction, and calls checkCancel() between steps.
#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "h3dpart/errors.h"

namespace h3d {

class Progress {
 public:
  using Callback = std::function<void(std::string_view stage, double fraction)>;

  Progress() = default;
  Progress(Callback callback, const std::atomic<bool>* cancelFlag)
      : callback_(std::move(callback)), cancel_(cancelFlag) {}

  // Starts a named stage ("sampling", "inference", ...) at fraction 0.
  void stage(std::string_view name) {
    stage_ = name;
    report(0.0);
  }
  void report(double fraction) {
    checkCancel();
    if (callback_) callback_(stage_, fraction);
  }
  // Throws CancelledError when cancellation was requested.
  void checkCancel() const {
    if (cancel_ && cancel_->load(std::memory_order_relaxed)) throw CancelledError();
  }
  bool cancelRequested() const { return cancel_ && cancel_->load(std::memory_order_relaxed); }
  const std::string& currentStage() const { return stage_; }

 private:
  Callback callback_;
  const std::atomic<bool>* cancel_ = nullptr;
  std::string stage_;
};

}  // namespace h3d
