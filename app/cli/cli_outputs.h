#pragma once
// What a command will write, checked before any work, and committed all at
// once at the end.
#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

namespace h3d {
class OutputTransaction;
}

namespace h3d::cli {

// A path the user named, with the option that named it ("-o", "--json", "input").
struct NamedPath {
  std::filesystem::path path;
  std::string option;
};

// Refuses (UsageError) an output that is, after resolving symlinks and hard
// links, one of the inputs or another output; then refuses (OutputError) an
// output whose folder is missing or not writable. Call before any work.
void checkOutputPlan(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs);

// True when `a` and `b` name one file (same path after resolving, or the same
// inode for existing files).
bool sameFile(const std::filesystem::path& a, const std::filesystem::path& b);

// Renames every staged output with SIGINT and SIGTERM held, so an interrupt
// lands either before the first rename (CancelledError, nothing written) or
// after the last. Returns true when an interrupt arrived during the renames.
bool commitOutputs(OutputTransaction& outputs, const std::atomic<bool>& cancel);

// Test hook: with H3DPART_DEBUG_WRITE_DELAY_MS set, waits that long (or until
// cancelled) between writing the temporaries and renaming them.
void debugWriteDelay(const std::atomic<bool>& cancel);

}  // namespace h3d::cli
