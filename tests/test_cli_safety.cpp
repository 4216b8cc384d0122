// The `h3dpart` command line never loses a file: outputs that would overwrite
// an input or each other are refused before any work, so are outputs that
// cannot be written; outputs appear together or not at all, also when
// interrupted while writing; stale temporaries are cleaned; an empty result
// is an error, not exit 0; broken package folders are named.
#include <signal.h>
#include <unistd.h>

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>

#include "cli_test_support.h"

namespace fs = std::filesystem;
using namespace cli_test;

class TestCliSafety : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  QString path(const QString& name) const { return dir_.filePath(name); }

  // A small OBJ input for the cases that need one.
  void writeCubeObj() const {
    writeBytes(path("in.obj"),
               "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nv 1 0 1\nv 1 1 1\nv 0 1 1\n"
               "f 1 3 2\nf 1 4 3\nf 5 6 7\nf 5 7 8\nf 1 2 6\nf 1 6 5\nf 2 3 7\nf 2 7 6\n"
               "f 3 4 8\nf 3 8 7\nf 4 1 5\nf 4 5 8\n");
  }

  QStringList temporaries() const {
    QStringList found;
    for (const QString& f : QDir(dir_.path()).entryList(QDir::Files | QDir::Hidden))
      if (f.contains(".tmp-")) found << f;
    return found;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    QVERIFY2(QFileInfo::exists(kCli), qPrintable(kCli));
    QVERIFY(QFile::copy(kSample, path("in.glb")));
    writeCubeObj();
  }

  void collidingOutputsAreRefused_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    const QString in = path("in.glb");
    QTest::newRow("-o is the input") << QStringList{"segment", in, "-o", in} << "input";
    QTest::newRow("--face-labels is the input")
        << QStringList{"segment", in, "-o", path("a.glb"), "--face-labels", in} << "input";
    QTest::newRow("--json is -o") << QStringList{"segment",     in,       "-o",
                                                 path("x.glb"), "--json", path("x.glb")}
                                  << "same file";
    QTest::newRow("-o and --face-labels one file")
        << QStringList{"segment", in, "-o", path("y.glb"), "--face-labels", path("./y.glb")}
        << "same file";
    QTest::newRow("-o a hard link of the input")
        << QStringList{"segment", in, "-o", path("hard.glb")} << "input";
    QTest::newRow("-o a symlink to the input")
        << QStringList{"segment", in, "-o", path("soft.glb")} << "input";
    QTest::newRow("run over its obj input")
        << QStringList{"run", path("in.obj"), "-o", path("in.obj")} << "input";
    QTest::newRow("-o is the --labels file")
        << QStringList{"generate", in, "-o", path("labels.ply"), "--labels", path("labels.ply")}
        << "--labels";
  }
  void collidingOutputsAreRefused() {
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    if (!QFileInfo::exists(path("hard.glb")))
      QCOMPARE(::link(qPrintable(path("in.glb")), qPrintable(path("hard.glb"))), 0);
    if (!QFileInfo::exists(path("soft.glb")))
      QVERIFY(QFile::link(path("in.glb"), path("soft.glb")));
    writeBytes(path("labels.ply"), "0\n");
    const QByteArray inputBefore = readBytes(path("in.glb"));
    const QByteArray objBefore = readBytes(path("in.obj"));
    const Result r = runCli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(lastLine(r.err).contains(expected) || r.err.contains(expected), qPrintable(r.err));
    QVERIFY2(!r.err.contains("importing"), qPrintable(r.err));  // refused before any work
    QCOMPARE(readBytes(path("in.glb")), inputBefore);
    QCOMPARE(readBytes(path("in.obj")), objBefore);
    QCOMPARE(readBytes(path("labels.ply")), QByteArray("0\n"));
    QVERIFY(!QFileInfo::exists(path("x.glb")) && !QFileInfo::exists(path("y.glb")));
    QVERIFY(temporaries().isEmpty());
  }

  void unwritableOutputsAreRefusedBeforeWork_data() {
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("target");
    QTest::newRow("-o in a missing folder") << "-o"
                                            << "missing/x.glb";
    QTest::newRow("--face-labels in a missing folder") << "--face-labels"
                                                       << "missing/l.txt";
    QTest::newRow("--json in a missing folder") << "--json"
                                                << "missing/r.json";
    QTest::newRow("-o under a file") << "-o"
                                     << "plainfile/x.glb";
    QTest::newRow("-o is a folder") << "-o"
                                    << "afolder.glb";
  }
  void unwritableOutputsAreRefusedBeforeWork() {
    QFETCH(QString, option);
    QFETCH(QString, target);
    writeBytes(path("plainfile"), "x");
    QDir(dir_.path()).mkpath("afolder.glb");
    QStringList args{"run", path("in.glb")};
    if (option != "-o") args << "-o" << path("fine.glb");
    args << option << path(target);
    const Result r = runCli(args);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(lastLine(r.err).contains(QFileInfo(target).fileName()), qPrintable(r.err));
    QVERIFY2(!r.err.contains("importing"), qPrintable(r.err));  // before any work
    QVERIFY(!QFileInfo::exists(path("fine.glb")));
  }

  void interruptDuringTheFinalWriteLeavesNothing_data() {
    QTest::addColumn<int>("signal");
    QTest::newRow("SIGINT") << int(SIGINT);
    QTest::newRow("SIGTERM") << int(SIGTERM);
  }
  void interruptDuringTheFinalWriteLeavesNothing() {
    QFETCH(int, signal);
    const QString out = path("late.glb"), labels = path("late.txt"), report = path("late.json");
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("H3DPART_DEBUG_WRITE_DELAY_MS", "60000");  // hold between writing and renaming
    p.setProcessEnvironment(env);
    p.start(kCli,
            {"segment", path("in.glb"), "-o", out, "--face-labels", labels, "--json", report});
    QVERIFY(p.waitForStarted());
    QByteArray err;
    for (int i = 0; i < 1200 && !err.contains("writing") && p.state() == QProcess::Running; ++i) {
      p.waitForReadyRead(100);
      err += p.readAllStandardError();
    }
    QVERIFY2(err.contains("writing"), err.constData());
    ::kill(static_cast<pid_t>(p.processId()), signal);
    QVERIFY(p.waitForFinished(30000));  // a hang guard
    QCOMPARE(p.exitCode(), 130);
    QVERIFY(!QFileInfo::exists(out));
    QVERIFY(!QFileInfo::exists(labels));
    QVERIFY(!QFileInfo::exists(report));
    QVERIFY2(temporaries().isEmpty(), qPrintable(temporaries().join(' ')));
  }

  void staleTemporariesAreRemoved() {
    // One of a process that is gone (above any pid the kernel hands out), one of a live one.
    const QString stale = path(".tidy.glb.tmp-4194999-17");
    const QString live = path(QString(".tidy.glb.tmp-%1-17").arg(::getppid()));
    writeBytes(stale, "half");
    writeBytes(live, "half");
    const Result r = runCli({"segment", path("in.glb"), "-o", path("tidy.glb"), "--quiet"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(QFileInfo::exists(path("tidy.glb")));
    QVERIFY(!QFileInfo::exists(stale));
    QVERIFY(QFileInfo::exists(live));
    QFile::remove(live);
  }

  void emptyResultIsAnError_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("copies");
    QTest::newRow("one triangle") << "tri.obj" << 1;
    QTest::newRow("20k duplicate triangles") << "flat.obj" << 20000;
  }
  void emptyResultIsAnError() {
    QFETCH(QString, file);
    QFETCH(int, copies);
    QByteArray obj = "v 0 0 0\nv 1 0 0\nv 0 1 0\n";
    for (int i = 0; i < copies; ++i) obj += "f 1 2 3\n";
    writeBytes(path(file), obj);
    const QString out = path(file + "-parts.glb");
    const Result r = runCli({"run", path(file), "-o", out, "--quiet"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(lastLine(r.err).contains(file) && r.err.contains("no closed part"), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(out));
    // segment keeps the faces: that is a result.
    const Result s = runCli({"segment", path(file), "-o", out, "--quiet"});
    QVERIFY2(s.exitCode == 0, qPrintable(s.err));
    QVERIFY(QFileInfo::exists(out));
  }

  void packageFoldersAreEachNamed() {
    const QString models = path("models");
    QDir().mkpath(models + "/junk");
    const QString installed = qEnvironmentVariable("H3DPART_MODELS", H3DPART_TEST_MODELS_DIR);
    fs::copy((installed + "/segmenter").toStdString(), (models + "/segmenter").toStdString(),
             fs::copy_options::recursive);
    const Result list = runCli({"models", "--models", models});
    QCOMPARE(list.exitCode, 3);
    QVERIFY2(list.out.contains("junk") && list.out.contains("manifest.json"), qPrintable(list.out));
    // With only broken folders, segment names them.
    QDir(models + "/segmenter").removeRecursively();
    const Result seg =
        runCli({"segment", path("in.glb"), "-o", path("none.glb"), "--models", models, "--quiet"});
    QCOMPARE(seg.exitCode, 3);
    QVERIFY2(lastLine(seg.err).contains("junk"), qPrintable(seg.err));
  }

  void studioHelpAndVersionNeedNoDisplay_data() {
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("expected");
    QTest::newRow("--help") << "--help"
                            << "--models";
    QTest::newRow("--version") << "--version"
                               << "h3dpart-studio";
  }
  void studioHelpAndVersionNeedNoDisplay() {
    QFETCH(QString, option);
    QFETCH(QString, expected);
    if (!QFileInfo::exists(kStudio)) QSKIP("built without the studio");
    auto env = QProcessEnvironment::systemEnvironment();
    for (const char* v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XAUTHORITY"})
      env.remove(v);
    const Result r = runProgram(kStudio, {option}, env, 60000);
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains(expected), qPrintable(r.out + r.err));
  }
};

QTEST_GUILESS_MAIN(TestCliSafety)
#include "test_cli_safety.moc"
