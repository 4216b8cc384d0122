// The document model: each edit, its exact undo and redo, and the history.
#include <QtTest>

#include <functional>

#include "document_fixtures.h"
#include "h3dpart/document.h"

using namespace h3d;
using fixtures::cellFace;

namespace {

using Factory = std::function<std::unique_ptr<EditCommand>(const PartDocument&)>;

std::vector<bool> maskOfCells(const std::vector<std::pair<int, int>>& cells) {
  std::vector<bool> mask(fixtures::kColumns * fixtures::kRows * 2, false);
  for (auto [x, y] : cells) mask[cellFace(x, y, 0)] = mask[cellFace(x, y, 1)] = true;
  return mask;
}

// Every kind of edit, by name, for the data-driven round trip.
const std::vector<std::pair<const char*, Factory>>& edits() {
  static const std::vector<std::pair<const char*, Factory>> table = {
      {"segment",
       [](const PartDocument&) {
         Segmentation s = fixtures::gridSegmentation();
         for (int& l : s.faceLabels) l = l == 2 ? 1 : l;
         s.parts.pop_back();
         return std::make_unique<SetSegmentationCommand>(s);
       }},
      {"merge",
       [](const PartDocument&) {
         return std::make_unique<MergePartsCommand>(std::vector{2, 0});
       }},
      {"delete to neighbour",
       [](const PartDocument&) {
         return std::make_unique<DeletePartCommand>(1, DeleteTarget::Neighbour);
       }},
      {"delete to unassigned",
       [](const PartDocument&) {
         return std::make_unique<DeletePartCommand>(0, DeleteTarget::Unassigned);
       }},
      {"rename",
       [](const PartDocument&) { return std::make_unique<RenamePartCommand>(1, "wheel"); }},
      {"recolour",
       [](const PartDocument&) {
         return std::make_unique<RecolorPartCommand>(1, Rgb{1, 2, 3});
       }},
      {"hide",
       [](const PartDocument&) {
         return std::make_unique<SetVisibilityCommand>(std::vector{0, 1}, false);
       }},
      {"show",
       [](const PartDocument&) {
         return std::make_unique<SetVisibilityCommand>(std::vector{2}, true);
       }},
      {"isolate",
       [](const PartDocument&) { return std::make_unique<IsolatePartsCommand>(std::vector{2}); }},
      {"paint",
       [](const PartDocument&) {
         return std::make_unique<PaintFacesCommand>(
             std::vector<std::uint32_t>{cellFace(3, 0), cellFace(3, 1, 1)}, 0);
       }},
      {"paint away a part",
       [](const PartDocument&) {
         std::vector<std::uint32_t> faces;
         for (int x = 3; x < 8; ++x)
           faces.push_back(cellFace(x, 3, 0)), faces.push_back(cellFace(x, 3, 1));
         return std::make_unique<PaintFacesCommand>(faces, 1);
       }},
      {"unpaint",
       [](const PartDocument&) {
         return std::make_unique<PaintFacesCommand>(std::vector<std::uint32_t>{cellFace(0, 0)}, -1);
       }},
      {"mask new part",
       [](const PartDocument&) {
         return std::make_unique<AssignMaskCommand>(maskOfCells({{1, 1}, {2, 1}}),
                                                    MaskMode::NewPart);
       }},
      {"mask replace",
       [](const PartDocument&) {
         return std::make_unique<AssignMaskCommand>(maskOfCells({{4, 1}, {5, 1}, {2, 1}}),
                                                    MaskMode::ReplaceOverlapped);
       }},
      {"split",
       [](const PartDocument&) {
         return std::make_unique<SplitPartCommand>(1, cellFace(3, 1), cellFace(7, 1));
       }},
      {"edit box",
       [](const PartDocument&) {
         Box3 b;
         b.add({3, 0, 0});
         b.add({9, 3.5f, 1});
         return std::make_unique<EditBoxCommand>(1, b);
       }},
      {"reset box",
       [](const PartDocument&) { return std::make_unique<EditBoxCommand>(0, Box3{}); }},
      {"regenerate one",
       [](const PartDocument&) {
         return std::make_unique<SetGeneratedCommand>(fixtures::generatedFor({1}, 10.f));
       }},
  };
  return table;
}

int partNamed(const PartDocument& doc, const std::string& name) {
  for (int k = 0; k < doc.partCount(); ++k)
    if (doc.parts()[static_cast<std::size_t>(k)].name == name) return k;
  return -1;
}

// Labels are in range and every part has faces.
void checkConsistent(const PartDocument& doc) {
  QCOMPARE(doc.faceLabels().size(), doc.mesh().faces.size());
  for (int l : doc.faceLabels()) QVERIFY(l >= -1 && l < doc.partCount());
  for (int k = 0; k < doc.partCount(); ++k)
    QVERIFY2(doc.facesOf(k) > 0, qPrintable(QString::number(k)));
}

}  // namespace

class TestDocument : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void newDocumentIsUnassigned() {
    PartDocument doc(std::make_shared<const Mesh>(fixtures::gridMesh()), "a.obj");
    QCOMPARE(doc.partCount(), 0);
    QCOMPARE(doc.faceLabels(), std::vector<int>(64, -1));
    QCOMPARE(doc.sourcePath(), std::string("a.obj"));
  }

  void fixtureIsWhatItSays() {
    const PartDocument doc = fixtures::segmentedDocument();
    QCOMPARE(doc.partCount(), 3);
    QCOMPARE(doc.facesOf(0), std::size_t(24));
    QCOMPARE(doc.facesOf(1), std::size_t(30));
    QCOMPARE(doc.facesOf(2), std::size_t(10));
    for (const auto& p : doc.parts()) QVERIFY(p.generated);
    QVERIFY(doc.parts()[0].boxEdited);
    QVERIFY(!doc.parts()[2].visible);
    checkConsistent(doc);
  }

  void undoRedoExact_data() {
    QTest::addColumn<int>("edit");
    for (std::size_t i = 0; i < edits().size(); ++i)
      QTest::newRow(edits()[i].first) << static_cast<int>(i);
  }
  void undoRedoExact() {
    QFETCH(int, edit);
    PartDocument doc = fixtures::segmentedDocument();
    const PartDocument before = doc;
    EditHistory history(doc);
    history.push(edits()[static_cast<std::size_t>(edit)].second(doc));
    const PartDocument after = doc;
    QVERIFY(!(after == before));
    checkConsistent(doc);
    for (int round = 0; round < 2; ++round) {
      history.undo();
      QVERIFY(doc == before);
      QVERIFY(doc.faceLabels() == before.faceLabels());
      history.redo();
      QVERIFY(doc == after);
    }
  }

  void mergeKeepsFirstAndRenumbers() {
    PartDocument doc = fixtures::segmentedDocument();
    MergePartsCommand({2, 0}).redo(doc);
    QCOMPARE(doc.partCount(), 2);
    QCOMPARE(doc.parts()[0].name, std::string("part_0"));
    QCOMPARE(doc.parts()[1].name, std::string("part_1"));
    QCOMPARE(doc.facesOf(0), std::size_t(34));
    QCOMPARE(doc.facesOf(1), std::size_t(30));
    QVERIFY(!doc.parts()[0].generated);  // its faces changed: the old mesh is stale
    QVERIFY(doc.parts()[1].generated);   // untouched part keeps its mesh
    QVERIFY(!doc.parts()[0].boxEdited);
    QCOMPARE(doc.parts()[0].box.hi, (Vec3{8, 4, 0.25f}));
  }

  void deleteGoesToLongestBoundary_data() {
    QTest::addColumn<int>("part");
    QTest::addColumn<QString>("receiver");
    QTest::newRow("part_0 -> part_1 (3 vs 1)") << 0 << "part_1";
    QTest::newRow("part_1 -> part_2 (5 vs 3)") << 1 << "part_2";
    QTest::newRow("part_2 -> part_1 (5 vs 1)") << 2 << "part_1";
  }
  void deleteGoesToLongestBoundary() {
    QFETCH(int, part);
    QFETCH(QString, receiver);
    PartDocument doc = fixtures::segmentedDocument();
    const std::size_t moved = doc.facesOf(part);
    const std::size_t had = doc.facesOf(partNamed(doc, receiver.toStdString()));
    DeletePartCommand(part, DeleteTarget::Neighbour).redo(doc);
    QCOMPARE(doc.partCount(), 2);
    QCOMPARE(partNamed(doc, "part_" + std::to_string(part)), -1);
    QCOMPARE(doc.facesOf(partNamed(doc, receiver.toStdString())), had + moved);
    QCOMPARE(doc.facesOf(-1), std::size_t(0));
  }

  void deleteToUnassigned() {
    PartDocument doc = fixtures::segmentedDocument();
    DeletePartCommand(1, DeleteTarget::Unassigned).redo(doc);
    QCOMPARE(doc.partCount(), 2);
    QCOMPARE(doc.facesOf(-1), std::size_t(30));
    QCOMPARE(doc.parts()[1].name, std::string("part_2"));
    QCOMPARE(doc.faceLabels()[cellFace(4, 3)], 1);  // part_2 renumbered to 1
  }

  void isolateShowsOnlyThose() {
    PartDocument doc = fixtures::segmentedDocument();
    IsolatePartsCommand({2}).redo(doc);
    QCOMPARE(doc.parts()[0].visible, false);
    QCOMPARE(doc.parts()[1].visible, false);
    QCOMPARE(doc.parts()[2].visible, true);
  }

  void paintingAwayAPartRemovesIt() {
    PartDocument doc = fixtures::segmentedDocument();
    std::vector<std::uint32_t> faces;
    for (int x = 3; x < 8; ++x)
      faces.push_back(cellFace(x, 3, 0)), faces.push_back(cellFace(x, 3, 1));
    PaintFacesCommand(faces, 1).redo(doc);
    QCOMPARE(doc.partCount(), 2);
    QCOMPARE(doc.facesOf(1), std::size_t(40));
  }

  void maskModes() {
    const auto mask = maskOfCells({{4, 1}, {5, 1}, {2, 1}});
    PartDocument added = fixtures::segmentedDocument();
    AssignMaskCommand(mask, MaskMode::NewPart).redo(added);
    QCOMPARE(added.partCount(), 4);
    QCOMPARE(added.facesOf(3), std::size_t(6));
    QCOMPARE(added.parts()[3].name, std::string("part_3"));

    PartDocument replaced = fixtures::segmentedDocument();
    AssignMaskCommand(mask, MaskMode::ReplaceOverlapped).redo(replaced);
    QCOMPARE(replaced.partCount(), 3);
    QCOMPARE(replaced.facesOf(1), std::size_t(6));        // part_1 is now the mask
    QCOMPARE(replaced.facesOf(-1), std::size_t(30 - 4));  // its other faces unassigned
    QCOMPARE(replaced.faceLabels()[cellFace(2, 1)], 1);   // taken from part_0
    QCOMPARE(replaced.facesOf(0), std::size_t(22));
  }

  void maskOverUnassignedMakesANewPart() {
    PartDocument doc = fixtures::segmentedDocument();
    DeletePartCommand(0, DeleteTarget::Unassigned).redo(doc);
    AssignMaskCommand(maskOfCells({{0, 0}}), MaskMode::ReplaceOverlapped).redo(doc);
    QCOMPARE(doc.partCount(), 3);
    QCOMPARE(doc.facesOf(2), std::size_t(2));
  }

  void splitByNearerSeed() {
    PartDocument doc = fixtures::segmentedDocument();
    SplitPartCommand(1, cellFace(3, 1), cellFace(7, 1)).redo(doc);
    QCOMPARE(doc.partCount(), 4);
    QCOMPARE(doc.facesOf(1) + doc.facesOf(3), std::size_t(30));
    for (int y = 0; y < 3; ++y) {
      QCOMPARE(doc.faceLabels()[cellFace(3, y)], 1);
      QCOMPARE(doc.faceLabels()[cellFace(7, y, 1)], 3);
    }
    // the other parts are untouched
    QCOMPARE(doc.facesOf(0), std::size_t(24));
    QVERIFY(doc.parts()[0].generated);
    QVERIFY(!doc.parts()[1].generated);
  }

  void splitRefusesBadSeeds_data() {
    QTest::addColumn<int>("seedA");
    QTest::addColumn<int>("seedB");
    QTest::newRow("same face") << int(cellFace(3, 1)) << int(cellFace(3, 1));
    QTest::newRow("outside the part") << int(cellFace(0, 0)) << int(cellFace(7, 1));
    QTest::newRow("out of range") << int(cellFace(3, 1)) << 9999;
  }
  void splitRefusesBadSeeds() {
    QFETCH(int, seedA);
    QFETCH(int, seedB);
    PartDocument doc = fixtures::segmentedDocument();
    const PartDocument before = doc;
    EditHistory history(doc);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             history.push(std::make_unique<SplitPartCommand>(
                                 1, std::uint32_t(seedA), std::uint32_t(seedB))));
    QVERIFY(doc == before);
    QCOMPARE(history.count(), std::size_t(0));
  }

  void badPartIndexRefused() {
    PartDocument doc = fixtures::segmentedDocument();
    const PartDocument before = doc;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, RenamePartCommand(3, "x").redo(doc));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, MergePartsCommand({0}).redo(doc));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, PaintFacesCommand({0}, 7).redo(doc));
    QVERIFY(doc == before);
  }

  void editedBoxGoesToTheGenerator() {
    PartDocument doc = fixtures::segmentedDocument();
    Box3 b;
    b.add({3, 0, 0});
    b.add({9, 3.5f, 1});
    EditBoxCommand(1, b).redo(doc);
    const Segmentation s = doc.segmentation();
    QCOMPARE(s.parts[1].box.hi, (Vec3{9, 3.5f, 1}));
    QCOMPARE(s.parts[1].faceCount, std::size_t(30));
    // painting keeps an edited box as the user set it
    PaintFacesCommand({cellFace(0, 0)}, 1).redo(doc);
    QCOMPARE(doc.parts()[1].box.hi, (Vec3{9, 3.5f, 1}));
    EditBoxCommand(1, Box3{}).redo(doc);
    QVERIFY(!doc.parts()[1].boxEdited);
    QCOMPARE(doc.parts()[1].box.lo, (Vec3{0, 0, 0}));
  }

  void regeneratingOneKeepsTheOthers() {
    PartDocument doc = fixtures::segmentedDocument();
    const auto old0 = doc.parts()[0].generated;
    SetGeneratedCommand(fixtures::generatedFor({1}, 10.f)).redo(doc);
    QCOMPARE(doc.parts()[0].generated, old0);
    QCOMPARE(doc.parts()[1].generated->vertices[0].x, 11.f);
    QCOMPARE(doc.generatedParts().parts.size(), std::size_t(3));
  }

  void brushCoversConnectedFacesWithinRadius_data() {
    QTest::addColumn<float>("radius");
    QTest::addColumn<int>("faces");
    QTest::newRow("tiny: the touched face only") << 0.01f << 1;
    QTest::newRow("one cell") << 0.5f << 2;
    QTest::newRow("r 1.45: as many as centroids within") << 1.45f << -1;
    QTest::newRow("r 2.5: as many as centroids within") << 2.5f << -1;
  }
  void brushCoversConnectedFacesWithinRadius() {
    QFETCH(float, radius);
    QFETCH(int, faces);
    const PartDocument doc = fixtures::segmentedDocument();
    // the middle of cell (4, 1); z = 0.125 halfway between the columns' heights
    const Vec3 point{4.5f, 1.5f, 0.125f};
    const auto hit = brushFaces(doc, cellFace(4, 1), point, radius);
    if (faces < 0) {  // a disk on this grid is connected: every face within counts
      faces = 0;
      const Mesh& m = doc.mesh();
      for (const auto& t : m.faces) {
        const Vec3 c = (m.vertices[t[0]] + m.vertices[t[1]] + m.vertices[t[2]]) / 3.f;
        faces += length(c - point) <= radius ? 1 : 0;
      }
      QVERIFY(faces > 2);
    }
    QCOMPARE(int(hit.size()), faces);
    QVERIFY(std::is_sorted(hit.begin(), hit.end()));
    QVERIFY(std::find(hit.begin(), hit.end(), cellFace(4, 1)) != hit.end());
    QVERIFY(brushFaces(doc, 9999, {}, 1.f).empty());
  }

  void historyCleanMarkAndBranches() {
    PartDocument doc = fixtures::segmentedDocument();
    const PartDocument start = doc;
    EditHistory history(doc);
    QVERIFY(history.isClean());
    QVERIFY(!history.canUndo());
    history.push(std::make_unique<RenamePartCommand>(0, "body"));
    history.push(std::make_unique<RecolorPartCommand>(0, Rgb{9, 9, 9}));
    QVERIFY(!history.isClean());
    QCOMPARE(history.undoText(), std::string("Recolour part"));
    history.setClean();
    history.undo();
    QVERIFY(!history.isClean());
    QCOMPARE(history.redoText(), std::string("Recolour part"));
    history.redo();
    QVERIFY(history.isClean());
    history.undo();
    history.push(std::make_unique<IsolatePartsCommand>(std::vector{1}));  // drops the redo
    QVERIFY(!history.canRedo());
    QCOMPARE(history.count(), std::size_t(2));
    QVERIFY(!history.isClean());
    history.undo();
    QVERIFY(!history.isClean());  // the clean state was on the dropped branch
    history.undo();
    QVERIFY(doc == start);
    history.undo();  // nothing left: no-op
    QVERIFY(doc == start);
  }

  void longChainUndoesToTheStart() {
    PartDocument doc = fixtures::segmentedDocument();
    const PartDocument start = doc;
    EditHistory history(doc);
    std::vector<PartDocument> states{doc};
    for (const auto& [name, make] : edits()) {
      if (std::string(name) == "segment") continue;
      try {
        history.push(make(doc));
      } catch (const std::invalid_argument&) {
        continue;  // earlier edits removed the part this one names
      }
      states.push_back(doc);
    }
    QVERIFY2(states.size() > 6, qPrintable(QString::number(states.size())));
    for (std::size_t i = states.size() - 1; i > 0; --i) {
      QVERIFY(doc == states[i]);
      history.undo();
    }
    QVERIFY(doc == start);
    while (history.canRedo()) history.redo();
    QVERIFY(doc == states.back());
  }
};

QTEST_GUILESS_MAIN(TestDocument)
#include "test_document.moc"
