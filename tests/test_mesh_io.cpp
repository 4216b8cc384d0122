// Mesh import/export: every supported format, face order, transforms,
// duplicate joining, bad input, export round trips and atomic writes.
#include <assimp/postprocess.h>
#include <assimp/scene.h>
#include <sys/stat.h>

#include <QTemporaryDir>
#include <QtTest>
#include <assimp/Exporter.hpp>
#include <assimp/Importer.hpp>
#include <cstring>
#include <fstream>

#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"

using namespace h3d;
namespace fs = std::filesystem;

namespace {

// A unit cube: 8 corners, 12 triangles, written as OBJ with quads so the
// importer's triangulation is exercised too.
const char* kCubeObj =
    "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nv 1 0 1\nv 1 1 1\nv 0 1 1\n"
    "f 1 4 3 2\nf 5 6 7 8\nf 1 2 6 5\nf 2 3 7 6\nf 3 4 8 7\nf 4 1 5 8\n";

void writeText(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

std::string readAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

class TestMeshIo : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  fs::path path(const std::string& name) const {
    return fs::path(dir_.path().toStdString()) / name;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    writeText(path("cube.obj"), kCubeObj);
  }

  void importsEveryFormat_data() {
    QTest::addColumn<QString>("ext");
    QTest::addColumn<QString>("assimpFormat");
    QTest::newRow("obj") << "obj"
                         << "";
    QTest::newRow("off") << "off"
                         << "";
    QTest::newRow("ply") << "ply"
                         << "plyb";
    QTest::newRow("stl") << "stl"
                         << "stlb";
    QTest::newRow("glb") << "glb"
                         << "glb2";
    QTest::newRow("gltf") << "gltf"
                          << "gltf2";
    QTest::newRow("fbx") << "fbx"
                         << "fbxa";
    QTest::newRow("3mf") << "3mf"
                         << "3mf";
    QTest::newRow("dae") << "dae"
                         << "collada";
  }
  void importsEveryFormat() {
    QFETCH(QString, ext);
    QFETCH(QString, assimpFormat);
    const fs::path file = path("cube-export." + ext.toStdString());
    if (ext == "off") {
      writeText(file,
                "OFF\n8 6 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n0 0 1\n1 0 1\n1 1 1\n0 1 1\n"
                "4 0 3 2 1\n4 4 5 6 7\n4 0 1 5 4\n4 1 2 6 5\n4 2 3 7 6\n4 3 0 4 7\n");
    } else if (ext == "obj") {
      writeText(file, kCubeObj);
    } else {
      Assimp::Importer importer;
      const aiScene* scene = importer.ReadFile(path("cube.obj").string(), aiProcess_Triangulate);
      QVERIFY(scene);
      Assimp::Exporter exporter;
      QCOMPARE(exporter.Export(scene, assimpFormat.toStdString(), file.string()), aiReturn_SUCCESS);
    }
    ImportReport report;
    const Mesh mesh = importMesh(file, &report);
    QCOMPARE(mesh.faces.size(), std::size_t(12));
    QCOMPARE(mesh.vertices.size(), std::size_t(8));  // duplicates joined across faces
    const Box3 box = mesh.bounds();
    QCOMPARE(box.lo, Vec3(0, 0, 0));
    QCOMPARE(box.hi, Vec3(1, 1, 1));
    QVERIFY(std::abs(mesh.area() - 6.0) < 1e-5);
    QCOMPARE(report.degenerateFaces, std::size_t(0));
  }

  void keepsFaceOrderAcrossMeshes() {
    // Two objects; each triangle's centroid x tells its index in the file.
    std::string obj;
    for (int i = 0; i < 6; ++i) {
      if (i == 0) obj += "o first\n";
      if (i == 3) obj += "o second\n";
      obj += "v " + std::to_string(i) + " 0 0\nv " + std::to_string(i) + ".5 0 0\nv " +
             std::to_string(i) + " 1 0\nf -3 -2 -1\n";
    }
    writeText(path("order.obj"), obj);
    const Mesh mesh = importMesh(path("order.obj"));
    QCOMPARE(mesh.faces.size(), std::size_t(6));
    for (std::size_t f = 0; f < 6; ++f)
      QCOMPARE(std::floor(mesh.vertices[mesh.faces[f][0]].x), float(f));
  }

  void appliesNodeTransforms() {
    // A glTF whose only node translates its triangle by (10, 0, 0) and scales by 2.
    const char* gltf = R"({"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],
      "nodes":[{"children":[1],"translation":[10,0,0]},{"mesh":0,"scale":[2,2,2]}],
      "meshes":[{"primitives":[{"attributes":{"POSITION":0}}]}],
      "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}],
      "bufferViews":[{"buffer":0,"byteLength":36}],
      "buffers":[{"byteLength":36,"uri":"data:application/octet-stream;base64,AAAAAAAAAAAAAAAAAACAPwAAAAAAAAAAAAAAAAAAgD8AAAAA"}]})";
    writeText(path("moved.gltf"), gltf);
    const Mesh mesh = importMesh(path("moved.gltf"));
    QCOMPARE(mesh.faces.size(), std::size_t(1));
    const Box3 box = mesh.bounds();
    QCOMPARE(box.lo, Vec3(10, 0, 0));
    QCOMPARE(box.hi, Vec3(12, 2, 0));
  }

  void reportsDegenerateFaces() {
    writeText(path("degenerate.obj"), "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 2 0 0\nf 1 2 3\nf 1 2 4\n");
    ImportReport report;
    const Mesh mesh = importMesh(path("degenerate.obj"), &report);
    QCOMPARE(mesh.faces.size(), std::size_t(2));  // kept, so labels stay aligned
    QCOMPARE(report.degenerateFaces, std::size_t(1));
  }

  void refusesBadInput_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QByteArray garbage;
    for (int i = 0; i < 4096; ++i) garbage.append(char((i * 7919 + 13) % 251));
    QTest::newRow("missing") << "missing.obj" << QByteArray() << "no such file";
    QTest::newRow("empty") << "empty.obj" << QByteArray("") << "empty file";
    QTest::newRow("garbage stl") << "garbage.stl" << garbage << "garbage.stl";
    QTest::newRow("garbage glb") << "garbage.glb" << garbage << "garbage.glb";
    QTest::newRow("garbage ply") << "garbage.ply" << garbage << "garbage.ply";
    QTest::newRow("no faces") << "points.obj" << QByteArray("v 0 0 0\nv 1 0 0\nv 0 1 0\n")
                              << "no triangles";
    QTest::newRow("nan") << "nan.obj" << QByteArray("v 0 0 0\nv nan 0 0\nv 0 1 0\nf 1 2 3\n")
                         << "NaN";
    QTest::newRow("inf")
        << "inf.ply"
        << QByteArray(
               "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
               "property float z\nelement face 1\nproperty list uchar int vertex_indices\n"
               "end_header\n0 0 0\ninf 0 0\n0 1 0\n3 0 1 2\n")
        << "infinite";
    QTest::newRow("unsupported") << "notes.txt" << QByteArray("hello") << "unsupported file type";
    QTest::newRow("off claims 2^31 vertices")
        << "huge.off" << QByteArray("OFF\n2147483648 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")
        << "claims 2147483648 vertices";
    QTest::newRow("ply claims 4e9 vertices")
        << "huge.ply"
        << QByteArray(
               "ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\n"
               "property float y\nproperty float z\nelement face 1\n"
               "property list uchar int vertex_indices\nend_header\n")
        << "claims 4000000000 vertices";
    const auto gltf = [](const char* uri) {
      return QByteArray("{\"asset\":{\"version\":\"2.0\"},\"buffers\":[{\"uri\":\"") + uri +
             "\",\"byteLength\":36}],\"bufferViews\":[{\"buffer\":0,\"byteLength\":36}],"
             "\"accessors\":[{\"bufferView\":0,\"componentType\":5126,\"count\":3,\"type\":"
             "\"VEC3\","
             "\"min\":[0,0,0],\"max\":[1,1,0]}],\"meshes\":[{\"primitives\":[{\"attributes\":"
             "{\"POSITION\":0}}]}],\"nodes\":[{\"mesh\":0}],\"scenes\":[{\"nodes\":[0]}],\"scene\":"
             "0}";
    };
    QTest::newRow("gltf buffer leaves the folder")
        << "escape.gltf" << gltf("../../../../../../etc/passwd") << "outside the file's folder";
    QTest::newRow("gltf buffer percent-encoded escape")
        << "escape2.gltf" << gltf("..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd")
        << "outside the file's folder";
    QTest::newRow("gltf buffer absolute path")
        << "escape3.gltf" << gltf("/etc/passwd") << "outside the file's folder";
    QTest::newRow("obj material leaves the folder")
        << "escape.obj"
        << QByteArray("mtllib ../../../../../../etc/passwd\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        << "outside the file's folder";
  }
  void refusesBadInput() {
    QFETCH(QString, name);
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    const fs::path file = path(name.toStdString());
    if (name != "missing.obj") writeText(file, content.toStdString());
    try {
      importMesh(file);
      QFAIL("import should have failed");
    } catch (const InputError& e) {
      const QString message = QString::fromUtf8(e.what());
      QVERIFY2(message.startsWith(QString::fromStdString(file.string())), qPrintable(message));
      QVERIFY2(message.contains(expected, Qt::CaseInsensitive), qPrintable(message));
      QVERIFY2(!message.contains('\n'), "one line");
    }
  }

  void refusesTruncatedGlb() {
    const Mesh cube = importMesh(path("cube.obj"));
    exportMesh(path("whole.glb"), cube);
    const std::string bytes = readAll(path("whole.glb"));
    writeText(path("truncated.glb"), bytes.substr(0, bytes.size() / 2));
    QVERIFY_THROWS_EXCEPTION(InputError, importMesh(path("truncated.glb")));
  }

  void refusesOversizedDataUri() {
    QByteArray data = "data:application/octet-stream;base64,";
    data += QByteArray(36, '\0').toBase64();
    const QByteArray doc = QByteArray("{\"asset\":{\"version\":\"2.0\"},\"buffers\":[{\"uri\":\"") +
                           data + "\",\"byteLength\":36}]}";
    writeText(path("datauri.gltf"), doc.toStdString());
    ImportLimits limits;
    limits.maxDataUriBytes = 32;
    try {
      importMesh(path("datauri.gltf"), nullptr, limits);
      QFAIL("accepted");
    } catch (const InputError& e) {
      QVERIFY2(QString(e.what()).contains("buffers[0]: embedded data: URI"), e.what());
    }
  }

  // A file cut short names the format and the problem, not Assimp's internals.
  void truncatedFilesSaySo_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    QTest::newRow("off, faces missing")
        << "short.off" << QByteArray("OFF\n4 2 0\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n3 0 1 2\n")
        << "truncated or malformed OFF: the file ends before all its faces are read";
    QTest::newRow("binary ply, second half missing")
        << "half.ply" << QByteArray() << "truncated or malformed PLY";
    QTest::newRow("obj, missing vertex")
        << "cut.obj" << QByteArray("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 2 3 9\n") << "obj";
  }
  void truncatedFilesSaySo() {
    QFETCH(QString, name);
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    if (content.isEmpty()) {
      // Our own binary PLY of a refined cube, cut in the middle of its faces.
      Mesh cube = importMesh(path("cube.obj"));
      for (int i = 0; i < 200; ++i) cube.faces.push_back(cube.faces[i % 12]);
      exportMesh(path("whole.ply"), cube);
      const std::string bytes = readAll(path("whole.ply"));
      content = QByteArray::fromStdString(bytes.substr(0, bytes.size() * 3 / 4));
    }
    writeText(path(name.toStdString()), content.toStdString());
    try {
      importMesh(path(name.toStdString()));
      QFAIL("import should have failed");
    } catch (const InputError& e) {
      const QString message = QString::fromUtf8(e.what());
      QVERIFY2(message.contains(expected), qPrintable(message));
      QVERIFY2(!message.contains("aiMesh") && !message.contains('\n'), qPrintable(message));
    }
  }

  void exportRoundTrip_data() {
    QTest::addColumn<QString>("ext");
    QTest::newRow("glb") << "glb";
    QTest::newRow("obj") << "obj";
    QTest::newRow("ply") << "ply";
  }
  void exportRoundTrip() {
    QFETCH(QString, ext);
    Mesh cube = importMesh(path("cube.obj"));
    Mesh moved = cube;
    for (Vec3& v : moved.vertices) v.x += 3;
    const std::vector<PartMesh> parts = {{0, "", cube}, {1, "", moved}};
    const fs::path file = path("parts." + ext.toStdString());
    exportParts(file, parts);
    const Mesh back = importMesh(file);
    QCOMPARE(back.faces.size(), std::size_t(24));
    QCOMPARE(back.vertices.size(), std::size_t(16));
    QVERIFY(std::abs(back.area() - 12.0) < 1e-4);
  }

  // An exported parts file comes back with its parts: one object per part,
  // named as exported, every face in the part it was written with.
  void importKeepsTheFileObjects_data() {
    QTest::addColumn<QString>("ext");
    QTest::newRow("glb") << "glb";
    QTest::newRow("obj") << "obj";
  }
  void importKeepsTheFileObjects() {
    QFETCH(QString, ext);
    const Mesh cube = importMesh(path("cube.obj"));
    std::vector<PartMesh> parts;
    for (int k = 0; k < 3; ++k) {
      Mesh moved = cube;
      for (Vec3& v : moved.vertices) v.x += 2.f * static_cast<float>(k);
      parts.push_back({k, k == 1 ? "seat" : "", moved});
    }
    const fs::path file = path("objects." + ext.toStdString());
    exportParts(file, parts);
    ImportReport report;
    const Mesh back = importMesh(file, &report);
    QCOMPARE(report.objectNames, (std::vector<std::string>{"part_0", "seat", "part_2"}));
    QCOMPARE(report.faceObjects.size(), back.faces.size());
    const Segmentation seg = objectParts(back, report);
    QCOMPARE(seg.partCount(), 3);
    QCOMPARE(seg.parts[1].name, std::string("seat"));
    for (std::size_t f = 0; f < back.faces.size(); ++f) {
      // The cube of part k spans x in [2k, 2k + 1].
      const float x = back.vertices[back.faces[f][0]].x;
      QCOMPARE(seg.faceLabels[f], static_cast<int>(std::lround(std::floor(x / 2.f))));
    }
    for (const PartInfo& p : seg.parts) QCOMPARE(p.faceCount, std::size_t(12));
  }

  // One object is no parts, and neither is a scene of more than
  // kMaxFileObjects pieces.
  void objectCountLimits_data() {
    QTest::addColumn<int>("objects");
    QTest::addColumn<int>("parts");
    QTest::newRow("one") << 1 << 0;
    QTest::newRow("two") << 2 << 2;
    QTest::newRow("at the limit") << int(kMaxFileObjects) << int(kMaxFileObjects);
    QTest::newRow("too many") << int(kMaxFileObjects) + 1 << 0;
  }
  void objectCountLimits() {
    QFETCH(int, objects);
    QFETCH(int, parts);
    std::string obj;
    for (int i = 0; i < objects; ++i) {
      obj += "o piece" + std::to_string(i) + "\nv " + std::to_string(i) + " 0 0\nv " +
             std::to_string(i) + ".5 0 0\nv " + std::to_string(i) + " 1 0\nf -3 -2 -1\n";
    }
    writeText(path("pieces.obj"), obj);
    ImportReport report;
    const Mesh mesh = importMesh(path("pieces.obj"), &report);
    QCOMPARE(mesh.faces.size(), std::size_t(objects));
    QCOMPARE(report.objectNames.size(), std::size_t(parts));
    QCOMPARE(report.faceObjects.size(), parts ? mesh.faces.size() : 0);
    QCOMPARE(objectParts(mesh, report).partCount(), parts);
  }

  void glbHasNamedNodesAndDistinctMaterials() {
    const Mesh cube = importMesh(path("cube.obj"));
    exportParts(path("named.glb"), {{0, "", cube}, {1, "", cube}, {2, "", cube}});
    Assimp::Importer importer;
    const aiScene* scene = importer.ReadFile(path("named.glb").string(), 0);
    QVERIFY(scene);
    QStringList names;
    for (unsigned i = 0; i < scene->mRootNode->mNumChildren; ++i) {
      names << QString::fromUtf8(scene->mRootNode->mChildren[i]->mName.C_Str());
    }
    if (names.isEmpty()) names << QString::fromUtf8(scene->mRootNode->mName.C_Str());
    QVERIFY2(names.contains("part_0") && names.contains("part_1") && names.contains("part_2"),
             qPrintable(names.join(",")));
    QSet<QString> colors;
    for (unsigned m = 0; m < scene->mNumMaterials; ++m) {
      aiColor4D c;
      if (scene->mMaterials[m]->Get(AI_MATKEY_BASE_COLOR, c) == aiReturn_SUCCESS ||
          scene->mMaterials[m]->Get(AI_MATKEY_COLOR_DIFFUSE, c) == aiReturn_SUCCESS) {
        colors.insert(QString("%1 %2 %3").arg(c.r).arg(c.g).arg(c.b));
      }
    }
    QVERIFY2(colors.size() >= 3, qPrintable(QStringList(colors.values()).join(";")));
  }

  // The PLY carries a part label per face and the part's colour per vertex:
  // Assimp's PLY exporter writes no per-face property, so this writer is ours.
  void plyHasPartLabelPerFace() {
    const Mesh cube = importMesh(path("cube.obj"));
    exportParts(path("labels.ply"), {{0, "", cube}, {5, "", cube}});
    const std::string bytes = readAll(path("labels.ply"));
    const std::string end = "end_header\n";
    const std::size_t body = bytes.find(end);
    QVERIFY(body != std::string::npos);
    const std::string header = bytes.substr(0, body);
    QVERIFY(header.find("property uchar red") != std::string::npos);
    QVERIFY(header.find("element face 24") != std::string::npos);
    QVERIFY2(header.find("property int part") > header.find("element face"), header.c_str());
    const std::size_t vertexBytes = 3 * sizeof(float) + 3, faceBytes = 1 + 3 * 4 + 4;
    const std::size_t faces = body + end.size() + 2 * cube.vertices.size() * vertexBytes;
    QCOMPARE(bytes.size(), faces + 24 * faceBytes);
    for (std::size_t f = 0; f < 24; ++f) {
      std::int32_t label = -1;
      std::memcpy(&label, bytes.data() + faces + f * faceBytes + 13, sizeof label);
      QCOMPARE(label, f < 12 ? 0 : 5);
    }
  }

  void failedExportKeepsOldFile() {
    const Mesh cube = importMesh(path("cube.obj"));
    const fs::path folder = path("readonly");
    fs::create_directories(folder);
    const fs::path target = folder / "keep.glb";
    exportMesh(target, cube);
    const std::string before = readAll(target);
    ::chmod(folder.c_str(), 0555);
    const bool root = ::geteuid() == 0;  // root writes anyway; then test a missing folder instead
    try {
      exportMesh(root ? folder / "no-such-folder" / "x.glb" : target, cube);
      QFAIL("export should have failed");
    } catch (const OutputError& e) {
      QVERIFY(QString::fromUtf8(e.what()).contains(root ? "x.glb" : "keep.glb"));
    }
    ::chmod(folder.c_str(), 0755);
    QCOMPARE(readAll(target), before);
    int entries = 0;
    for (auto& e : fs::directory_iterator(folder)) entries += e.is_regular_file();
    QCOMPARE(entries, 1);  // no temporary file left behind
  }

  void refusesUnknownExportType() {
    const Mesh cube = importMesh(path("cube.obj"));
    QVERIFY_THROWS_EXCEPTION(OutputError, exportMesh(path("x.xyz"), cube));
    QVERIFY(!fs::exists(path("x.xyz")));
  }
};

QTEST_GUILESS_MAIN(TestMeshIo)
#include "test_mesh_io.moc"
