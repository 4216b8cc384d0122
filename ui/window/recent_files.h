#pragma once
// The "Open Recent" menu, remembered in QSettings (most recent first).
#include <QMenu>
#include <QObject>
#include <QStringList>

namespace h3d::ui {

class RecentFiles : public QObject {
  Q_OBJECT
 public:
  explicit RecentFiles(QWidget* parent, int maxEntries = 10);

  QMenu* menu() { return &menu_; }
  QStringList files() const;
  void add(const QString& path);
  void remove(const QString& path);

 Q_SIGNALS:
  void openRequested(const QString& path);

 private:
  void rebuild();
  void store(const QStringList& files);

  QMenu menu_;
  int max_;
};

}  // namespace h3d::ui
