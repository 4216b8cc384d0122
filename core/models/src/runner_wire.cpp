// Frames of the runner protocol: u32 length + CBOR, memfds as SCM_RIGHTS.
#include "h3dpart/runner_wire.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "h3dpart/errors.h"
#include "h3dpart/runner_protocol.h"

namespace h3d::wire {

using nlohmann::json;
namespace rp = runner_protocol;

Frame::~Frame() {
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
}

int Frame::take(std::size_t i) {
  if (i >= fds.size() || fds[i] < 0)
    throw RunnerError("runner protocol: no descriptor " + std::to_string(i));
  const int fd = fds[i];
  fds[i] = -1;
  return fd;
}

void send(int socket, const json& body, const std::vector<int>& fds) {
  if (fds.size() > std::size_t(rp::kMaxDescriptors))
    throw RunnerError("runner protocol: too many tensors in one message");
  const std::vector<std::uint8_t> cbor = json::to_cbor(body);
  if (cbor.size() > rp::kMaxFrameBytes) throw RunnerError("runner protocol: message too large");
  std::vector<std::uint8_t> buf(4 + cbor.size());
  const auto n = static_cast<std::uint32_t>(cbor.size());
  for (int i = 0; i < 4; ++i) buf[std::size_t(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  std::memcpy(buf.data() + 4, cbor.data(), cbor.size());
  std::size_t sent = 0;
  bool first = true;
  while (sent < buf.size()) {
    iovec iov{buf.data() + sent, buf.size() - sent};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    std::vector<char> control;
    if (first && !fds.empty()) {
      control.assign(CMSG_SPACE(sizeof(int) * fds.size()), 0);
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    const ssize_t r = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw RunnerError(std::string("runner connection: ") + std::strerror(errno));
    }
    sent += std::size_t(r);
    first = false;
  }
}

namespace {

// Reads exactly `size` bytes, collecting descriptors. false: end of file
// before any byte.
bool readFull(int socket, std::uint8_t* data, std::size_t size, std::vector<int>& fds) {
  std::size_t got = 0;
  while (got < size) {
    iovec iov{data + got, size - got};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * rp::kMaxDescriptors)];
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t r = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw RunnerError(std::string("runner connection: ") + std::strerror(errno));
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const auto* p = reinterpret_cast<const int*>(CMSG_DATA(c));
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, p + i, sizeof fd);
        fds.push_back(fd);
      }
    }
    if (msg.msg_flags & MSG_CTRUNC) throw RunnerError("runner protocol: descriptors truncated");
    if (r == 0) {
      if (got == 0) return false;
      throw RunnerError("runner connection: closed in the middle of a message");
    }
    got += std::size_t(r);
  }
  return true;
}

}  // namespace

bool receive(int socket, Frame& out) {
  std::uint8_t head[4];
  if (!readFull(socket, head, 4, out.fds)) return false;
  const std::uint32_t n = std::uint32_t(head[0]) | std::uint32_t(head[1]) << 8 |
                          std::uint32_t(head[2]) << 16 | std::uint32_t(head[3]) << 24;
  if (n > rp::kMaxFrameBytes)
    throw RunnerError("runner protocol: message of " + std::to_string(n) + " bytes");
  std::vector<std::uint8_t> body(n);
  if (n && !readFull(socket, body.data(), n, out.fds))
    throw RunnerError("runner connection: closed in the middle of a message");
  try {
    out.body = json::from_cbor(body);
  } catch (const std::exception& e) {
    throw RunnerError(std::string("runner protocol: bad message: ") + e.what());
  }
  if (!out.body.is_object()) throw RunnerError("runner protocol: a message is not a map");
  return true;
}

json describe(const Tensor& t, std::vector<int>& fds, std::vector<Tensor>& keepAlive) {
  Tensor shared = t;
  if (!t.defined()) throw UsageError("runner protocol: an undefined tensor");
  if (t.buffer()->fd() < 0) {
    shared = Tensor::make(t.dtype(), t.shape());
    std::memcpy(shared.raw(), t.raw(), t.bytes());
  }
  keepAlive.push_back(shared);
  json d = {{"dtype", dtypeName(shared.dtype())},
            {"shape", shared.shape()},
            {"fd", fds.size()},
            {"offset", shared.offset()},
            {"bytes", shared.bytes()}};
  fds.push_back(shared.buffer()->fd());
  return d;
}

Tensor tensorOf(const json& desc, Frame& frame) {
  try {
    DType dtype;
    if (!parseDType(desc.at("dtype").get<std::string>(), dtype))
      throw RunnerError("runner protocol: unknown dtype " + desc.at("dtype").get<std::string>());
    const auto shape = desc.at("shape").get<std::vector<std::int64_t>>();
    const auto offset = desc.value("offset", std::size_t(0));
    const auto bytes = desc.at("bytes").get<std::size_t>();
    const int fd = frame.take(desc.at("fd").get<std::size_t>());
    auto buffer = TensorBuffer::adopt(fd, offset + bytes);
    Tensor t(dtype, shape, std::move(buffer), offset);
    if (t.bytes() != bytes)
      throw RunnerError("runner protocol: tensor bytes do not match its shape");
    return t;
  } catch (const json::exception& e) {
    throw RunnerError(std::string("runner protocol: bad tensor: ") + e.what());
  } catch (const UsageError& e) {
    throw RunnerError(std::string("runner protocol: ") + e.what());
  }
}

json toJson(const DeviceMemory& d) {
  return {{"available", d.available},
          {"name", d.name},
          {"note", d.note},
          {"total", d.total},
          {"used", d.used},
          {"free", d.free},
          {"process_used", d.processUsed},
          {"allocator_allocated", d.allocatorAllocated},
          {"allocator_reserved", d.allocatorReserved},
          {"context_bytes", d.contextBytes}};
}

DeviceMemory memoryOf(const json& j) {
  DeviceMemory d;
  if (!j.is_object()) return d;
  d.available = j.value("available", false);
  d.name = j.value("name", std::string());
  d.note = j.value("note", std::string());
  d.total = j.value("total", std::uint64_t(0));
  d.used = j.value("used", std::uint64_t(0));
  d.free = j.value("free", std::uint64_t(0));
  d.processUsed = j.value("process_used", std::uint64_t(0));
  d.allocatorAllocated = j.value("allocator_allocated", std::uint64_t(0));
  d.allocatorReserved = j.value("allocator_reserved", std::uint64_t(0));
  d.contextBytes = j.value("context_bytes", std::uint64_t(0));
  return d;
}

}  // namespace h3d::wire
