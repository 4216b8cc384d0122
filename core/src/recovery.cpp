#include "h3dpart/recovery.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "h3dpart/errors.h"

namespace h3d {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "session-";

bool sessionRunning(long pid) {
  if (pid <= 0) return false;
  if (pid == static_cast<long>(::getpid())) return true;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// The pid in "session-<pid>.h3dp", or 0 when the name is not a snapshot's.
long pidOf(const fs::path& file) {
  const std::string stem = file.stem().string();
  if (file.extension() != kProjectExtension || stem.rfind(kPrefix, 0) != 0) return 0;
  const std::string digits = stem.substr(std::char_traits<char>::length(kPrefix));
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return 0;
  return std::strtol(digits.c_str(), nullptr, 10);
}

}  // namespace

fs::path RecoveryStore::defaultFolder() {
  const char* state = std::getenv("XDG_STATE_HOME");
  fs::path base;
  if (state && *state && fs::path(state).is_absolute()) {
    base = state;
  } else {
    const char* home = std::getenv("HOME");
    base = fs::path(home && *home ? home : "/tmp") / ".local" / "state";
  }
  return base / "h3dpart" / "recovery";
}

RecoveryStore::RecoveryStore(fs::path folder) : folder_(std::move(folder)) {}

fs::path RecoveryStore::snapshotPath() const {
  std::string name(kPrefix);
  name.append(std::to_string(::getpid()));
  name.append(kProjectExtension);
  return folder_ / name;
}

void RecoveryStore::save(const PartDocument& document, const std::string& projectPath) const {
  std::error_code ec;
  fs::create_directories(folder_, ec);
  if (ec) throw OutputError(folder_.string(), "cannot create the recovery folder: " + ec.message());
  ProjectSaveOptions options;
  options.embedMesh = true;  // a snapshot must not depend on other files
  options.recoveryOf = projectPath;
  saveProject(snapshotPath(), document, options);
}

void RecoveryStore::markCleanExit() const {
  std::error_code ec;
  fs::remove(snapshotPath(), ec);
}

std::vector<RecoverySnapshot> RecoveryStore::findLeftovers() const {
  std::vector<RecoverySnapshot> found;
  std::error_code ec;
  for (fs::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
    const long pid = pidOf(it->path());
    if (pid == 0 || sessionRunning(pid) || !it->is_regular_file(ec)) continue;
    found.push_back({it->path(), pid, it->last_write_time(ec)});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.written > b.written; });
  return found;
}

PartDocument RecoveryStore::restore(const fs::path& file, ProjectInfo* info) {
  return openProject(file, info);
}

void RecoveryStore::discard(const fs::path& file) {
  std::error_code ec;
  fs::remove(file, ec);
}

}  // namespace h3d
