// Crash recovery: a child process autosaves and is killed; the snapshot it
// left is found and restores the identical document.
#include <QtTest>

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

#include "document_fixtures.h"
#include "h3dpart/errors.h"
#include "h3dpart/recovery.h"

using namespace h3d;
namespace fs = std::filesystem;

namespace {

constexpr const char* kChildFlag = "--autosave-then-wait";
constexpr const char* kProject = "/home/user/robot.h3dp";

// The document the child autosaves: the fixture plus an unsaved edit.
PartDocument unsavedWork() {
  PartDocument doc = fixtures::segmentedDocument();
  SplitPartCommand(1, fixtures::cellFace(3, 1), fixtures::cellFace(7, 1)).redo(doc);
  return doc;
}

// Child mode: autosave, say so, then wait to be killed.
int runChild(const char* folder) {
  RecoveryStore store(folder);  // holds the session lock until the process dies
  store.save(unsavedWork(), kProject);
  std::cout << "saved" << std::endl;
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

}  // namespace

class TestRecovery : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path folder(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

 private Q_SLOTS:
  void defaultFolderFollowsXdgStateHome() {
    const QByteArray old = qgetenv("XDG_STATE_HOME");
    qputenv("XDG_STATE_HOME", "/tmp/state-here");
    QCOMPARE(RecoveryStore::defaultFolder(), fs::path("/tmp/state-here/h3dpart/recovery"));
    qunsetenv("XDG_STATE_HOME");
    QVERIFY(RecoveryStore::defaultFolder().string().ends_with("/.local/state/h3dpart/recovery"));
    if (!old.isEmpty()) qputenv("XDG_STATE_HOME", old);
  }

  void ownSnapshotIsNoLeftoverAndCleanExitRemovesIt() {
    RecoveryStore store(folder("own"));
    QVERIFY(store.findLeftovers().empty());  // the folder does not exist yet
    store.save(unsavedWork());
    QVERIFY(fs::exists(store.snapshotPath()));
    QVERIFY(store.findLeftovers().empty());     // this session is running
    store.save(fixtures::segmentedDocument());  // a later autosave replaces it
    QVERIFY(RecoveryStore::restore(store.snapshotPath()) == fixtures::segmentedDocument());
    store.markCleanExit();
    QVERIFY(!fs::exists(store.snapshotPath()));
    QCOMPARE(std::distance(fs::directory_iterator(store.folder()), fs::directory_iterator()), 0);
  }

  void discardedSnapshotLeavesNothingToOffer() {
    RecoveryStore store(folder("discard"));
    store.save(unsavedWork());
    store.discardSnapshot();  // the work was saved as a project
    QVERIFY(!fs::exists(store.snapshotPath()));
    QVERIFY(store.findLeftovers().empty());
    // Another store on the folder (another session) sees this one still running.
    RecoveryStore other(folder("discard"));
    QVERIFY(other.findLeftovers().empty());
    store.save(unsavedWork());  // later work is autosaved again
    QVERIFY(fs::exists(store.snapshotPath()));
    QVERIFY(other.findLeftovers().empty());
    store.markCleanExit();
  }

  void snapshotOfAKilledSessionIsRestored() {
    const fs::path where = folder("crash");
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(),
                {kChildFlag, QString::fromStdString(where.string())});
    QVERIFY(child.waitForStarted(10000));
    QByteArray out;
    while (!out.contains("saved") && child.waitForReadyRead(30000))
      out += child.readAllStandardOutput();
    QVERIFY2(out.contains("saved"), out.constData());
    const long pid = static_cast<long>(child.processId());
    QVERIFY(RecoveryStore(where).findLeftovers().empty());  // it still runs
    child.kill();                                           // SIGKILL: no clean exit
    QVERIFY(child.waitForFinished(10000));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    const RecoveryStore store(where);
    const auto leftovers = store.findLeftovers();
    QCOMPARE(leftovers.size(), std::size_t(1));
    QCOMPARE(leftovers[0].pid, pid);
    ProjectInfo info;
    const PartDocument restored = RecoveryStore::restore(leftovers[0].file, &info);
    QVERIFY(restored == unsavedWork());
    QCOMPARE(info.recoveryOf, std::string(kProject));
    QVERIFY(info.meshEmbedded);
    RecoveryStore::discard(leftovers[0].file);
    QVERIFY(store.findLeftovers().empty());
  }

  void unheldLockBeatsALivePid() {
    // after a reboot the pid in a snapshot's name may belong to another
    // process (pid 1 always exists); the lock nobody holds tells the truth
    const fs::path where = folder("reused");
    {
      RecoveryStore store(where);
      store.save(unsavedWork());
      fs::copy_file(store.snapshotPath(), where / "session-1.h3dp");
    }
    std::ofstream(where / "session-1.lock") << "";
    const auto leftovers = RecoveryStore(where).findLeftovers();
    QCOMPARE(leftovers.size(), std::size_t(1));  // this session's own file never is one
    QCOMPARE(leftovers[0].pid, 1L);
    QVERIFY(RecoveryStore::restore(leftovers[0].file) == unsavedWork());
  }

  void otherFilesAreIgnored() {
    const fs::path where = folder("mixed");
    fs::create_directories(where);
    for (const char* name : {"notes.txt", "session-.h3dp", "session-12x.h3dp", "other-1.h3dp"})
      std::ofstream(where / name) << "x";
    QVERIFY(RecoveryStore(where).findLeftovers().empty());
  }

  void damagedSnapshotIsAnInputError() {
    const fs::path where = folder("damaged");
    fs::create_directories(where);
    // pid 2^22+1 is above Linux's pid_max default range: no such session
    const fs::path file = where / "session-4194305.h3dp";
    std::ofstream(file) << "H3DP";
    const auto leftovers = RecoveryStore(where).findLeftovers();
    QCOMPARE(leftovers.size(), std::size_t(1));
    QVERIFY_THROWS_EXCEPTION(InputError, RecoveryStore::restore(file));
  }
};

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], kChildFlag) == 0) return runChild(argv[2]);
  QCoreApplication app(argc, argv);
  TestRecovery test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_recovery.moc"
