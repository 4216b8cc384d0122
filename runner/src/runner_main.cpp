// h3dpart-runner: serves a TorchExecutor over the runner protocol
// (core/models/include/h3dpart/runner_protocol.h) on the socket it was given.
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "h3dpart/device_backend.h"
#include "h3dpart/errors.h"
#include "h3dpart/memory_probe.h"
#include "h3dpart/runner_protocol.h"
#include "h3dpart/runner_wire.h"
#include "h3dpart/torch_executor.h"

namespace {

using nlohmann::json;
using namespace h3d;
namespace rp = h3d::runner_protocol;

// H3DPART_RUNNER_FAULT=KIND:STAGE (tests): the fault for a run of `stage`.
std::string faultFor(const std::string& stage) {
  const char* f = std::getenv("H3DPART_RUNNER_FAULT");
  if (!f) return {};
  const std::string spec = f;
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return {};
  const std::string where = spec.substr(colon + 1);
  if (where != "*" && where != stage) return {};
  return spec.substr(0, colon);
}

void injectFault(const std::string& kind, const std::string& stage) {
  if (kind == "abort") std::abort();
  if (kind == "segv") std::raise(SIGSEGV);
  if (kind == "exit") std::_Exit(3);
  if (kind == "hang")
    while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
  if (kind == "raise")
    throw ModelError("injected fault: the network raised in stage '" + stage + "'");
  if (kind == "oom")
    throw OutOfMemoryError("injected fault: out of memory in stage '" + stage + "'");
}

// How long the runner waits after a run before it trims its heap.
constexpr int kIdleTrimMs = 2000;

// glibc's defaults give every block above 128 KiB (at first) its own mmap,
// returned at free: a network call that makes and drops thousands of such
// tensors pays zero-filled page faults for each of them (half of the default
// segmenter's time). Large blocks come from the heap instead and freed memory
// stays for the next tensor; the heap is trimmed when the runner is idle and
// a moment after the client empties the cache (an unload): not at once, as the
// next file of a batch would pay the page faults again.
void tuneAllocator() {
  setHostTrimOnEmptyCache(false);
  ::mallopt(M_MMAP_THRESHOLD, 256 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
  ::mallopt(M_TOP_PAD, 16 << 20);
}

// LibTorch's warnings (an operator "in beta", a deprecated call) speak to the
// model's author, not to the user: the runner's stderr is the user's terminal.
// They are shown with H3DPART_TORCH_WARNINGS=1.
class QuietTorchWarnings : public c10::WarningHandler {
 public:
  void process(const c10::SourceLocation&, const std::string& msg, const bool) override {
    static const bool shown = [] {
      const char* v = std::getenv("H3DPART_TORCH_WARNINGS");
      return v && std::strcmp(v, "1") == 0;
    }();
    if (shown) std::fprintf(stderr, "h3dpart-runner: torch warning: %s\n", msg.c_str());
  }
};

class Server {
 public:
  Server(int socket, std::shared_ptr<TorchExecutor> exec)
      : socket_(socket), exec_(std::move(exec)) {}

  void serve() {
    bool trimPending = false;
    while (true) {
      if (trimPending) {
        // Idle after a run: the heap it grew goes back to the system (a
        // request within the delay keeps it for reuse: a batch's next file).
        pollfd p{socket_, POLLIN, 0};
        const int r = ::poll(&p, 1, kIdleTrimMs);
        if (r == 0) {
          ::malloc_trim(0);
          trimPending = false;
        }
      }
      wire::Frame frame;
      if (!wire::receive(socket_, frame)) return;  // the client closed: exit
      const std::string op = frame.body.value("op", std::string());
      if (op == "run" || op == "empty_cache") trimPending = true;
      if (op == "cancel") continue;  // nothing runs between requests
      const auto id = frame.body.value("id", std::uint64_t(0));
      json reply = {{"id", id}, {"ok", true}};
      std::vector<int> fds;
      std::vector<Tensor> keep;
      try {
        handle(op, frame, reply, fds, keep);
      } catch (const OutOfMemoryError& e) {
        reply = fail(id, "oom", e.what());
        fds.clear();
      } catch (const CancelledError&) {
        reply = fail(id, "cancelled", "cancelled");
        fds.clear();
      } catch (const UsageError& e) {
        reply = fail(id, "usage", e.what());
        fds.clear();
      } catch (const Error& e) {
        reply = fail(id, "model", e.what());
        fds.clear();
      } catch (const json::exception& e) {
        reply = fail(id, "usage", std::string("bad request: ") + e.what());
        fds.clear();
      } catch (const std::exception& e) {
        reply = fail(id, "model", e.what());
        fds.clear();
      }
      reply["mem"] = memory();
      wire::send(socket_, reply, fds);
    }
  }

 private:
  static json fail(std::uint64_t id, const std::string& kind, const std::string& error) {
    return {{"id", id}, {"ok", false}, {"kind", kind}, {"error", error}};
  }

  json memory() {
    json m = wire::toJson(exec_->memory());
    m["free_for_planning"] = exec_->freeForPlanning();
    m["rss"] = processRssBytes();
    return m;
  }

  void handle(const std::string& op, wire::Frame& frame, json& reply, std::vector<int>& fds,
              std::vector<Tensor>& keep) {
    const json& b = frame.body;
    if (op == "load") {
      const auto c = exec_->load(b.at("folder").get<std::string>(),
                                 b.at("component").get<std::string>(), nullptr);
      reply["comp"] = c.id;
      reply["bytes"] = c.hostBytes;
    } else if (op == "to_device") {
      reply["bytes"] = exec_->toDevice(b.at("comp").get<std::uint64_t>(), b.value("cpu", false),
                                       b.value("half", false));
    } else if (op == "to_host") {
      exec_->toHost(b.at("comp").get<std::uint64_t>());
    } else if (op == "drop") {
      exec_->drop(b.at("comp").get<std::uint64_t>());
    } else if (op == "run") {
      RunRequest r;
      r.component = b.at("comp").get<std::uint64_t>();
      r.stage = b.value("stage", std::string());
      r.runBytes = b.value("run_bytes", std::uint64_t(0));
      for (const auto& d : b.value("inputs", json::array()))
        r.inputs.push_back(wire::tensorOf(d, frame));
      const std::string fault = faultFor(r.stage);
      if (!fault.empty()) injectFault(fault, r.stage);
      json outs = json::array();
      for (const auto& t : exec_->run(r)) outs.push_back(wire::describe(t, fds, keep));
      reply["outputs"] = std::move(outs);
    } else if (op == "empty_cache") {
      exec_->emptyCache();
    } else if (op == "memory") {
      // MEM is added to every reply.
    } else {
      throw UsageError("unknown op \"" + op + "\"");
    }
  }

  int socket_;
  std::shared_ptr<TorchExecutor> exec_;
};

int usage() {
  std::fprintf(
      stderr,
      "usage: h3dpart-runner --fd N [--device DEVICE] [--parent PID] [--threads N]\n"
      "The model runner of h3dpart; started by h3dpart and h3dpart-studio, not by hand.\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int fd = -1;
  std::string device = "cpu";
  long parent = 0;
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--fd" && i + 1 < argc) {
      fd = std::atoi(argv[++i]);
    } else if (a == "--device" && i + 1 < argc) {
      device = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--parent" && i + 1 < argc) {
      parent = std::atol(argv[++i]);
    } else if (a == "--version") {
      std::printf("h3dpart-runner %s (protocol %d)\n", H3DPART_VERSION, rp::kProtocolVersion);
      return 0;
    } else {
      return usage();
    }
  }
  if (fd < 0) return usage();
  tuneAllocator();
  static QuietTorchWarnings quiet;
  c10::Warning::set_warning_handler(&quiet);
  // Dies with its parent process: a watch on the parent pid (and end of file
  // on the socket). Not PR_SET_PDEATHSIG: it fires when the *thread* that
  // forked the runner ends, which a batch worker or the engine thread may do
  // while other threads still use the runner.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  if (parent > 0) {
    if (::getppid() != parent) return 1;
    std::thread([parent] {
      while (::getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::_Exit(1);
    }).detach();
  }
  if (threads > 0) at::set_num_threads(threads);
  json hello = {{"op", "hello"}, {"v", rp::kProtocolVersion}, {"pid", ::getpid()}};
  std::shared_ptr<TorchExecutor> exec;
  try {
    exec = makeTorchExecutor(device);
    hello["ok"] = true;
    hello["device"] = exec->deviceName();
    hello["cpu"] = exec->deviceIsCpu();
    hello["shares_host"] = exec->deviceSharesHost();
    hello["half"] = exec->supportsHalf();
  } catch (const std::exception& e) {
    hello["ok"] = false;
    hello["error"] = e.what();
  }
  try {
    wire::send(fd, hello);
    if (!exec) return 1;
    Server(fd, exec).serve();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "h3dpart-runner: %s\n", e.what());
    std::_Exit(1);
  }
  // The client closed: everything goes with the process, at once (no torch
  // teardown to wait for).
  std::_Exit(0);
}
