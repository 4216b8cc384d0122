// Atomic output: a transaction's files appear together or not at all; no
// temporary is left behind; a stale temporary of a dead process is removed.
#include <unistd.h>

#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "h3dpart/atomic_file.h"
#include "h3dpart/errors.h"

using namespace h3d;
namespace fs = std::filesystem;

class TestAtomicFile : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  fs::path path(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }
  int temporaries() const {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir_.path().toStdString()))
      n += e.path().filename().string().find(".tmp-") != std::string::npos;
    return n;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private Q_SLOTS:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void commitWritesEveryFile() {
    OutputTransaction t;
    t.stage(path("a.txt"), [](std::ostream& o) { o << "A"; });
    t.stage(path("b.txt"), [](std::ostream& o) { o << "B"; });
    QVERIFY(!fs::exists(path("a.txt")));  // nothing visible before the commit
    QCOMPARE(temporaries(), 2);
    t.commit();
    QCOMPARE(read(path("a.txt")), std::string("A"));
    QCOMPARE(read(path("b.txt")), std::string("B"));
    QCOMPARE(temporaries(), 0);
  }

  // The second output fails (a full disk, say): the first must not appear either.
  void aFailedOutputLeavesNone_data() {
    QTest::addColumn<bool>("streamFailure");
    QTest::newRow("write fails") << true;
    QTest::newRow("writer throws") << false;
  }
  void aFailedOutputLeavesNone() {
    QFETCH(bool, streamFailure);
    fs::remove(path("c.txt"));
    {
      OutputTransaction t;
      t.stage(path("c.txt"), [](std::ostream& o) { o << "C"; });
      try {
        t.stage(path("d.txt"), [&](std::ostream& o) {
          if (streamFailure) o.setstate(std::ios::failbit);
          throw std::runtime_error("deliberate");
        });
        QFAIL("the failing stage was accepted");
      } catch (const OutputError& e) {
        QVERIFY(streamFailure);
        QVERIFY2(QString(e.what()).contains("d.txt"), e.what());
      } catch (const std::runtime_error&) {
        QVERIFY(!streamFailure);
      }
    }
    QVERIFY(!fs::exists(path("c.txt")));
    QVERIFY(!fs::exists(path("d.txt")));
    QCOMPARE(temporaries(), 0);
  }

  void replacingKeepsTheOldFileUntilCommit() {
    writeFileAtomically(path("e.txt"), [](std::ostream& o) { o << "old"; });
    OutputTransaction t;
    t.stage(path("e.txt"), [](std::ostream& o) { o << "new"; });
    QCOMPARE(read(path("e.txt")), std::string("old"));
    t.commit();
    QCOMPARE(read(path("e.txt")), std::string("new"));
  }

  void unwritableTargets_data() {
    QTest::addColumn<QString>("target");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing folder") << "no/such/f.txt"
                                    << "folder does not exist";
    QTest::newRow("folder is a file") << "plain/f.txt"
                                      << "not a folder";
    QTest::newRow("target is a folder") << "sub"
                                        << "is a folder";
  }
  void unwritableTargets() {
    QFETCH(QString, target);
    QFETCH(QString, expected);
    std::ofstream(path("plain")) << "x";
    fs::create_directories(path("sub"));
    const fs::path t = fs::path(dir_.path().toStdString()) / target.toStdString();
    try {
      checkWritableTarget(t);
      QFAIL("accepted");
    } catch (const OutputError& e) {
      QVERIFY2(QString(e.what()).contains(expected), e.what());
    }
    QVERIFY_THROWS_EXCEPTION(OutputError,
                             writeFileAtomically(t, [](std::ostream& o) { o << "x"; }));
  }

  void staleTemporariesOfDeadProcessesGo() {
    std::ofstream(path(".f.txt.tmp-4194999-1")) << "dead";
    const std::string mine = ".f.txt.tmp-" + std::to_string(::getppid()) + "-1";
    std::ofstream(path(mine.c_str())) << "alive";
    std::ofstream(path(".other.txt.tmp-4194999-1")) << "another target's";
    removeStaleTemporaries(path("f.txt"));
    QVERIFY(!fs::exists(path(".f.txt.tmp-4194999-1")));
    QVERIFY(fs::exists(path(mine.c_str())));
    QVERIFY(fs::exists(path(".other.txt.tmp-4194999-1")));
    fs::remove(path(mine.c_str()));
    fs::remove(path(".other.txt.tmp-4194999-1"));
  }
};

QTEST_GUILESS_MAIN(TestAtomicFile)
#include "test_atomic_file.moc"
