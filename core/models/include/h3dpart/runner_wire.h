#pragma once
// Frames of the runner protocol (runner_protocol.h) on a socket: both ends
// use these. Errors are RunnerError with one line.
#include <nlohmann/json.hpp>
#include <vector>

#include "h3dpart/model_snapshot.h"
#include "h3dpart/tensor.h"

namespace h3d::wire {

struct Frame {
  nlohmann::json body;
  std::vector<int> fds;  // owned by the receiver: adopt or close them
  ~Frame();
  Frame() = default;
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;
  // Takes descriptor i (the frame no longer closes it).
  int take(std::size_t i);
};

// Sends one frame; the descriptors are duplicated by the kernel, the caller
// keeps its own. Never raises SIGPIPE.
void send(int socket, const nlohmann::json& body, const std::vector<int>& fds = {});
// Reads one frame (blocks). false at end of file before a frame began.
bool receive(int socket, Frame& out);

// A tensor's description; its memfd is appended to fds. A tensor whose bytes
// are not in shared memory is copied into a memfd first.
nlohmann::json describe(const Tensor& t, std::vector<int>& fds, std::vector<Tensor>& keepAlive);
// The tensor a description names, mapping the frame's descriptor.
Tensor tensorOf(const nlohmann::json& desc, Frame& frame);

nlohmann::json toJson(const DeviceMemory& d);
DeviceMemory memoryOf(const nlohmann::json& j);

}  // namespace h3d::wire
