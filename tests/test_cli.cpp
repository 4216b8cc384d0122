// The `h3dpart` command line: usage, the pipeline end to end, every kind of
// bad input with its exit code and one-line message, no half-written output,
// broken model packages, Ctrl-C.
#include <signal.h>

#include <QDir>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>

#include "cli_test_support.h"
#include "h3dpart/mesh_io.h"

namespace fs = std::filesystem;

using namespace cli_test;

class TestCli : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  QString path(const QString& name) const { return dir_.filePath(name); }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    QVERIFY2(QFileInfo::exists(kCli), qPrintable(kCli));
  }

  void helpAndVersion() {
    const Result help = runCli({"--help"});
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains("segment IN -o OUT"));
    const Result version = runCli({"--version"});
    QCOMPARE(version.exitCode, 0);
    QVERIFY(version.out.startsWith("h3dpart "));
  }

  void usageErrors_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    QTest::newRow("no command") << QStringList{} << "no command";
    QTest::newRow("unknown command") << QStringList{"explode"} << "unknown command";
    QTest::newRow("unknown option")
        << QStringList{"segment", "a.obj", "-o", "b.glb", "--frobnicate"} << "unknown option";
    QTest::newRow("no output") << QStringList{"segment", "a.obj"} << "needs -o";
    QTest::newRow("bad output type")
        << QStringList{"segment", "a.obj", "-o", "b.xyz"} << "unsupported output";
    QTest::newRow("bad seed") << QStringList{"run", "a.obj", "-o", "b.glb", "--seed", "x"}
                              << "not a whole number";
    QTest::newRow("bad resolution")
        << QStringList{"generate", "a.obj", "-o", "b.glb", "--resolution", "2"}
        << "between 8 and 512";
    QTest::newRow("bad triangle budget")
        << QStringList{"generate", "a.obj", "-o", "b.glb", "--max-triangles", "3"} << "at least 4";
    QTest::newRow("bad device") << QStringList{"run", "a.obj", "-o", "b.glb", "--device", "tpu"}
                                << "--device";
    QTest::newRow("bad policy") << QStringList{"models", "--policy", "hoard"} << "--policy";
    QTest::newRow("many inputs, no out-dir")
        << QStringList{"segment", "a.obj", "b.obj", "-o", "b.glb"} << "--out-dir";
    QTest::newRow("batch option, no out-dir")
        << QStringList{"segment", "a.obj", "-o", "b.glb", "--skip-existing"} << "--out-dir";
    QTest::newRow("-o in a batch")
        << QStringList{"run", "a.obj", "--out-dir", "d", "-o", "b.glb"} << "-o is for one input";
    QTest::newRow("bad format") << QStringList{"run", "a.obj", "--out-dir", "d", "--format", "fbx"}
                                << "--format";
    QTest::newRow("bad name") << QStringList{"run", "a.obj",  "--out-dir",
                                             "d",   "--name", "{nom}.glb"}
                              << "{nom}";
    QTest::newRow("bad jobs") << QStringList{"run", "a.obj", "--out-dir", "d", "--jobs", "0"}
                              << "--jobs";
    QTest::newRow("objects for segment")
        << QStringList{"segment", "a.obj", "-o", "b.glb", "--parts-from-objects"}
        << "--parts-from-objects is for generate";
    QTest::newRow("objects and labels")
        << QStringList{"generate", "a.obj", "-o", "b.glb", "--parts-from-objects", "--labels", "l"}
        << "choose one";
  }
  void usageErrors() {
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    const Result r = runCli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(expected), qPrintable(r.err));
  }

  void badInput_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QByteArray garbage;
    for (int i = 0; i < 8192; ++i) garbage.append(char((i * 2654435761u) >> 13));
    QFile sample(kSample);
    sample.open(QIODevice::ReadOnly);
    const QByteArray glb = sample.readAll();
    QTest::newRow("missing") << "missing.obj" << QByteArray() << "no such file";
    QTest::newRow("empty") << "empty.glb" << QByteArray("") << "empty file";
    QTest::newRow("truncated glb") << "truncated.glb" << glb.left(glb.size() / 3) << "cannot read";
    QTest::newRow("random bytes .obj") << "random.obj" << garbage << "random.obj";
    QTest::newRow("random bytes .stl") << "random.stl" << garbage << "random.stl";
    QTest::newRow("random bytes .glb") << "random.glb" << garbage << "cannot read";
    QTest::newRow("no faces") << "nofaces.obj" << QByteArray("v 0 0 0\nv 1 0 0\nv 1 1 1\n")
                              << "no triangles";
    QTest::newRow("nan") << "nan.obj" << QByteArray("v 0 0 0\nv 1 nan 0\nv 1 1 1\nf 1 2 3\n")
                         << "NaN";
    QTest::newRow("unsupported") << "mesh.xyz" << QByteArray("1 2 3") << "unsupported file type";
  }
  void badInput() {
    QFETCH(QString, file);
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    const QString in = path(file);
    if (file != "missing.obj") writeBytes(in, content);
    const QString out = path("out-" + file + ".glb");
    const Result r = runCli({"run", in, "-o", out, "--quiet"});
    QCOMPARE(r.exitCode, 1);
    const QString line = lastLine(r.err);
    QVERIFY2(line.contains(file) && line.contains(expected, Qt::CaseInsensitive),
             qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(out));
  }

  void segmentWritesPartsLabelsAndReport() {
    const QString out = path("seg.glb"), labels = path("seg.labels"), report = path("seg.json");
    const Result r =
        runCli({"segment", kSample, "-o", out, "--face-labels", labels, "--json", report});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const h3d::Mesh input = h3d::importMesh(kSample.toStdString());
    QFile lf(labels);
    QVERIFY(lf.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = lf.readAll().split('\n');
    QCOMPARE(std::size_t(lines.size() - 1),
             input.faces.size());  // one per triangle + final newline
    QFile rf(report);
    QVERIFY(rf.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(rf.readAll()).object();
    QVERIFY(json["part_count"].toInt() >= 2);
    QVERIFY(json["stages_s"].toObject().contains("segment"));
    QVERIFY(json["peak_rss_bytes"].toDouble() > 0);
    // The cut parts together are the input, triangle for triangle.
    QCOMPARE(h3d::importMesh(out.toStdString()).faces.size(), input.faces.size());
  }

  void generateFromLabelsFile() {
    const QString labels = path("seg.labels");
    QVERIFY(QFileInfo::exists(labels));
    const QString out = path("gen.obj"), report = path("gen.json");
    const Result r = runCli({"generate", kSample, "-o", out, "--labels", labels, "--resolution",
                             "40", "--json", report});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QFile rf(report);
    QVERIFY(rf.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(rf.readAll()).object();
    QVERIFY(json["output_parts"].toInt() >= 2);
    QVERIFY(!json["stages_s"].toObject().contains("segment"));  // labels given: no segmentation
  }

  // The parts file segment wrote (one object per part) is generated part by
  // part as it is, without segmenting; a file of one object is refused.
  void generateFromTheFileObjects() {
    const QString parts = path("seg.glb");
    QVERIFY(QFileInfo::exists(parts));
    h3d::ImportReport objects;
    h3d::importMesh(parts.toStdString(), &objects);
    QVERIFY(objects.objectNames.size() >= 2);
    const QString out = path("from-objects.glb"), report = path("from-objects.json");
    const Result r =
        runCli({"generate", parts, "-o", out, "--parts-from-objects", "--json", report});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QFile rf(report);
    QVERIFY(rf.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(rf.readAll()).object();
    QCOMPARE(json["part_count"].toInt(), int(objects.objectNames.size()));
    QCOMPARE(json["output_parts"].toInt(), int(objects.objectNames.size()));
    QVERIFY(!json["stages_s"].toObject().contains("segment"));

    const QString refused = path("one-object.glb");
    const Result one = runCli({"generate", kSample, "-o", refused, "--parts-from-objects"});
    QCOMPARE(one.exitCode, 1);
    QVERIFY2(
        lastLine(one.err).contains(QFileInfo(kSample).fileName()) && one.err.contains("objects"),
        qPrintable(one.err));
    QVERIFY(!QFileInfo::exists(refused));
  }

  // --max-triangles caps every part, in a single run and in a batch (whose
  // jobs once dropped it); the default run above is heavier.
  void generateKeepsTheTriangleBudget() {
    const QString labels = path("seg.labels");
    QVERIFY(QFileInfo::exists(labels) && QFileInfo::exists(path("gen.obj")));
    const std::size_t automatic = h3d::importMesh(path("gen.obj").toStdString()).faces.size();
    const QString out = path("budget.obj"), report = path("budget.json");
    const Result r = runCli({"generate", kSample, "-o", out, "--labels", labels, "--max-triangles",
                             "200", "--json", report});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QFile rf(report);
    QVERIFY(rf.open(QIODevice::ReadOnly));
    const int parts = QJsonDocument::fromJson(rf.readAll()).object()["output_parts"].toInt();
    QVERIFY(parts >= 2);
    const std::size_t capped = h3d::importMesh(out.toStdString()).faces.size();
    QVERIFY2(capped <= std::size_t(200 * parts), qPrintable(QString::number(capped)));
    QVERIFY2(capped < automatic, qPrintable(QString("%1 vs %2").arg(capped).arg(automatic)));
    const QString dir = path("budget-batch");
    const Result b = runCli({"generate", kSample, "--out-dir", dir, "--labels", labels, "--format",
                             "obj", "--max-triangles", "200", "--quiet"});
    QVERIFY2(b.exitCode == 0, qPrintable(b.err));
    const QStringList made = QDir(dir).entryList({"*.obj"}, QDir::Files);
    QCOMPARE(made.size(), 1);
    QCOMPARE(h3d::importMesh((dir + "/" + made.front()).toStdString()).faces.size(), capped);
  }

  void labelsFileOfWrongLength() {
    writeBytes(path("short.labels"), "0\n1\n");
    const Result r =
        runCli({"generate", kSample, "-o", path("x.glb"), "--labels", path("short.labels")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(lastLine(r.err).contains("short.labels") && r.err.contains("labels for"),
             qPrintable(r.err));
  }

  void outputFolderMissing() {
    const Result r = runCli({"segment", kSample, "-o", path("no/such/dir/x.glb"), "--quiet"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(lastLine(r.err).contains("x.glb"), qPrintable(r.err));
    QVERIFY2(lastLine(r.err).startsWith("h3dpart: output "), qPrintable(r.err));
  }

  // LibTorch warns on every segment (glog's "before InitGoogleLogging", an
  // operator "in beta"); users see them only when they ask.
  void torchWarningsOnlyWhenAsked_data() {
    QTest::addColumn<QString>("setting");
    QTest::addColumn<bool>("shown");
    QTest::newRow("unset") << QString() << false;
    QTest::newRow("0") << "0" << false;
    QTest::newRow("1") << "1" << true;
  }

  void torchWarningsOnlyWhenAsked() {
    QFETCH(QString, setting);
    QFETCH(bool, shown);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("H3DPART_TORCH_WARNINGS");
    if (!setting.isEmpty()) env.insert("H3DPART_TORCH_WARNINGS", setting);
    const Result r = runProgram(kCli, {"segment", kSample, "-o", path("warn.glb"), "--quiet"}, env);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(r.err.contains("torch warning:"), shown);
    QVERIFY2(!r.err.contains("InitGoogleLogging"), qPrintable(r.err));
    if (!shown) QVERIFY2(r.err.trimmed().isEmpty(), qPrintable(r.err));
  }

  void largeMeshWorks() {
    // A box refined to about 2M triangles, written as binary PLY.
    h3d::Mesh box;
    const int n = 409;  // 12 * 409^2 = 2.0M triangles
    const h3d::Vec3 corners[8] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0},
                                  {0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 1}};
    const int quads[6][4] = {{0, 3, 2, 1}, {4, 5, 6, 7}, {0, 1, 5, 4},
                             {1, 2, 6, 5}, {2, 3, 7, 6}, {3, 0, 4, 7}};
    for (const auto& q : quads) {
      const auto base = static_cast<std::uint32_t>(box.vertices.size());
      const h3d::Vec3 a = corners[q[0]], b = corners[q[1]], d = corners[q[3]];
      for (int i = 0; i <= n; ++i)
        for (int j = 0; j <= n; ++j)
          box.vertices.push_back(a + (b - a) * (float(i) / n) + (d - a) * (float(j) / n));
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          const std::uint32_t v00 = base + i * (n + 1) + j, v10 = v00 + n + 1;
          box.faces.push_back({v00, v10, v10 + 1});
          box.faces.push_back({v00, v10 + 1, v00 + 1});
        }
    }
    QVERIFY(box.faces.size() > 2'000'000);
    const QString in = path("big.ply"), out = path("big-parts.glb");
    h3d::exportMesh(in.toStdString(), box);
    QElapsedTimer timer;
    timer.start();
    const Result r = runCli({"segment", in, "-o", out, "--quiet"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(h3d::importMesh(out.toStdString()).faces.size(), box.faces.size());
    qInfo("2M-triangle segment: %lld ms", timer.elapsed());
  }

  void brokenPackages_data() {
    QTest::addColumn<QString>("brokenCase");
    QTest::addColumn<QString>("expected");
    QTest::newRow("bad hash") << "bad-hash"
                              << "sha256";
    QTest::newRow("missing file") << "missing-file"
                                  << ".pt";
    QTest::newRow("wrong role") << "wrong-role"
                                << "role";
    QTest::newRow("throws") << "throws"
                            << "deliberate failure";
  }
  void brokenPackages() {
    QFETCH(QString, brokenCase);
    QFETCH(QString, expected);
    const QString broken = path("broken");
    if (!QFileInfo::exists(broken + "/throws")) {
      QProcess py;
      py.start("/usr/bin/python3",
               {H3DPART_SOURCE_DIR "/tests/fixtures/make_broken_packages.py",
                qEnvironmentVariable("H3DPART_MODELS", H3DPART_TEST_MODELS_DIR), broken});
      QVERIFY(py.waitForFinished(120000));
      QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
    }
    const QString out = path("broken-" + brokenCase + ".glb");
    const Result r =
        runCli({"segment", kSample, "-o", out, "--quiet", "--models", broken + "/" + brokenCase});
    QCOMPARE(r.exitCode, 3);
    const QString line = lastLine(r.err);
    QVERIFY2(line.contains("segmenter") && line.contains(expected, Qt::CaseInsensitive),
             qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(out));
    // `models` lists the broken package as invalid, with the same reason.
    const Result list = runCli({"models", "--models", broken + "/" + brokenCase});
    QCOMPARE(list.exitCode, 3);
  }

  void modelsListsAndValidates() {
    const Result r = runCli({"models", "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QJsonObject json = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QStringList roles;
    for (const auto& m : json["models"].toArray()) {
      QVERIFY(m.toObject()["valid"].toBool());
      QCOMPARE(m.toObject()["state"].toString(), QString("unloaded"));  // validated, then released
      roles << m.toObject()["role"].toString();
    }
    QVERIFY(roles.contains("segmenter") && roles.contains("generator"));
  }

  void ctrlCCancelsWithoutOutput() {
    const QString out = path("cancelled.glb");
    QProcess p;
    p.start(kCli, {"run", kSample, "-o", out, "--resolution", "96"});
    QVERIFY(p.waitForStarted());
    // Wait until the work is under way, then interrupt.
    QElapsedTimer t;
    t.start();
    QByteArray err;
    while (!err.contains("inference") && !err.contains("generat") && t.elapsed() < 60000) {
      p.waitForReadyRead(100);
      err += p.readAllStandardError();
    }
    QVERIFY2(p.state() == QProcess::Running, err.constData());
    ::kill(static_cast<pid_t>(p.processId()), SIGINT);
    // A hang guard, not a latency bound: `h3dpart bench cancel` measures how fast.
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 130);
    QVERIFY(!QFileInfo::exists(out));
    for (const QString& f : QDir(dir_.path()).entryList(QDir::Files | QDir::Hidden)) {
      QVERIFY2(!f.contains(".tmp-"), qPrintable(f));
    }
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
