#pragma once
// Writes files so that readers see either the old file or the complete new
// one: data goes to a temporary file beside the target (created exclusively,
// named ".<name>.tmp-<pid>-<random>"), is flushed to disk, then renamed over
// the target. On any failure the temporaries are removed and an OutputError
// names the target and the reason. Temporaries left by a killed process
// (whose pid is gone) are removed at the next write to the same target.
#include <filesystem>
#include <functional>
#include <ostream>
#include <vector>

namespace h3d {

// Several outputs that appear together or not at all: every target is
// written to its temporary first; commit() renames them only once all are
// written. Destroyed before commit(), it removes what it wrote.
class OutputTransaction {
 public:
  OutputTransaction() = default;
  OutputTransaction(const OutputTransaction&) = delete;
  OutputTransaction& operator=(const OutputTransaction&) = delete;
  ~OutputTransaction();

  void stage(const std::filesystem::path& target, const std::function<void(std::ostream&)>& write);
  void commit();
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::filesystem::path target;
    std::filesystem::path temporary;
  };
  std::vector<Entry> entries_;
};

void writeFileAtomically(const std::filesystem::path& target,
                         const std::function<void(std::ostream&)>& write);

// Throws OutputError unless `target` could be written now: its folder exists,
// is a folder and is writable, and the target itself is not a folder.
void checkWritableTarget(const std::filesystem::path& target);

// Removes ".<name>.tmp-<pid>-*" files beside `target` whose process is gone.
void removeStaleTemporaries(const std::filesystem::path& target);

}  // namespace h3d
