// The Open Recent menu: newest first, no duplicates, a bounded list kept in
// the settings, entries that open their file, and Clear.
#include <QAction>
#include <QMenu>
#include <QTemporaryDir>
#include <QtTest>

#include "ui_test_support.h"
#include "window/recent_files.h"

using h3d::ui::RecentFiles;

class TestUiRecentFiles : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QWidget parent_;

  QString file(const QString& name) { return dir_.filePath(name); }
  // The menu's file entries (before the separator).
  QList<QAction*> entries(RecentFiles& recent) {
    QList<QAction*> list;
    for (QAction* a : recent.menu()->actions()) {
      if (a->isSeparator()) break;
      if (a->isEnabled()) list << a;
    }
    return list;
  }

 private Q_SLOTS:
  void init() { QSettings().remove("recentFiles"); }

  void emptyListSaysSo() {
    RecentFiles recent(&parent_);
    QVERIFY(recent.files().isEmpty());
    QVERIFY(entries(recent).isEmpty());
    QCOMPARE(recent.menu()->actions().first()->text(), QStringLiteral("(none)"));
  }

  void newestFirstWithoutDuplicates_data() {
    QTest::addColumn<QStringList>("opened");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("one") << QStringList{"a.glb"} << QStringList{"a.glb"};
    QTest::newRow("two") << QStringList{"a.glb", "b.obj"} << QStringList{"b.obj", "a.glb"};
    QTest::newRow("again moves to the top")
        << QStringList{"a.glb", "b.obj", "a.glb"} << QStringList{"a.glb", "b.obj"};
    QTest::newRow("relative and absolute are one file")
        << QStringList{"a.glb", "./a.glb"} << QStringList{"a.glb"};
  }
  void newestFirstWithoutDuplicates() {
    QFETCH(QStringList, opened);
    QFETCH(QStringList, expected);
    RecentFiles recent(&parent_);
    for (const QString& name : opened) recent.add(file(name));
    QStringList got;
    for (const QString& path : recent.files()) got << QFileInfo(path).fileName();
    QCOMPARE(got, expected);
    QCOMPARE(entries(recent).size(), expected.size());
    QVERIFY(entries(recent).first()->text().contains(expected.first()));
  }

  void listIsBoundedAndKeptInTheSettings() {
    {
      RecentFiles recent(&parent_, 3);
      for (int i = 0; i < 5; ++i) recent.add(file(QString("m%1.ply").arg(i)));
      QCOMPARE(recent.files().size(), 3);
      QVERIFY(recent.files().first().endsWith("m4.ply"));
    }
    RecentFiles later(&parent_, 3);  // another session
    QCOMPARE(later.files().size(), 3);
    QVERIFY(later.files().last().endsWith("m2.ply"));
  }

  void anEntryOpensItsFileAndClearEmpties() {
    RecentFiles recent(&parent_);
    recent.add(file("one.stl"));
    recent.add(file("two.stl"));
    QSignalSpy open(&recent, &RecentFiles::openRequested);
    entries(recent).at(1)->trigger();
    QCOMPARE(open.size(), 1);
    QCOMPARE(open.first().first().toString(), QFileInfo(file("one.stl")).absoluteFilePath());
    recent.remove(file("one.stl"));
    QCOMPARE(recent.files().size(), 1);
    QAction* clear = recent.menu()->actions().last();
    QCOMPARE(clear->text(), QStringLiteral("Clear list"));
    clear->trigger();
    QVERIFY(recent.files().isEmpty());
  }
};

H3D_UI_TEST_MAIN(TestUiRecentFiles)
#include "test_ui_recent_files.moc"
