#pragma once
// Autosave and crash recovery. Each running session writes its snapshot to
// <folder>/session-<pid>.h3dp (a project file with the mesh embedded, written
// atomically); a clean exit removes it. At start, snapshots whose session is
// no longer running are what a crash left behind: offer to restore them.
//
// "No longer running": the session holds an flock on session-<pid>.lock from
// its first save until it exits (the kernel drops it when the process dies,
// whatever kills it), so a reused pid or a reboot cannot hide a leftover.
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
  ~RecoveryStore();
  RecoveryStore(const RecoveryStore&) = delete;
  RecoveryStore& operator=(const RecoveryStore&) = delete;
  const std::filesystem::path& folder() const { return folder_; }
  // This session's snapshot file.
  std::filesystem::path snapshotPath() const;

  // Writes this session's snapshot (creates the folder; OutputError on failure).
  // projectPath: the project file the document belongs to, "" when unsaved.
  void save(const PartDocument& document, const std::string& projectPath = {});
  // The session ends normally: its snapshot (and lock) go.
  void markCleanExit();
  // The work the snapshot held was saved or given up: the snapshot goes, the
  // session (and its lock) stays, so nothing stale is offered after a crash.
  void discardSnapshot();

  // Snapshots left by sessions that are no longer running, newest first.
  std::vector<RecoverySnapshot> findLeftovers() const;
  // Opens a snapshot (InputError if unreadable); info->recoveryOf is the project path.
  static PartDocument restore(const std::filesystem::path& file, ProjectInfo* info = nullptr);
  // Removes a snapshot (and its lock file) once restored or declined.
  static void discard(const std::filesystem::path& file);

 private:
  std::filesystem::path lockPath() const;

  std::filesystem::path folder_;
  int lockFd_ = -1;  // held from the first save to markCleanExit / destruction
};

}  // namespace h3d
