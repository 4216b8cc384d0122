// Batch inputs of the command line: folders, patterns and lists expanded in
// order, problems kept as items (so the batch names them and goes on), and
// the output name template.
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <sstream>

#include "cli_inputs.h"
#include "h3dpart/errors.h"

namespace fs = std::filesystem;
using h3d::cli::expandInputs;
using h3d::cli::InputItem;
using h3d::cli::InputSpec;
using h3d::cli::NameTemplate;

namespace {

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

QStringList names(const std::vector<InputItem>& items, const fs::path& root) {
  QStringList out;
  for (const auto& i : items)
    out << QString::fromStdString(i.path.lexically_relative(root).string()) +
               (i.problem.empty() ? "" : " !");
  return out;
}

}  // namespace

class TestCliInputs : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  fs::path root() const { return dir_.path().toStdString(); }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    for (const char* f : {"b.obj", "a.off", "c.glb", "notes.txt", ".hidden.obj", ".a.glb.tmp-1",
                          "sub/d.ply", "sub/deeper/e.stl", ".git/f.obj"})
      touch(root() / "assets" / f);
  }

  void folderGivesItsMeshesSorted() {
    InputSpec spec;
    spec.args = {(root() / "assets").string()};
    std::istringstream none;
    const auto items = expandInputs(spec, none);
    QCOMPARE(names(items, root() / "assets"), (QStringList{"a.off", "b.obj", "c.glb"}));
    for (const auto& i : items) QVERIFY(i.subdir.empty());
  }

  void recursiveKeepsTheSubfolder() {
    InputSpec spec;
    spec.args = {(root() / "assets").string()};
    spec.recursive = true;
    std::istringstream none;
    const auto items = expandInputs(spec, none);
    QCOMPARE(names(items, root() / "assets"),
             (QStringList{"a.off", "b.obj", "c.glb", "sub/d.ply", "sub/deeper/e.stl"}));
    QCOMPARE(QString::fromStdString(items[3].subdir), QString("sub"));
    QCOMPARE(QString::fromStdString(items[4].subdir), QString("sub/deeper"));
  }

  void patternsListsAndProblemsKeepTheirOrder() {
    const fs::path a = root() / "assets";
    InputSpec spec;
    spec.args = {(a / "*.o??").string(), (a / "missing.obj").string(), "-", (a / "*.fbx").string()};
    std::istringstream list("# a comment\n\n" + (a / "c.glb").string() + "\r\n" +
                            (a / "sub").string() + "\n");
    const auto items = expandInputs(spec, list);
    QCOMPARE(names(items, a),
             (QStringList{"a.off", "b.obj", "missing.obj !", "c.glb", "sub/d.ply", "*.fbx !"}));
    QCOMPARE(QString::fromStdString(items[2].problem), QString("no such file"));
    QVERIFY(QString::fromStdString(items[5].problem).contains("matches"));
  }

  void listFileThatCannotBeRead() {
    InputSpec spec;
    spec.fromList = (root() / "no-such-list.txt").string();
    std::istringstream none;
    QVERIFY_THROWS_EXCEPTION(h3d::UsageError, expandInputs(spec, none));
  }

  void templateRenders_data() {
    QTest::addColumn<QString>("tmpl");
    QTest::addColumn<QString>("subdir");
    QTest::addColumn<int>("index");
    QTest::addColumn<QString>("expected");
    QTest::newRow("default") << "{stem}-parts.{ext}"
                             << "" << 0 << "chair-parts.glb";
    QTest::newRow("input ext") << "{stem}.{input_ext}.{ext}"
                               << "" << 0 << "chair.off.glb";
    QTest::newRow("index padded") << "{index}-{stem}.{ext}"
                                  << "" << 6 << "007-chair.glb";
    QTest::newRow("dir") << "{dir}/{stem}.{ext}"
                         << "sub/deeper" << 0 << "sub/deeper/chair.glb";
    QTest::newRow("empty dir") << "{dir}/{stem}.{ext}"
                               << "" << 0 << "chair.glb";
  }
  void templateRenders() {
    QFETCH(QString, tmpl);
    QFETCH(QString, subdir);
    QFETCH(int, index);
    QFETCH(QString, expected);
    const NameTemplate t(tmpl.toStdString());
    const InputItem item{"/data/in/chair.off", subdir.toStdString(), {}};
    QCOMPARE(QString::fromStdString(t.render(item, std::size_t(index), 200, "glb")), expected);
  }

  void templateRefused_data() {
    QTest::addColumn<QString>("tmpl");
    QTest::newRow("unknown field") << "{name}.glb";
    QTest::newRow("unclosed") << "{stem.glb";
    QTest::newRow("stray brace") << "stem}.glb";
    QTest::newRow("absolute") << "/tmp/{stem}.glb";
    QTest::newRow("leaves the folder") << "../{stem}.glb";
    QTest::newRow("empty") << "";
  }
  void templateRefused() {
    QFETCH(QString, tmpl);
    QVERIFY_THROWS_EXCEPTION(h3d::UsageError, NameTemplate(tmpl.toStdString()));
  }
};

QTEST_GUILESS_MAIN(TestCliInputs)
#include "test_cli_inputs.moc"
