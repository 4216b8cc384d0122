#pragma once
// The model dock: one row per model package with its state and memory, Load /
// Unload / Unload all, a live memory chart, the manager's settings and its
// event log. It polls ModelManager::snapshot() (a few times a second) and
// does nothing when the snapshot has not changed.
#include <QElapsedTimer>
#include <QWidget>
#include <cstdint>
#include <memory>

#include "h3dpart/engine/inference_engine.h"

class QTableWidget;
class QComboBox;
class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QDoubleSpinBox;
class QTimer;

namespace h3d::ui {

class MemoryChart;

class ModelPanel : public QWidget {
  Q_OBJECT
 public:
  enum Column { Name, Role, State, Device, DeviceBytes, HostBytes, LastLoad, ColumnCount };

  explicit ModelPanel(InferenceEngine& engine, QWidget* parent = nullptr);
  ~ModelPanel() override;

  // Polls now (tests call it to avoid waiting for the timer).
  void refresh();
  void setPollInterval(int ms);
  QTableWidget* table() const { return table_; }
  QComboBox* policyBox() const { return policy_; }
  QString stateText(const QString& model) const;  // the State cell of a model's row
  QString deviceNote() const;
  QString runnerText() const;
  const MemoryChart& chart() const {
    return *chart_;
  }  // the runner row: pid, state, RSS, device bytes, start time
  int redraws() const { return redraws_; }  // how often the snapshot changed the view

  // Settings applied at start-up and remembered (QSettings).
  void loadSettings();
  void saveSettings() const;

 private:
  void applySnapshot(const ManagerSnapshot& snapshot);
  void fillTable(const ManagerSnapshot& snapshot);
  void appendEvents(const ManagerSnapshot& snapshot);
  void updateButtons();
  QString selectedModel() const;
  void applyBudgets();

  InferenceEngine& engine_;
  QTimer* timer_;
  QLabel* deviceLabel_;
  QLabel* runnerLabel_;
  QTableWidget* table_;
  QPushButton* load_;
  QPushButton* unload_;
  QPushButton* unloadAll_;
  MemoryChart* chart_;
  QComboBox* policy_;
  QDoubleSpinBox* vramBudget_;
  QDoubleSpinBox* ramBudget_;
  QDoubleSpinBox* keepAlive_;
  QComboBox* device_;
  QCheckBox* verbose_;
  QPlainTextEdit* log_;
  std::uint64_t lastSerial_ = 0;
  std::uint64_t lastFingerprint_ = 0;
  std::uint64_t lastRss_ = 0;
  bool haveSnapshot_ = false;
  int redraws_ = 0;
  bool applyingSettings_ = false;
  bool pendingRefresh_ = false;
  QElapsedTimer clock_;  // chart time base
  double lastScroll_ = 0.0;
};

}  // namespace h3d::ui
