#include "h3dpart/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "h3dpart/errors.h"

namespace h3d {
namespace fs = std::filesystem;

namespace {

fs::path temporarySibling(const fs::path& target) {
  std::random_device rd;
  // Appended piecewise: GCC 12 warns (-Wrestrict) on a chain of operator+.
  std::string name(".");
  name.append(target.filename().string());
  name.append(".tmp-");
  name.append(std::to_string(rd()));
  name.append(std::to_string(::getpid()));
  return target.parent_path() / name;
}

void syncFile(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void writeFileAtomically(const fs::path& target, const std::function<void(std::ostream&)>& write) {
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw OutputError(target.string(), "folder does not exist");
  if (fs::is_directory(target, ec)) throw OutputError(target.string(), "is a folder");

  const fs::path tmp = temporarySibling(target);
  try {
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
    fs::rename(tmp, target, ec);
    if (ec) throw OutputError(target.string(), "cannot replace: " + ec.message());
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
}

}  // namespace h3d
