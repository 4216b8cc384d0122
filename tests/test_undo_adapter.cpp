// The document's edits on a QUndoStack: undo/redo through Qt, the clean mark,
// refused edits kept off the stack.
#include <QUndoStack>
#include <QtTest>

#include "document_fixtures.h"
#include "h3dpart/ui/undo_adapter.h"

using namespace h3d;

class TestUndoAdapter : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void undoRedoThroughQUndoStack() {
    PartDocument doc = fixtures::segmentedDocument();
    const PartDocument start = doc;
    QUndoStack stack;
    int changes = 0;
    const auto changed = [&] { ++changes; };
    QVERIFY(
        ui::pushEdit(stack, doc, std::make_unique<MergePartsCommand>(std::vector{0, 1}), changed)
            .isEmpty());
    const PartDocument merged = doc;
    QCOMPARE(changes, 1);
    QCOMPARE(doc.partCount(), 2);
    QCOMPARE(stack.undoText(), QString("Merge parts"));
    QVERIFY(!stack.isClean());
    stack.undo();
    QVERIFY(doc == start);
    QVERIFY(stack.isClean());
    stack.redo();
    QVERIFY(doc == merged);
    QCOMPARE(changes, 3);
  }

  void refusedEditStaysOffTheStack() {
    PartDocument doc = fixtures::segmentedDocument();
    const PartDocument start = doc;
    QUndoStack stack;
    const QString why =
        ui::pushEdit(stack, doc, std::make_unique<RenamePartCommand>(9, "x"), [] {});
    QCOMPARE(why, QString("no part 9"));
    QCOMPARE(stack.count(), 0);
    QVERIFY(doc == start);
  }
};

QTEST_GUILESS_MAIN(TestUndoAdapter)
#include "test_undo_adapter.moc"
