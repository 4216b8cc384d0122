// Batch mode of the `h3dpart` command line: many inputs of mixed kinds in
// one process, the models loaded once, a bad input named and the batch going
// on, refusals before any work, resume after Ctrl-C, the JSON-lines log.
#include <signal.h>
#include <unistd.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "cli_test_support.h"

using namespace cli_test;

namespace {

const QString kSamples = QStringLiteral(H3DPART_SOURCE_DIR "/resources/samples");

QList<QJsonObject> readJsonLines(const QString& file) {
  QList<QJsonObject> out;
  QFile f(file);
  if (!f.open(QIODevice::ReadOnly)) return out;
  for (const QByteArray& line : f.readAll().split('\n'))
    if (!line.trimmed().isEmpty()) out << QJsonDocument::fromJson(line).object();
  return out;
}

QJsonObject readJson(const QString& file) {
  QFile f(file);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(f.readAll()).object();
}

QStringList filesIn(const QString& folder) {
  return QDir(folder).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

}  // namespace

class TestCliBatch : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  QString path(const QString& name) const { return dir_.filePath(name); }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    QVERIFY2(QFileInfo::exists(kCli), qPrintable(kCli));
  }

  // glb, off and stl inputs given as a file, a folder and a list on standard
  // input, with a corrupt file in the middle and a missing one: the good ones
  // are done, the bad ones named, exit 1; the segmenter is read from disk once.
  void mixedInputsCorruptAndMissing() {
    const QString folder = path("mixed/folder");
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(QFile::copy(kSamples + "/spider.stl", folder + "/spider.stl"));
    writeBytes(folder + "/notes.txt", "not a mesh, not taken");
    const QString corrupt = path("mixed/corrupt.obj");
    writeBytes(corrupt, "v 0 0 0\nv 1 0 0\nf 1 2 9\nthis is not obj\n");
    const QString missing = path("mixed/missing.ply");
    const QString out = path("mixed-out"), lines = path("mixed.jsonl"), report = path("mixed.json");
    const QByteArray list = "# from standard input\n" + (kSamples + "/wuson.off\n").toUtf8();
    const Result r =
        runCliWithInput({"segment", kSamples + "/table.glb", corrupt, folder, missing, "-",
                         "--out-dir", out, "--json-lines", lines, "--json", report},
                        list);
    QVERIFY2(r.exitCode == 1, qPrintable(r.err));
    QCOMPARE(filesIn(out), (QStringList{"spider-parts.glb", "table-parts.glb", "wuson-parts.glb"}));
    // One line per failure as it happens, and the summary names both.
    const QString summary = r.err.mid(r.err.lastIndexOf("5 inputs"));
    QVERIFY2(summary.contains("3 done, 2 failed"), qPrintable(r.err));
    QVERIFY2(summary.contains("failed: " + corrupt) && summary.contains("failed: " + missing),
             qPrintable(r.err));
    QVERIFY2(r.err.contains(missing + ": no such file"), qPrintable(r.err));
    QCOMPARE(r.out.count(" parts -> "), 3);

    // The JSON-lines log: one object per input, in order (one worker).
    const QList<QJsonObject> recs = readJsonLines(lines);
    QCOMPARE(recs.size(), 5);
    const QStringList expected = {"ok", "failed", "ok", "failed", "ok"};
    for (int i = 0; i < recs.size(); ++i) {
      const QJsonObject& o = recs[i];
      QCOMPARE(o["status"].toString(), expected[i]);
      QCOMPARE(o["index"].toInt(), i + 1);
      QVERIFY(o["peak_rss_bytes"].toDouble() > 0 && o["rss_bytes"].toDouble() > 0);
      if (expected[i] == "ok") {
        QVERIFY(o["error"].isNull());
        QVERIFY(o["parts"].toInt() >= 1);
        QVERIFY(o["triangles"].toInt() > 0);
        QVERIFY(o["stages_s"].toObject().contains("import"));
        QVERIFY(o["stages_s"].toObject().contains("segment"));
        QVERIFY(QFileInfo::exists(o["output"].toString()));
      } else {
        QVERIFY(o["error"].toString().startsWith(o["path"].toString()));
        QVERIFY(o["parts"].isNull());
      }
    }
    QCOMPARE(recs[1]["path"].toString(), corrupt);
    QCOMPARE(recs[2]["path"].toString(), folder + "/spider.stl");
    QCOMPARE(recs[4]["path"].toString(), kSamples + "/wuson.off");

    // Models loaded once for the batch: one disk read, host RAM after that.
    const QJsonObject doc = readJson(report);
    QCOMPARE(doc["done"].toInt(), 3);
    QCOMPARE(doc["failed"].toInt(), 2);
    QCOMPARE(doc["exit_code"].toInt(), 1);
    QCOMPARE(doc["files"].toArray().size(), 5);
    const QJsonArray models = doc["models"].toArray();
    QCOMPARE(models.size(), 1);
    QCOMPARE(models[0].toObject()["role"].toString(), QString("segmenter"));
    QCOMPARE(models[0].toObject()["disk_loads"].toInt(), 1);
    QCOMPARE(models[0].toObject()["host_cache_loads"].toInt(), 2);
  }

  // Refusals before any work: nothing is read, loaded or written.
  void unwritableOutDirRefused() {
    writeBytes(path("a-file"), "x");
    const QString lines = path("refused.jsonl");
    Result r = runCli({"segment", kSamples + "/table.glb", "--out-dir", path("a-file/out"),
                       "--json-lines", lines});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("a-file") && r.err.contains("output folder"), qPrintable(r.err));
    QVERIFY(!r.err.contains("import"));
    QVERIFY(!QFileInfo::exists(lines));
    if (::geteuid() != 0) {  // root writes into a mode-0555 folder anyway
      const QString ro = path("read-only");
      QVERIFY(QDir().mkpath(ro));
      QFile::setPermissions(ro, QFile::ReadOwner | QFile::ExeOwner);
      r = runCli({"segment", kSamples + "/table.glb", "--out-dir", ro});
      QCOMPARE(r.exitCode, 2);
      QVERIFY2(r.err.contains("not writable"), qPrintable(r.err));
      QFile::setPermissions(ro, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
  }

  void twoInputsOneOutputNameRefused() {
    writeBytes(path("same/a/chair.obj"), "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n");
    writeBytes(path("same/b/chair.obj"), "v 0 0 0\nv 1 0 0\nv 0 0 1\nf 1 2 3\n");
    const QString out = path("same-out");
    Result r =
        runCli({"segment", path("same/a/chair.obj"), path("same/b/chair.obj"), "--out-dir", out});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("would both write") && r.err.contains(out + "/chair-parts.glb"),
             qPrintable(r.err));
    QVERIFY(filesIn(out).isEmpty());
    // An output that is an input is refused, by path and through a hard link.
    QVERIFY(::link(path("same/a/chair.obj").toLocal8Bit(), path("same/linked.obj").toLocal8Bit()) ==
            0);
    for (const QString& in : {path("same/a/chair.obj"), path("same/linked.obj")}) {
      r = runCli(
          {"segment", in, "--out-dir", path("same/a"), "--name", "chair.{ext}", "--format", "obj"});
      QCOMPARE(r.exitCode, 2);
      QVERIFY2(r.err.contains("would overwrite the input"), qPrintable(r.err));
    }
    QCOMPARE(filesIn(path("same/a")), QStringList{"chair.obj"});
  }

  // Ctrl-C after the first input is done: exit 130, no temporary left, the
  // done outputs complete; the same command with --skip-existing finishes.
  void skipExistingAfterInterruptedBatch() {
    const QString out = path("resume-out"), lines = path("resume.jsonl");
    const QStringList batch = {
        "segment", "--from", "-", "--out-dir", out, "--name", "{index}-{stem}.{ext}"};
    QByteArray list;
    for (int i = 0; i < 4; ++i) list += (kSamples + "/table.glb\n").toUtf8();
    QProcess p;
    p.start(kCli, batch);
    QVERIFY(p.waitForStarted());
    p.write(list);
    p.closeWriteChannel();
    QByteArray stdoutText;
    QElapsedTimer guard;
    guard.start();
    while (!stdoutText.contains(" parts -> ") && p.state() == QProcess::Running &&
           guard.elapsed() < 120000) {
      p.waitForReadyRead(100);
      stdoutText += p.readAllStandardOutput();
    }
    QVERIFY2(p.state() == QProcess::Running, stdoutText.constData());
    ::kill(static_cast<pid_t>(p.processId()), SIGINT);
    QVERIFY(p.waitForFinished(60000));
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QCOMPARE(p.exitCode(), 130);
    QVERIFY2(err.contains("--skip-existing"), qPrintable(err));
    const QStringList done = filesIn(out);
    for (const QString& f : done) QVERIFY2(!f.startsWith('.'), qPrintable(f));  // no temporaries
    QVERIFY2(done.size() >= 1 && done.size() < 4, qPrintable(done.join(",")));

    const Result r = runCliWithInput(QStringList(batch) << "--skip-existing"
                                                        << "--json-lines" << lines,
                                     list);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(filesIn(out),
             (QStringList{"1-table.glb", "2-table.glb", "3-table.glb", "4-table.glb"}));
    const QList<QJsonObject> recs = readJsonLines(lines);
    QCOMPARE(recs.size(), 4);
    int skipped = 0;
    for (int i = 0; i < 4; ++i) {
      const QString name = QString("%1-table.glb").arg(i + 1);
      const QString status = recs[i]["status"].toString();
      QCOMPARE(status, done.contains(name) ? QString("skipped") : QString("ok"));
      skipped += status == "skipped";
    }
    QCOMPARE(skipped, int(done.size()));
  }

  // An out-dir inside a folder input: the next run does not take the
  // outputs of the last one as inputs.
  void outDirInsideTheInputFolder() {
    const QString folder = path("nested");
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(QFile::copy(kSamples + "/spider.stl", folder + "/spider.stl"));
    const QStringList args = {"segment", folder, "--recursive", "--out-dir", folder + "/out"};
    Result r = runCli(args);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(QFileInfo::exists(folder + "/out/spider-parts.glb"));
    r = runCli(QStringList(args) << "--skip-existing");
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("1 inputs: 0 done, 0 failed, 1 skipped"), qPrintable(r.err));
  }

  // A model that cannot be used stops the batch (exit 3): no input could succeed.
  void modelProblemStopsTheBatch() {
    const QString empty = path("no-models");
    QVERIFY(QDir().mkpath(empty));
    const Result r = runCli({"segment", kSamples + "/table.glb", kSamples + "/wuson.off",
                             "--out-dir", path("nomodel-out"), "--models", empty, "--quiet"});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(
        r.err.contains("segmenter") && r.err.contains("stopped") && r.err.contains("1 not done"),
        qPrintable(r.err));
    QVERIFY(filesIn(path("nomodel-out")).isEmpty());
  }

  // --fail-fast stops at the first failure; --jobs 2 gives the same outputs.
  void failFastAndJobs() {
    writeBytes(path("ff/bad.off"), "OFF\n3 1 0\n0 0 0\n");
    const QString out = path("ff-out");
    Result r = runCli({"segment", path("ff/bad.off"), kSamples + "/table.glb", "--out-dir", out,
                       "--fail-fast", "--quiet"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("bad.off") && r.err.contains("1 not done"), qPrintable(r.err));
    QVERIFY(filesIn(out).isEmpty());
    r = runCli({"segment", kSamples + "/table.glb", kSamples + "/wuson.off", path("ff/bad.off"),
                "--out-dir", out, "--jobs", "2", "--quiet"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(filesIn(out), (QStringList{"table-parts.glb", "wuson-parts.glb"}));
  }
};

QTEST_GUILESS_MAIN(TestCliBatch)
#include "test_cli_batch.moc"
