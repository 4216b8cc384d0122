#include "h3dpart/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "h3dpart/errors.h"

namespace h3d {
namespace fs = std::filesystem;

namespace {

fs::path folderOf(const fs::path& target) {
  return target.parent_path().empty() ? fs::path(".") : target.parent_path();
}

std::string temporaryPrefix(const fs::path& target) {
  // Appended piecewise: GCC 12 warns (-Wrestrict) on a chain of operator+.
  std::string name(".");
  name.append(target.filename().string());
  name.append(".tmp-");
  return name;
}

// Creates a new, empty temporary beside `target`; O_EXCL so two writers (or a
// stale file of the same name) can never share one.
fs::path createTemporary(const fs::path& target) {
  std::random_device rd;
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string name = temporaryPrefix(target);
    name.append(std::to_string(::getpid()));
    name.push_back('-');
    name.append(std::to_string(rd()));
    const fs::path tmp = folderOf(target) / name;
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::close(fd);
      return tmp;
    }
    if (errno != EEXIST)
      throw OutputError(target.string(), std::string("cannot write: ") + std::strerror(errno));
  }
  throw OutputError(target.string(), "cannot create a temporary file beside it");
}

void syncFile(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void checkWritableTarget(const fs::path& target) {
  const fs::path folder = folderOf(target);
  std::error_code ec;
  if (!fs::exists(folder, ec)) throw OutputError(target.string(), "folder does not exist");
  if (!fs::is_directory(folder, ec)) throw OutputError(target.string(), "folder is not a folder");
  if (fs::is_directory(target, ec)) throw OutputError(target.string(), "is a folder");
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    throw OutputError(target.string(),
                      "folder is not writable: " + std::string(std::strerror(errno)));
}

void removeStaleTemporaries(const fs::path& target) {
  const std::string prefix = temporaryPrefix(target);
  std::error_code ec;
  for (fs::directory_iterator it(folderOf(target), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0) continue;
    pid_t pid = 0;
    try {
      std::size_t used = 0;
      pid = static_cast<pid_t>(std::stol(rest.substr(0, dash), &used));
      if (used != dash) continue;
    } catch (const std::exception&) {
      continue;
    }
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // that writer may still be at work
    std::error_code rm;
    fs::remove(it->path(), rm);
  }
}

OutputTransaction::~OutputTransaction() {
  for (const Entry& e : entries_) {
    std::error_code ec;
    fs::remove(e.temporary, ec);
  }
}

void OutputTransaction::stage(const fs::path& target,
                              const std::function<void(std::ostream&)>& write) {
  checkWritableTarget(target);
  removeStaleTemporaries(target);
  entries_.push_back({target, createTemporary(target)});
  const fs::path& tmp = entries_.back().temporary;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw OutputError(target.string(), std::string("cannot write: ") + std::strerror(errno));
    out.exceptions(std::ios::badbit | std::ios::failbit);
    try {
      write(out);
      out.flush();
    } catch (const std::ios_base::failure&) {
      throw OutputError(target.string(), "write failed (disk full?)");
    }
  }
  syncFile(tmp);
}

void OutputTransaction::commit() {
  // Every temporary is complete on disk here; renames within a folder are atomic.
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::error_code ec;
    fs::rename(entries_[i].temporary, entries_[i].target, ec);
    if (ec) {
      const std::string why = "cannot replace: " + ec.message();
      const std::string target = entries_[i].target.string();
      entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(i));
      throw OutputError(target, why);
    }
  }
  entries_.clear();
}

void writeFileAtomically(const fs::path& target, const std::function<void(std::ostream&)>& write) {
  OutputTransaction outputs;
  outputs.stage(target, write);
  outputs.commit();
}

}  // namespace h3d
