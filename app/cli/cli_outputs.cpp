#include "cli_outputs.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "h3dpart/atomic_file.h"
#include "h3dpart/errors.h"

namespace h3d::cli {
namespace fs = std::filesystem;

namespace {

fs::path resolved(const fs::path& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p).lexically_normal() : r;
}

}  // namespace

bool sameFile(const fs::path& a, const fs::path& b) {
  if (resolved(a) == resolved(b)) return true;
  struct stat sa {};
  struct stat sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

void checkOutputPlan(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const NamedPath& out = outputs[i];
    for (const NamedPath& in : inputs)
      if (sameFile(out.path, in.path))
        throw UsageError(out.option + " " + out.path.string() + ": is the " + in.option + " " +
                         in.path.string() + "; refusing to overwrite an input");
    for (std::size_t j = 0; j < i; ++j)
      if (sameFile(out.path, outputs[j].path))
        throw UsageError(out.option + " " + out.path.string() + ": same file as " +
                         outputs[j].option + " " + outputs[j].path.string());
  }
  for (const NamedPath& out : outputs) checkWritableTarget(out.path);
}

bool commitOutputs(OutputTransaction& outputs, const std::atomic<bool>& cancel) {
  sigset_t held, previous;
  sigemptyset(&held);
  sigaddset(&held, SIGINT);
  sigaddset(&held, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &held, &previous);
  if (cancel.load()) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw CancelledError();
  }
  try {
    outputs.commit();
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  // A held signal is delivered here, and its handler sets `cancel`.
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return cancel.load();
}

void debugWriteDelay(const std::atomic<bool>& cancel) {
  const char* value = std::getenv("H3DPART_DEBUG_WRITE_DELAY_MS");
  if (!value) return;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::atol(value));
  while (!cancel.load() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace h3d::cli
