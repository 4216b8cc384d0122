// The front ends link no LibTorch: neither their dynamic sections (readelf -d)
// nor what the loader would bring in (ldd) name libtorch or libc10. The
// runner does (so the check can tell the two apart).
#include <QProcess>
#include <QtTest>

namespace {

QString output(const QString& program, const QStringList& args) {
  QProcess p;
  p.start(program, args);
  if (!p.waitForStarted() || !p.waitForFinished(60000)) return {};  // hang guard
  return QString::fromUtf8(p.readAllStandardOutput());
}

bool namesTorch(const QString& text) {
  return text.contains("libtorch") || text.contains("libc10");
}

}  // namespace

class TestNoTorch : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void frontEnds_data() {
    QTest::addColumn<QString>("program");
    QTest::addColumn<bool>("torch");
    QTest::newRow("h3dpart") << QStringLiteral(H3DPART_BINARY_DIR "/app/h3dpart") << false;
#ifdef H3DPART_HAVE_STUDIO
    QTest::newRow("h3dpart-studio")
        << QStringLiteral(H3DPART_BINARY_DIR "/app/h3dpart-studio") << false;
#endif
    QTest::newRow("h3dpart-runner")
        << QStringLiteral(H3DPART_BINARY_DIR "/app/h3dpart-runner") << true;
  }
  void frontEnds() {
    QFETCH(QString, program);
    QFETCH(bool, torch);
    QVERIFY2(QFileInfo(program).isExecutable(), qPrintable(program));
    const QString dynamic = output("readelf", {"-d", program});
    QVERIFY2(dynamic.contains("(NEEDED)"), "readelf gave no dynamic section");
    QCOMPARE(namesTorch(dynamic), torch);
    const QString loaded = output("ldd", {program});
    QVERIFY2(loaded.contains("libc.so"), "ldd gave no libraries");
    QVERIFY2(namesTorch(loaded) == torch, qPrintable(loaded));
  }
};

QTEST_GUILESS_MAIN(TestNoTorch)
#include "test_no_torch.moc"
