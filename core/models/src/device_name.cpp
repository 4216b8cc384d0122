#include "h3dpart/device_name.h"

#include <stdexcept>

#include "h3dpart/errors.h"

namespace h3d {

DeviceName parseDeviceName(const std::string& device) {
  DeviceName d;
  if (device == "cpu") return d;
  if (device == "auto") {
    d.kind = DeviceName::Kind::Auto;
    return d;
  }
  auto number = [&](std::size_t from, const char* expected, auto parse) {
    try {
      std::size_t used = 0;
      const auto value = parse(device.substr(from), &used);
      if (used != device.size() - from) throw std::invalid_argument("trailing characters");
      return value;
    } catch (const std::exception&) {
      throw UsageError("device " + device + ": expected " + expected);
    }
  };
  if (device.rfind("sim:", 0) == 0) {
    d.kind = DeviceName::Kind::Simulated;
    d.simulatedBytes = number(4, "sim:<bytes>", [](const std::string& s, std::size_t* used) {
      return std::stoull(s, used);
    });
    return d;
  }
  if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
    d.kind = DeviceName::Kind::Cuda;
    if (device.size() > 5)
      d.cudaIndex = number(5, "cuda:<index>", [](const std::string& s, std::size_t* used) {
        return std::stoi(s, used);
      });
    return d;
  }
  throw UsageError("unknown device \"" + device + "\" (expected cpu, cuda, cuda:N or auto)");
}

}  // namespace h3d
