#include "recent_files.h"

#include <QFileInfo>
#include <QSettings>

namespace h3d::ui {

namespace {
const char* kKey = "recentFiles";
}

RecentFiles::RecentFiles(QWidget* parent, int maxEntries)
    : QObject(parent), menu_(tr("Open &Recent"), parent), max_(maxEntries) {
  rebuild();
}

QStringList RecentFiles::files() const {
  return QSettings().value(kKey).toStringList();
}

void RecentFiles::add(const QString& path) {
  QStringList list = files();
  const QString absolute = QFileInfo(path).absoluteFilePath();
  list.removeAll(absolute);
  list.prepend(absolute);
  while (list.size() > max_) list.removeLast();
  store(list);
}

void RecentFiles::remove(const QString& path) {
  QStringList list = files();
  list.removeAll(QFileInfo(path).absoluteFilePath());
  store(list);
}

void RecentFiles::store(const QStringList& list) {
  QSettings().setValue(kKey, list);
  rebuild();
}

void RecentFiles::rebuild() {
  menu_.clear();
  const QStringList list = files();
  int n = 0;
  for (const QString& file : list) {
    QAction* a =
        menu_.addAction(QStringLiteral("&%1  %2").arg(++n % 10).arg(QFileInfo(file).fileName()));
    a->setToolTip(file);
    a->setStatusTip(file);
    connect(a, &QAction::triggered, this, [this, file] { Q_EMIT openRequested(file); });
  }
  if (list.isEmpty()) menu_.addAction(tr("(none)"))->setEnabled(false);
  menu_.addSeparator();
  connect(menu_.addAction(tr("Clear list")), &QAction::triggered, this, [this] { store({}); });
}

}  // namespace h3d::ui
