#include "h3dpart/recovery.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "h3dpart/errors.h"

namespace h3d {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "session-";

fs::path withExtension(fs::path file, const char* extension) {
  return file.replace_extension(extension);
}

// A session runs while it holds the flock on its lock file; without a lock
// file (never saved or an older writer), while its pid exists.
bool sessionRunning(const fs::path& snapshot, long pid) {
  if (pid == static_cast<long>(::getpid())) return true;
  const fs::path lock = withExtension(snapshot, ".lock");
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);  // releases our probe lock, if we got it
    return held;
  }
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

RecoveryStore::~RecoveryStore() {
  if (lockFd_ >= 0) ::close(lockFd_);
}

fs::path RecoveryStore::lockPath() const {
  return withExtension(snapshotPath(), ".lock");
}

fs::path RecoveryStore::snapshotPath() const {
  std::string name(kPrefix);
  name.append(std::to_string(::getpid()));
  name.append(kProjectExtension);
  return folder_ / name;
}

void RecoveryStore::save(const PartDocument& document, const std::string& projectPath) {
  std::error_code ec;
  fs::create_directories(folder_, ec);
  if (ec) throw OutputError(folder_.string(), "cannot create the recovery folder: " + ec.message());
  if (lockFd_ < 0) {
    const fs::path lock = lockPath();
    lockFd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockFd_ < 0 || ::flock(lockFd_, LOCK_EX | LOCK_NB) != 0)
      throw OutputError(lock.string(), std::string("cannot lock: ") + std::strerror(errno));
  }
  ProjectSaveOptions options;
  options.embedMesh = true;  // a snapshot must not depend on other files
  options.recoveryOf = projectPath;
  saveProject(snapshotPath(), document, options);
}

void RecoveryStore::markCleanExit() {
  std::error_code ec;
  fs::remove(snapshotPath(), ec);
  if (lockFd_ >= 0) {
    fs::remove(lockPath(), ec);
    ::close(lockFd_);
    lockFd_ = -1;
  }
}

void RecoveryStore::discardSnapshot() {
  std::error_code ec;
  fs::remove(snapshotPath(), ec);
}

std::vector<RecoverySnapshot> RecoveryStore::findLeftovers() const {
  std::vector<RecoverySnapshot> found;
  std::error_code ec;
  for (fs::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
    const long pid = pidOf(it->path());
    if (pid == 0 || !it->is_regular_file(ec) || sessionRunning(it->path(), pid)) continue;
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
  fs::remove(withExtension(file, ".lock"), ec);
}

}  // namespace h3d
