#pragma once
// What a batch tells the user as it goes: on a terminal one overall bar
// (files done / total, elapsed, ETA, the current file and stage), otherwise
// one stderr line per file; a result line per finished file on stdout; one
// JSON object per input in the --json-lines file. Thread-safe: --jobs
// workers report at once.
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace h3d::cli {

struct FileRecord {
  std::size_t index = 0;
  std::string path;
  std::string output;
  std::string status;  // "ok" | "failed" | "skipped" | "cancelled"
  std::string error;   // one line, naming the file
  int exitKind = 0;    // the single-input exit code this failure would give
  int parts = -1;      // meshes written (-1: none)
  std::size_t triangles = 0;
  std::map<std::string, double> stages;
  double seconds = 0.0;
  std::uint64_t peakRssBytes = 0;  // the process's peak while this input ran
  std::uint64_t rssBytes = 0;      // the process's resident set after it
};

// The JSON object of one input (--json-lines, and the files of --json).
nlohmann::json recordToJson(const FileRecord& record);

class BatchReporter {
 public:
  BatchReporter(std::size_t total, bool quiet, const std::string& jsonLinesPath);
  ~BatchReporter();
  BatchReporter(const BatchReporter&) = delete;
  BatchReporter& operator=(const BatchReporter&) = delete;

  void started(std::size_t index, const std::string& path);
  void stage(std::size_t index, std::string_view stage, double fraction);
  void finished(const FileRecord& record);
  // A line that must not tear the bar (the summary, warnings).
  void message(const std::string& line);
  void endBar();

  std::vector<FileRecord> records() const;  // in input order
  double elapsedSeconds() const;

 private:
  void drawLocked(bool force);
  void clearBarLocked();

  mutable std::mutex mutex_;
  const std::size_t total_;
  const bool quiet_;
  const bool terminal_;
  std::ofstream jsonLines_;
  std::string jsonLinesPath_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point lastDraw_{};
  std::map<std::size_t, FileRecord> done_;
  std::map<std::size_t, std::string> running_;  // index -> file name
  std::size_t failed_ = 0, skipped_ = 0;
  double workSeconds_ = 0.0;  // sum over processed (not skipped) inputs
  std::string current_;       // "chair.off: inference 40%"
  bool barOpen_ = false;
};

}  // namespace h3d::cli
