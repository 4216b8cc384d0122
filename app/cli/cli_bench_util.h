#pragma once
// What the `h3dpart bench ...` commands share: peak-RSS sampling around a
// measured step, mesh refinement to a target size, size arguments.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "h3dpart/mesh.h"

namespace h3d::cli {

using BenchClock = std::chrono::steady_clock;

std::uint64_t currentRssBytes();

// Peak RSS of a stage: the kernel's high-water mark cannot be reset on every
// kernel, so a sampler thread polls RSS while the stage runs.
class RssSampler {
 public:
  RssSampler() : thread_([this] { loop(); }) {}
  ~RssSampler() { stop(); }
  std::uint64_t stop() {
    if (thread_.joinable()) {
      done_ = true;
      thread_.join();
    }
    return peak_;
  }

 private:
  void loop() {
    while (!done_) {
      peak_ = std::max(peak_.load(), currentRssBytes());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    peak_ = std::max(peak_.load(), currentRssBytes());
  }
  std::atomic<bool> done_{false};
  std::atomic<std::uint64_t> peak_{0};
  std::thread thread_;
};

// {"seconds": wall time of f, "peak_rss_bytes": while it ran}
template <class F>
nlohmann::json measure(F&& f) {
  RssSampler sampler;
  const auto t0 = BenchClock::now();
  f();
  const double s = std::chrono::duration<double>(BenchClock::now() - t0).count();
  return {{"seconds", s}, {"peak_rss_bytes", sampler.stop()}};
}

// A fresh folder under the system temp folder, removed with everything in it
// when the benchmark ends (also by an exception).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Splits every triangle into n*n similar ones: same surface, n^2 more faces
// (vertices along old edges repeat: export and import to join them).
Mesh refine(const Mesh& base, int n);
// The refinement factor that brings `base` nearest to `targetFaces` faces.
int refineFactor(const Mesh& base, std::size_t targetFaces);
// "10k", "1M", "250000" -> a triangle count (UsageError otherwise).
std::size_t parseSize(const std::string& text);

}  // namespace h3d::cli
