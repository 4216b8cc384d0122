// h3dpart: the command-line front end. Wiring only: parse, run a command,
// turn errors into one line on stderr and an exit code.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <new>
#include <string>
#include <vector>

#include "cli_batch.h"
#include "cli_commands.h"
#include "h3dpart/errors.h"

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void onInterrupt(int) {
  // First Ctrl-C cancels at the next checkpoint (outputs stay untouched);
  // a second one leaves at once.
  if (g_cancel.exchange(true)) ::_exit(130);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace h3d;
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    const cli::Options options = cli::parseOptions(args);
    if (options.help) {
      std::fputs(cli::usageText().c_str(), stdout);
      return 0;
    }
    if (options.version) {
      std::printf("h3dpart %s\n", H3DPART_VERSION);
      return 0;
    }
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    if (options.command == "models") return cli::runModels(options);
    if (options.command == "bench") {
      if (options.subcommand == "models") return cli::runBenchModels(options);
      if (options.subcommand == "editing") return cli::runBenchEditing(options);
      if (options.subcommand == "cancel") return cli::runBenchCancel(options);
      return cli::runBenchPipeline(options, g_cancel);
    }
    if (options.batch()) return cli::runBatch(options, g_cancel);
    return cli::runPipeline(options, g_cancel);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "h3dpart: %s\n(see h3dpart --help)\n", e.what());
    return static_cast<int>(ExitCode::Usage);
  } catch (const CancelledError&) {
    std::fprintf(stderr, "h3dpart: cancelled; no output written\n");
    return static_cast<int>(ExitCode::Cancelled);
  } catch (const OutputError& e) {
    std::fprintf(stderr, "h3dpart: output %s\n", e.what());
    return static_cast<int>(e.exitCode());
  } catch (const Error& e) {
    std::fprintf(stderr, "h3dpart: %s\n", e.what());
    return static_cast<int>(e.exitCode());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "h3dpart: out of memory\n");
    return static_cast<int>(ExitCode::OutOfMemory);
  } catch (const std::exception& e) {
    // Not one of the project's errors: a bug, said as such.
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    std::fprintf(stderr, "h3dpart: internal error: %s\n", what.c_str());
    return static_cast<int>(ExitCode::Internal);
  } catch (...) {
    std::fprintf(stderr, "h3dpart: internal error: unknown exception\n");
    return static_cast<int>(ExitCode::Internal);
  }
}
