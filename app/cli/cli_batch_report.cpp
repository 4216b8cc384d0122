#include "cli_batch_report.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "h3dpart/errors.h"

namespace h3d::cli {
using Clock = std::chrono::steady_clock;

namespace {

std::string clock(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

int terminalWidth() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  return 100;
}

// Concatenation by append: GCC 12 warns (-Wrestrict) on chains of operator+.
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

std::string fileName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

}  // namespace

nlohmann::json recordToJson(const FileRecord& r) {
  nlohmann::json j = {{"index", r.index + 1},
                      {"path", r.path},
                      {"status", r.status},
                      {"error", r.error.empty() ? nlohmann::json() : nlohmann::json(r.error)},
                      {"output", r.output},
                      {"parts", r.parts >= 0 ? nlohmann::json(r.parts) : nlohmann::json()},
                      {"triangles", r.triangles},
                      {"stages_s", r.stages},
                      {"seconds", r.seconds},
                      {"peak_rss_bytes", r.peakRssBytes},
                      {"rss_bytes", r.rssBytes}};
  return j;
}

BatchReporter::BatchReporter(std::size_t total, bool quiet, const std::string& jsonLinesPath)
    : total_(total),
      quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) == 1),
      jsonLinesPath_(jsonLinesPath),
      start_(Clock::now()) {
  if (!jsonLinesPath.empty()) {
    jsonLines_.open(jsonLinesPath, std::ios::trunc);
    if (!jsonLines_) throw OutputError(jsonLinesPath, "cannot write the JSON-lines file");
  }
}

BatchReporter::~BatchReporter() {
  endBar();
}

double BatchReporter::elapsedSeconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void BatchReporter::started(std::size_t index, const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_[index] = fileName(path);
  current_ = cat("[", std::to_string(index + 1), "] ", running_[index]);
  drawLocked(true);
}

void BatchReporter::stage(std::size_t index, std::string_view stage, double fraction) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!terminal_ || quiet_) return;
  const auto it = running_.find(index);
  if (it == running_.end()) return;
  char pct[16];
  std::snprintf(pct, sizeof pct, " %d%%", static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100));
  current_ = cat("[", std::to_string(index + 1), "] ", it->second, ": ", std::string(stage), pct);
  drawLocked(false);
}

void BatchReporter::finished(const FileRecord& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_[record.index] = record;
  running_.erase(record.index);
  if (running_.empty()) current_.clear();
  if (record.status == "failed") ++failed_;
  if (record.status == "skipped") ++skipped_;
  if (record.status == "ok" || record.status == "failed") workSeconds_ += record.seconds;
  if (jsonLines_.is_open()) {
    jsonLines_ << recordToJson(record).dump() << '\n';
    jsonLines_.flush();
  }
  clearBarLocked();
  const std::string counter =
      cat("[", std::to_string(done_.size()), "/", std::to_string(total_), "] ");
  if (record.status == "ok") {
    std::printf("%s: %d parts -> %s\n", record.path.c_str(), record.parts, record.output.c_str());
    std::fflush(stdout);
    if (!terminal_ && !quiet_)
      std::fprintf(stderr, "h3dpart: %s%s: done (%d parts, %.1f s)\n", counter.c_str(),
                   record.path.c_str(), record.parts, record.seconds);
  } else if (record.status == "failed") {
    // Failures are not progress: shown even with --quiet.
    std::fprintf(stderr, "h3dpart: %sFAILED %s\n", counter.c_str(), record.error.c_str());
  } else if (record.status == "skipped" && !quiet_) {
    std::fprintf(stderr, "h3dpart: %s%s: skipped (outputs exist)\n", counter.c_str(),
                 record.path.c_str());
  }
  drawLocked(true);
}

void BatchReporter::message(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  clearBarLocked();
  std::fprintf(stderr, "h3dpart: %s\n", line.c_str());
  drawLocked(true);
}

void BatchReporter::endBar() {
  std::lock_guard<std::mutex> lock(mutex_);
  clearBarLocked();
  current_.clear();
}

std::vector<FileRecord> BatchReporter::records() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<FileRecord> out;
  for (const auto& [i, r] : done_) out.push_back(r);
  return out;
}

void BatchReporter::clearBarLocked() {
  if (!barOpen_) return;
  std::fputs("\r\033[K", stderr);
  barOpen_ = false;
}

void BatchReporter::drawLocked(bool force) {
  if (!terminal_ || quiet_ || (current_.empty() && done_.empty())) return;
  const auto now = Clock::now();
  if (!force && now - lastDraw_ < std::chrono::milliseconds(100)) return;
  lastDraw_ = now;
  const std::size_t finished = done_.size();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const std::size_t processed = finished - skipped_;
  std::string eta = "--:--";
  if (processed > 0 && finished < total_)
    eta = clock(elapsed / static_cast<double>(processed) * static_cast<double>(total_ - finished));
  constexpr int width = 24;
  const int filled =
      total_ ? static_cast<int>(static_cast<double>(finished) / static_cast<double>(total_) * width)
             : 0;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(width, '-');
  std::string line = cat("[", bar, "] ", std::to_string(finished), "/", std::to_string(total_));
  if (failed_) line += cat(" (", std::to_string(failed_), " failed)");
  line += cat(" ", clock(elapsed), " ETA ", eta, "  ", current_);
  const auto max = static_cast<std::size_t>(terminalWidth() - 1);
  if (line.size() > max) line.resize(max);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  barOpen_ = true;
}

}  // namespace h3d::cli
