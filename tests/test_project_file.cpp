// Project files: round trips, damaged and future files, failed writes.
#include <QtTest>

#include <unistd.h>

#include <fstream>
#include <iterator>

#include "document_fixtures.h"
#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"
#include "h3dpart/project_file.h"

using namespace h3d;
namespace fs = std::filesystem;

namespace {

std::string readAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void writeAll(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::size_t entriesIn(const fs::path& folder) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(folder)) ++n;
  return n;
}

// Opening must fail with an InputError that names the file and says `why`.
void expectInputError(const fs::path& file, const QString& why) {
  try {
    openProject(file);
    QFAIL("opened a bad project file");
  } catch (const InputError& e) {
    const QString message = QString::fromStdString(e.what());
    QVERIFY2(message.startsWith(QString::fromStdString(file.string()) + ": "), qPrintable(message));
    QVERIFY2(message.contains(why), qPrintable(message));
  }
}

}  // namespace

class TestProjectFile : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path at(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

 private Q_SLOTS:
  void roundTripEmbedded() {
    const PartDocument doc = fixtures::segmentedDocument();
    saveProject(at("embedded.h3dp"), doc);
    ProjectInfo info;
    const PartDocument back = openProject(at("embedded.h3dp"), &info);
    QVERIFY(back == doc);
    QCOMPARE(info.formatVersion, kProjectFormatVersion);
    QVERIFY(info.meshEmbedded);
    QVERIFY(QString::fromStdString(info.writer).startsWith("h3dpart "));
    QVERIFY(info.recoveryOf.empty());
  }

  void roundTripUnsegmentedAndUnassigned() {
    PartDocument doc(std::make_shared<const Mesh>(fixtures::gridMesh()), "");
    saveProject(at("plain.h3dp"), doc);
    QVERIFY(openProject(at("plain.h3dp")) == doc);
    PartDocument some = fixtures::segmentedDocument();
    DeletePartCommand(1, DeleteTarget::Unassigned).redo(some);
    saveProject(at("holes.h3dp"), some);
    QVERIFY(openProject(at("holes.h3dp")) == some);
  }

  void roundTripReferenced() {
    const fs::path input = at("grid.ply");
    exportMesh(input, fixtures::gridMesh());
    PartDocument doc(std::make_shared<const Mesh>(importMesh(input)), input.string());
    SetSegmentationCommand(fixtures::gridSegmentation()).redo(doc);
    SetGeneratedCommand(fixtures::generatedFor({1})).redo(doc);
    saveProject(at("referenced.h3dp"), doc, {.embedMesh = false, .recoveryOf = {}});
    QVERIFY(fs::file_size(at("referenced.h3dp")) < fs::file_size(at("grid.ply")) + 2000);
    ProjectInfo info;
    QVERIFY(openProject(at("referenced.h3dp"), &info) == doc);
    QVERIFY(!info.meshEmbedded);

    // the input changes, then goes
    std::string bytes = readAll(input);
    writeAll(input, bytes + "\n");
    expectInputError(at("referenced.h3dp"), "has changed since the project was saved");
    fs::remove(input);
    expectInputError(at("referenced.h3dp"), "is gone");
  }

  void referencedMeshMovedWithTheProject() {
    const fs::path from = at("before"), to = at("after");
    fs::create_directories(from);
    exportMesh(from / "grid.ply", fixtures::gridMesh());
    PartDocument doc(std::make_shared<const Mesh>(importMesh(from / "grid.ply")),
                     (from / "grid.ply").string());
    SetSegmentationCommand(fixtures::gridSegmentation()).redo(doc);
    saveProject(from / "p.h3dp", doc, {.embedMesh = false, .recoveryOf = {}});
    fs::rename(from, to);
    const PartDocument back = openProject(to / "p.h3dp");
    QCOMPARE(back.sourcePath(), (to / "grid.ply").string());
    doc.setSourcePath(back.sourcePath());
    QVERIFY(back == doc);
  }

  void referencingAMissingInputIsAnOutputError() {
    const PartDocument doc = fixtures::segmentedDocument("/nonexistent/grid.obj");
    QVERIFY_THROWS_EXCEPTION(
        OutputError, saveProject(at("noref.h3dp"), doc, {.embedMesh = false, .recoveryOf = {}}));
    QVERIFY(!fs::exists(at("noref.h3dp")));
  }

  void corruptFiles_data() {
    QTest::addColumn<int>("offset");  // negative: from the end
    QTest::addColumn<QString>("why");
    QTest::newRow("magic") << 1 << "not an h3dpart project file";
    QTest::newRow("header length") << 13 << "";
    QTest::newRow("header text") << 40 << "header checksum";
    QTest::newRow("labels or mesh payload") << -300 << "checksum mismatch";
    QTest::newRow("end tag") << -14 << "";
  }
  void corruptFiles() {
    QFETCH(int, offset);
    QFETCH(QString, why);
    saveProject(at("good.h3dp"), fixtures::segmentedDocument());
    std::string bytes = readAll(at("good.h3dp"));
    const std::size_t i = offset >= 0 ? std::size_t(offset) : bytes.size() - std::size_t(-offset);
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
    writeAll(at("corrupt.h3dp"), bytes);
    expectInputError(at("corrupt.h3dp"), why);
  }

  void truncatedFiles_data() {
    QTest::addColumn<double>("keep");  // share of the file kept
    QTest::newRow("empty") << 0.0;
    QTest::newRow("magic only") << -8.0;
    QTest::newRow("a tenth") << 0.1;
    QTest::newRow("half") << 0.5;
    QTest::newRow("all but one byte") << 0.999999;
  }
  void truncatedFiles() {
    QFETCH(double, keep);
    saveProject(at("good.h3dp"), fixtures::segmentedDocument());
    const std::string bytes = readAll(at("good.h3dp"));
    const std::size_t n = keep < 0 ? std::size_t(-keep) : std::size_t(keep * double(bytes.size()));
    QVERIFY(n < bytes.size());
    writeAll(at("short.h3dp"), bytes.substr(0, n));
    expectInputError(at("short.h3dp"), n <= 8 ? "" : "truncated");
  }

  void everyFlipAndCutIsRefused() {
    // every single-byte change and every truncation of a small project is an
    // InputError, never a crash and never a silently different document
    PartDocument doc(std::make_shared<const Mesh>(fixtures::tetra(0)), "t.obj");
    Segmentation s;
    s.faceLabels = {0, 0, 1, -1};
    s.parts.resize(2);
    SetSegmentationCommand(s).redo(doc);
    SetGeneratedCommand(fixtures::generatedFor({1})).redo(doc);
    saveProject(at("small.h3dp"), doc);
    const std::string good = readAll(at("small.h3dp"));
    int refused = 0;
    for (std::size_t i = 0; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      writeAll(at("flip.h3dp"), bad);
      try {
        openProject(at("flip.h3dp"));
        QFAIL(qPrintable(QString("a flip at byte %1 was accepted").arg(i)));
      } catch (const InputError&) {
        ++refused;
      }
      writeAll(at("cut.h3dp"), good.substr(0, i));
      QVERIFY_THROWS_EXCEPTION(InputError, openProject(at("cut.h3dp")));
    }
    QCOMPARE(refused, int(good.size()));
  }

  void futureVersion() {
    saveProject(at("good.h3dp"), fixtures::segmentedDocument());
    std::string bytes = readAll(at("good.h3dp"));
    const std::uint32_t future = 7;
    std::memcpy(bytes.data() + 8, &future, 4);
    writeAll(at("future.h3dp"), bytes);
    expectInputError(at("future.h3dp"),
                     "made by a newer h3dpart (format 7); this one reads up to 1");
  }

  void notAProjectAndMissing() {
    writeAll(at("text.h3dp"), "solid cube\nendsolid\n");
    expectInputError(at("text.h3dp"), "not an h3dpart project file");
    expectInputError(at("missing.h3dp"), "cannot open");
  }

  void inconsistentHeaderRefused() {
    // a two-part header in front of a three-part file's sections: labels out of range
    PartDocument doc = fixtures::segmentedDocument();
    saveProject(at("three.h3dp"), doc);
    DeletePartCommand(2, DeleteTarget::Unassigned).redo(doc);
    saveProject(at("two.h3dp"), doc);
    const std::string three = readAll(at("three.h3dp")), two = readAll(at("two.h3dp"));
    std::uint32_t threeHeader = 0, twoHeader = 0;
    std::memcpy(&threeHeader, three.data() + 12, 4);
    std::memcpy(&twoHeader, two.data() + 12, 4);
    std::string mixed = two.substr(0, 20 + twoHeader);
    mixed.append(three.substr(20 + threeHeader));
    writeAll(at("mixed.h3dp"), mixed);
    expectInputError(at("mixed.h3dp"), "");
  }

  void readOnlyOrMissingFolder_data() {
    QTest::addColumn<bool>("missing");
    QTest::newRow("read-only folder") << false;
    QTest::newRow("missing folder") << true;
  }
  void readOnlyOrMissingFolder() {
    QFETCH(bool, missing);
    const fs::path folder = at(missing ? "absent" : "readonly");
    if (!missing) {
      if (::geteuid() == 0) QSKIP("root writes into read-only folders");
      fs::create_directories(folder);
      fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec);
    }
    const fs::path file = folder / "project.h3dp";
    try {
      saveProject(file, fixtures::segmentedDocument());
      QFAIL("wrote into a folder it should not");
    } catch (const OutputError& e) {
      QVERIFY2(QString(e.what()).startsWith(QString::fromStdString(file.string())), e.what());
    }
    if (missing) {
      QVERIFY(!fs::exists(folder));
    } else {
      QCOMPARE(entriesIn(folder), std::size_t(0));
      fs::permissions(folder, fs::perms::owner_all);
    }
  }

  void failedOverwriteKeepsTheOldFile() {
    if (::geteuid() == 0) QSKIP("root writes into read-only folders");
    const fs::path folder = at("overwrite");
    fs::create_directories(folder);
    const PartDocument doc = fixtures::segmentedDocument();
    saveProject(folder / "p.h3dp", doc);
    const std::string before = readAll(folder / "p.h3dp");
    fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec);
    PartDocument other = doc;
    RenamePartCommand(0, "renamed").redo(other);
    QVERIFY_THROWS_EXCEPTION(OutputError, saveProject(folder / "p.h3dp", other));
    fs::permissions(folder, fs::perms::owner_all);
    QCOMPARE(readAll(folder / "p.h3dp"), before);
    QCOMPARE(entriesIn(folder), std::size_t(1));
    QVERIFY(openProject(folder / "p.h3dp") == doc);
  }
};

QTEST_GUILESS_MAIN(TestProjectFile)
#include "test_project_file.moc"
