#pragma once
// Running the built `h3dpart` in tests: its path, the sample mesh, a
// finished process's exit code and output.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QtTest>

namespace cli_test {

const QString kCli = QStringLiteral(H3DPART_BINARY_DIR "/app/h3dpart");
const QString kStudio = QStringLiteral(H3DPART_BINARY_DIR "/app/h3dpart-studio");
const QString kSample = QStringLiteral(H3DPART_SOURCE_DIR "/resources/samples/table.glb");

struct Result {
  int exitCode = -1;  // -2: timed out (a hang guard), -3: crashed
  QString out, err;
};

inline Result runProgram(const QString& program, const QStringList& args,
                         const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
                         int timeoutMs = 240000, const QByteArray& stdinData = {}) {
  QProcess p;
  p.setProcessEnvironment(env);
  p.start(program, args);
  if (!p.waitForStarted()) return {-4, {}, "did not start"};
  if (!stdinData.isEmpty()) p.write(stdinData);
  p.closeWriteChannel();
  if (!p.waitForFinished(timeoutMs)) {  // a hang guard, not a timing check
    p.kill();
    p.waitForFinished();
    return {-2, {}, "timed out"};
  }
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -3,
          QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

inline Result runCli(const QStringList& args, int timeoutMs = 240000) {
  return runProgram(kCli, args, QProcessEnvironment::systemEnvironment(), timeoutMs);
}

// The same with `stdinData` on standard input (then closed).
inline Result runCliWithInput(const QStringList& args, const QByteArray& stdinData) {
  return runProgram(kCli, args, QProcessEnvironment::systemEnvironment(), 300000, stdinData);
}

inline void writeBytes(const QString& file, const QByteArray& bytes) {
  QDir().mkpath(QFileInfo(file).absolutePath());
  QFile f(file);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(bytes);
}

inline QByteArray readBytes(const QString& file) {
  QFile f(file);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The last non-empty stderr line: where the error message must be.
inline QString lastLine(const QString& text) {
  const QStringList lines = text.split('\n', Qt::SkipEmptyParts);
  return lines.isEmpty() ? QString() : lines.last();
}

}  // namespace cli_test
