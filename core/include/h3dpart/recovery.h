#pragma once
// Autosave and crash recovery. Each running session writes its snapshot to
// <folder>/session-<pid>.h3dp (a project file with the mesh embedded, written
// atomically); a clean exit removes it. At start, snapshots whose session is
// no longer running are what a crash left behind: offer to restore them.
//
// The folder is $XDG_STATE_HOME/h3dpart/recovery, else
// ~/.local/state/h3dpart/recovery; tests pass their own.
#include <filesystem>
#include <string>
#include <vector>

#include "h3dpart/document.h"
#include "h3dpart/project_file.h"

namespace h3d {

struct RecoverySnapshot {
  std::filesystem::path file;
  long pid = 0;                             // the session that wrote it
  std::filesystem::file_time_type written;  // last autosave
};

class RecoveryStore {
 public:
  static std::filesystem::path defaultFolder();

  explicit RecoveryStore(std::filesystem::path folder = defaultFolder());
  const std::filesystem::path& folder() const { return folder_; }
  // This session's snapshot file.
  std::filesystem::path snapshotPath() const;

  // Writes this session's snapshot (creates the folder; OutputError on failure).
  // projectPath: the project file the document belongs to, "" when unsaved.
  void save(const PartDocument& document, const std::string& projectPath = {}) const;
  // The session ends normally: its snapshot goes.
  void markCleanExit() const;

  // Snapshots left by sessions that are no longer running, newest first.
  std::vector<RecoverySnapshot> findLeftovers() const;
  // Opens a snapshot (InputError if unreadable); info->recoveryOf is the project path.
  static PartDocument restore(const std::filesystem::path& file, ProjectInfo* info = nullptr);
  // Removes a snapshot once restored or declined.
  static void discard(const std::filesystem::path& file);

 private:
  std::filesystem::path folder_;
};

}  // namespace h3d
