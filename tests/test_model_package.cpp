// Model packages: SHA-256, manifest schema, refusals naming package, file and check.
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "h3dpart/errors.h"
#include "h3dpart/model_bench.h"
#include "h3dpart/model_package.h"

using namespace h3d;
namespace fs = std::filesystem;

class TestModelPackage : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir tmp_;
  fs::path good_;

  fs::path copyGood(const QString& name) {
    const fs::path dst = fs::path(tmp_.path().toStdString()) / name.toStdString();
    fs::remove_all(dst);
    fs::copy(good_, dst, fs::copy_options::recursive);
    return dst;
  }
  static nlohmann::json readJson(const fs::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
  }
  static void writeJson(const fs::path& p, const nlohmann::json& j) {
    std::ofstream(p) << j.dump(2);
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    good_ = fs::path(tmp_.path().toStdString()) / "good";
    FixturePackage spec;
    spec.name = "fixture";
    spec.role = ModelRole::Generator;
    spec.staged = true;
    spec.components = {FixtureComponent{"encoder", 4096, "ok"},
                       FixtureComponent{"decoder", 8192, "ok"}};
    writeFixturePackage(good_, spec);
  }

  void sha256_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty") << QByteArray()
                           << "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    QTest::newRow("abc") << QByteArray("abc")
                         << "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    QTest::newRow("448 bits") << QByteArray(
                                     "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                              << "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    QTest::newRow("55 bytes") << QByteArray(55, 'x')
                              << QString::fromStdString(sha256Hex(std::string(55, 'x').data(), 55));
    QTest::newRow("million a")
        << QByteArray(1000000, 'a')
        << "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  }
  void sha256() {
    QFETCH(QByteArray, input);
    QFETCH(QString, expected);
    QCOMPARE(QString::fromStdString(sha256Hex(input.constData(), std::size_t(input.size()))),
             expected);
    const fs::path file = fs::path(tmp_.path().toStdString()) / "sha.bin";
    std::ofstream(file, std::ios::binary).write(input.constData(), input.size());
    QCOMPARE(QString::fromStdString(sha256File(file)), expected);
  }

  // A file read in several pieces hashes as its bytes do in one piece.
  void sha256OfLargeFile() {
    std::mt19937 rng{42};
    std::string data(3 * (1 << 20) + 12345, '\0');
    for (auto& c : data) c = char(rng());
    const fs::path file = fs::path(tmp_.path().toStdString()) / "large.bin";
    std::ofstream(file, std::ios::binary).write(data.data(), std::streamsize(data.size()));
    const std::string whole = sha256Hex(data.data(), data.size());
    QCOMPARE(QString::fromStdString(sha256File(file)), QString::fromStdString(whole));
    data[data.size() / 2] ^= 1;  // one bit changes the digest
    QVERIFY(sha256Hex(data.data(), data.size()) != whole);
  }

  void readsGoodPackage() {
    const ModelPackage p = readPackage(good_);
    QCOMPARE(QString::fromStdString(p.manifest.name), QString("fixture"));
    QVERIFY(p.manifest.role == ModelRole::Generator);
    QCOMPARE(p.manifest.components.size(), std::size_t(2));
    QCOMPARE(p.manifest.stages.size(), std::size_t(2));
    QVERIFY(p.manifest.component("decoder") != nullptr);
    QVERIFY(p.manifest.stage("encoder") != nullptr);
    QVERIFY(p.manifest.stage("nope") == nullptr);
    QCOMPARE(p.manifest.components[0].inputs[0].shape.size(), std::size_t(2));
    QCOMPARE(QString::fromStdString(p.manifest.components[0].inputs[0].shape[1]), QString("3"));
    QCOMPARE(p.manifest.dryRunSymbols.at("N"), std::int64_t(64));
    QVERIFY(p.fileBytes > 12288);
    QVERIFY(p.manifest.cpuFallbackAllowed);
  }

  void roles() {
    QVERIFY(parseRole("segmenter") == ModelRole::Segmenter);
    QVERIFY(parseRole("generator") == ModelRole::Generator);
    QVERIFY(!parseRole("upscaler"));
    QCOMPARE(QString::fromStdString(toString(ModelRole::Segmenter)), QString("segmenter"));
  }

  void findsPackages() {
    copyGood("second");
    fs::create_directories(fs::path(tmp_.path().toStdString()) / "not-a-package");
    const auto found = findPackages(tmp_.path().toStdString());
    QVERIFY(found.size() >= 3);
    // A folder without a manifest is listed, so the reason it is refused can be told.
    const fs::path stray = fs::path(tmp_.path().toStdString()) / "not-a-package";
    QVERIFY(std::find(found.begin(), found.end(), stray) != found.end());
    QVERIFY_THROWS_EXCEPTION(ModelError, readPackage(stray));
    QVERIFY(findPackages("/nonexistent/dir").empty());
  }

  // Each broken package is refused with "model package <name>: <file>: <check>".
  void refusals_data() {
    QTest::addColumn<QString>("mutation");
    QTest::addColumn<QString>("expected");
    QTest::newRow("bad hash") << "hash"
                              << "model package fixture: encoder.pt: sha256: mismatch";
    QTest::newRow("missing file") << "missing"
                                  << "model package fixture: decoder.pt: file exists:";
    QTest::newRow("wrong role")
        << "role"
        << "model package fixture: manifest.json: role: unknown role \"upscaler\"";
    QTest::newRow("field type") << "bytes-type"
                                << "model package fixture: manifest.json: schema: files[0].bytes: "
                                   "expected a non-negative integer";
    QTest::newRow("name type") << "name-type"
                               << "model package broken-name-type: manifest.json: schema: "
                                  "manifest.name: expected a string, found number";
    QTest::newRow("unknown dtype") << "dtype"
                                   << "model package fixture: manifest.json: schema: "
                                      "components[0].inputs[0].dtype: unknown dtype \"float99\"";
    QTest::newRow("shape type")
        << "shape"
        << "schema: components[0].outputs[0].shape[1]: expected a number or a symbol";
    QTest::newRow("component file") << "component-file"
                                    << "model package fixture: other.pt: component file:";
    QTest::newRow("stage") << "stage"
                           << "model package fixture: manifest.json: stage: stage \"decoder\" "
                              "names unknown component \"ghost\"";
    QTest::newRow("format") << "format"
                            << "model package fixture: manifest.json: format: unsupported format 2";
    QTest::newRow("missing field")
        << "no-version"
        << "model package fixture: manifest.json: schema: manifest: missing field \"version\"";
    QTest::newRow("dry-run symbol")
        << "symbol"
        << "model package fixture: manifest.json: dry_run: symbol \"N\"";
    QTest::newRow("size") << "size"
                          << "model package fixture: encoder.pt: size: manifest says";
    QTest::newRow("not json") << "garbage"
                              << "manifest.json: json:";
    QTest::newRow("no manifest") << "no-manifest"
                                 << "manifest.json: file exists: not found";
    QTest::newRow("file outside")
        << "symlink-outside"
        << "model package fixture: encoder.pt: inside the package: resolves to";
    QTest::newRow("run bytes") << "run-bytes"
                               << "model package fixture: manifest.json: schema: memory.run_bytes: "
                                  "4611686018427387904 bytes is more than any device holds";
  }
  void refusals() {
    QFETCH(QString, mutation);
    QFETCH(QString, expected);
    const fs::path dir = copyGood("broken-" + mutation);
    const fs::path manifest = dir / "manifest.json";
    auto j = readJson(manifest);
    const std::string m = mutation.toStdString();
    if (m == "hash") {
      std::fstream f(dir / "encoder.pt", std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(100);
      f.put('\x7f');
    } else if (m == "missing") {
      fs::remove(dir / "decoder.pt");
    } else if (m == "role") {
      j["role"] = "upscaler";
    } else if (m == "bytes-type") {
      j["files"][0]["bytes"] = "many";
    } else if (m == "name-type") {
      j["name"] = 42;
    } else if (m == "dtype") {
      j["components"][0]["inputs"][0]["dtype"] = "float99";
    } else if (m == "shape") {
      j["components"][0]["outputs"][0]["shape"][1] = true;
    } else if (m == "component-file") {
      j["components"][1]["file"] = "other.pt";
    } else if (m == "stage") {
      j["stages"][1]["components"] = {"decoder", "ghost"};
    } else if (m == "format") {
      j["format"] = 2;
    } else if (m == "no-version") {
      j.erase("version");
    } else if (m == "symbol") {
      j["dry_run"] = nlohmann::json::object();
    } else if (m == "size") {
      j["files"][0]["bytes"] = 12;
    } else if (m == "garbage") {
      std::ofstream(manifest) << "{ not json";
    } else if (m == "no-manifest") {
      fs::remove(manifest);
    } else if (m == "symlink-outside") {
      // the same bytes (so the hash matches), but reached through a link leaving the folder
      const fs::path outside = dir.parent_path() / "outside-encoder.pt";
      fs::copy_file(dir / "encoder.pt", outside, fs::copy_options::overwrite_existing);
      fs::remove(dir / "encoder.pt");
      fs::create_symlink(outside, dir / "encoder.pt");
    } else if (m == "run-bytes") {
      j["memory"] = {{"run_bytes", 1ull << 62}};
    }
    if (m != "garbage" && m != "no-manifest") writeJson(manifest, j);
    try {
      readPackage(dir);
      QFAIL("package was accepted");
    } catch (const ModelError& e) {
      const QString what = QString::fromStdString(e.what());
      QVERIFY2(what.contains(expected), qPrintable(what));
      QCOMPARE(int(e.exitCode()), int(ExitCode::ModelProblem));
    }
  }

  void unreadableManifestSaysPermissionDenied() {
    if (::geteuid() == 0) QSKIP("root reads any file");
    const fs::path dir = copyGood("unreadable");
    fs::permissions(dir / "manifest.json", fs::perms::none);
    try {
      readPackage(dir);
      QFAIL("package was accepted");
    } catch (const ModelError& e) {
      QVERIFY2(QString(e.what()).contains("manifest.json: readable: permission denied"), e.what());
    }
    fs::permissions(dir / "manifest.json", fs::perms::owner_all);
  }

  // Built default packages are readable by every user (they were 0600).
  void defaultPackagesAreWorldReadable() {
    const fs::path models = defaultModelsDir();
    std::size_t seen = 0;
    for (const auto& folder : findPackages(models))
      for (const auto& entry : fs::directory_iterator(folder)) {
        const auto perms = fs::status(entry.path()).permissions();
        QVERIFY2((perms & fs::perms::others_read) != fs::perms::none, entry.path().c_str());
        ++seen;
      }
    QVERIFY(seen >= 2);
  }

  void hashesCanBeSkipped() {
    const fs::path dir = copyGood("unhashed");
    std::fstream f(dir / "encoder.pt", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
    f.close();
    QVERIFY_THROWS_EXCEPTION(ModelError, readPackage(dir, true));
    QCOMPARE(QString::fromStdString(readPackage(dir, false).manifest.name), QString("fixture"));
  }
};

QTEST_GUILESS_MAIN(TestModelPackage)
#include "test_model_package.moc"
