// Names of the snapshot's enums and the table printed by `h3dpart models`.
#include "h3dpart/model_snapshot.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace h3d {

std::string toString(ModelState state) {
  switch (state) {
    case ModelState::Unloaded:
      return "unloaded";
    case ModelState::Loading:
      return "loading";
    case ModelState::Resident:
      return "resident";
    case ModelState::Cached:
      return "cached";
    case ModelState::Unloading:
      return "unloading";
    case ModelState::Failed:
      return "failed";
  }
  return "unknown";
}

std::string toString(Policy policy) {
  switch (policy) {
    case Policy::Sequential:
      return "sequential";
    case Policy::Keep:
      return "keep";
    case Policy::Budget:
      return "budget";
  }
  return "unknown";
}

std::string toString(LoadSource source) {
  switch (source) {
    case LoadSource::None:
      return "none";
    case LoadSource::Disk:
      return "disk";
    case LoadSource::HostCache:
      return "host cache";
  }
  return "unknown";
}

std::string toString(RunnerState state) {
  switch (state) {
    case RunnerState::None:
      return "none";
    case RunnerState::Starting:
      return "starting";
    case RunnerState::Ready:
      return "ready";
    case RunnerState::Busy:
      return "busy";
    case RunnerState::Exited:
      return "exited";
    case RunnerState::Crashed:
      return "crashed";
  }
  return "unknown";
}

bool parsePolicy(const std::string& text, Policy& out) {
  if (text == "sequential")
    out = Policy::Sequential;
  else if (text == "keep")
    out = Policy::Keep;
  else if (text == "budget")
    out = Policy::Budget;
  else
    return false;
  return true;
}

std::string formatBytes(std::uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int unit = 0;
  while (v >= 1024.0 && unit < 4) {
    v /= 1024.0;
    ++unit;
  }
  char text[32];
  if (unit == 0)
    std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(text, sizeof text, "%.1f %s", v, units[unit]);
  return text;
}

namespace {

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string loadText(const ModelStatus& m) {
  if (m.lastLoadSource == LoadSource::None) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.0f ms (%s)", m.lastLoadMs,
                toString(m.lastLoadSource).c_str());
  return text;
}

}  // namespace

std::string describeSnapshot(const ManagerSnapshot& snap) {
  const std::vector<std::string> head = {"NAME", "ROLE",  "VERSION",   "STATE", "DEVICE",
                                         "HOST", "FILES", "LAST LOAD", "ERROR"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : snap.models) {
    std::string state = toString(m.state);
    if (m.state == ModelState::Resident && !m.device.empty()) state += " (" + m.device + ")";
    rows.push_back({m.name, m.role, m.version, state, formatBytes(m.deviceBytes),
                    formatBytes(m.hostBytes), formatBytes(m.fileBytes), loadText(m),
                    m.error.empty() ? "" : m.error});
  }
  std::vector<std::size_t> width(head.size());
  for (std::size_t c = 0; c < head.size(); ++c) {
    width[c] = head[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      text += c + 1 < cells.size() ? pad(cells[c], width[c] + 2) : cells[c];
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  };
  line(head);
  for (const auto& r : rows) line(r);
  if (rows.empty()) out << "(no model packages)\n";
  out << '\n';
  out << "policy " << toString(snap.policy) << ", models go to " << snap.deviceName;
  if (snap.policy == Policy::Budget)
    out << ", VRAM budget " << formatBytes(snap.vramBudget) << ", RAM budget "
        << formatBytes(snap.ramBudget);
  out << '\n';
  const DeviceMemory& d = snap.device;
  if (d.available) {
    out << "device " << d.name << ": " << formatBytes(d.used) << " used of " << formatBytes(d.total)
        << ", " << formatBytes(d.free) << " free; this process " << formatBytes(d.processUsed)
        << "; allocator " << formatBytes(d.allocatorAllocated) << " allocated, "
        << formatBytes(d.allocatorReserved) << " reserved";
    if (d.contextBytes) out << "; CUDA context " << formatBytes(d.contextBytes);
    out << '\n';
  } else {
    out << "device: " << (d.note.empty() ? "no CUDA device" : d.note) << "; host "
        << formatBytes(d.used) << " used of " << formatBytes(d.total) << '\n';
  }
  out << "host RSS " << formatBytes(snap.hostRss) << "; model weights "
      << formatBytes(snap.modelDeviceBytes) << " on the device, "
      << formatBytes(snap.modelHostBytes) << " cached in host RAM; peak "
      << formatBytes(snap.peakModelDeviceBytes) << '\n';
  return out.str();
}

}  // namespace h3d
