// The runner client: spawns h3dpart-runner, speaks the protocol, notices its
// end, and kills it when a cancel or a hang leaves no other way.
#include "h3dpart/runner_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "h3dpart/compute.h"
#include "h3dpart/device_name.h"
#include "h3dpart/errors.h"
#include "h3dpart/memory_probe.h"
#include "h3dpart/runner_protocol.h"
#include "h3dpart/runner_wire.h"

namespace h3d {

namespace fs = std::filesystem;
using nlohmann::json;
namespace rp = runner_protocol;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::uint64_t rssOf(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * std::uint64_t(::sysconf(_SC_PAGESIZE));
}

double requestTimeoutSeconds() {
  if (const char* t = std::getenv("H3DPART_RUNNER_TIMEOUT")) {
    char* end = nullptr;
    const double v = std::strtod(t, &end);
    if (end != t && v > 0) return v;
  }
  return 900.0;
}

// This process's environment for the runner, with glibc's malloc told to
// ask for transparent huge pages for its heap (THP in madvise mode): a
// network call's tensors then fault in 2 MiB at a time, not 4 KiB (page
// faults cost about 15 us each on the 2-core test machine, a fifth of the
// segmenter's call). A GLIBC_TUNABLES that sets hugetlb already is kept.
std::vector<std::string> runnerEnvironment() {
  std::vector<std::string> env;
  std::string tunables;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "GLIBC_TUNABLES=", 15) == 0)
      tunables = *e + 15;
    else
      env.emplace_back(*e);
  }
  if (tunables.find("glibc.malloc.hugetlb") == std::string::npos)
    tunables += (tunables.empty() ? "" : ":") + std::string("glibc.malloc.hugetlb=1");
  env.push_back("GLIBC_TUNABLES=" + tunables);
  return env;
}

std::string exitText(int status) {
  if (WIFSIGNALED(status)) return "by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status)) return "with status " + std::to_string(WEXITSTATUS(status));
  return "";
}

}  // namespace

struct RunnerClient::Impl {
  std::string device;
  std::string configuredPath;
  // ---- under requestMutex: one request at a time ----
  std::mutex requestMutex;
  int socket = -1;
  std::uint64_t nextId = 1;
  // ---- under stateMutex: what the snapshot and the getters read ----
  mutable std::mutex stateMutex;
  RunnerStatus status;
  std::uint32_t generation = 0;
  std::string deviceName;
  bool cpu = true;
  bool sharesHost = true;
  bool half = false;
  std::uint64_t simCapacity = 0;
  DeviceMemory mem;
  std::uint64_t freeForPlanning = 0;
  bool memValid = false;

  bool alive() const { return socket >= 0; }
  // Started and its hello read (false between launch() and greet()).
  bool greeted = false;
  bool ready() const { return alive() && greeted; }
  Clock::time_point launchedAt{};

  void setState(RunnerState s) {
    std::lock_guard<std::mutex> lock(stateMutex);
    status.state = s;
  }

  void takeMemory(const json& reply) {
    if (!reply.contains("mem")) return;
    const json& m = reply["mem"];
    std::lock_guard<std::mutex> lock(stateMutex);
    mem = wire::memoryOf(m);
    freeForPlanning = m.value("free_for_planning", std::uint64_t(0));
    memValid = true;
  }

  // Reaps the runner (waiting up to `graceMs`, then SIGKILL) and forgets it.
  // Returns the wait status.
  int reap(int pid, int graceMs) {
    int st = 0;
    const auto t0 = Clock::now();
    while (true) {
      const pid_t r = ::waitpid(pid, &st, WNOHANG);
      if (r == pid || (r < 0 && errno != EINTR)) return st;
      if (msSince(t0) >= graceMs) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        return st;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  // The runner is gone or must go: close, reap, record why. Returns the text
  // of how it ended ("by signal 11").
  std::string end(bool kill, bool crashed, const std::string& why) {
    int pid;
    {
      std::lock_guard<std::mutex> lock(stateMutex);
      pid = status.pid;
    }
    if (kill && pid > 0) ::kill(pid, SIGKILL);
    if (socket >= 0) ::close(socket);
    socket = -1;
    greeted = false;
    std::string how;
    if (kill && pid > 0) {
      // SIGKILL cannot be caught: the runner is gone once the kernel has torn
      // down its memory, which takes tens of milliseconds for a few hundred
      // MiB. A cancel does not wait for that: a detached thread reaps it.
      std::thread([pid] {
        int st = 0;
        while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
      }).detach();
      how = "by signal " + std::to_string(SIGKILL);
    } else {
      how = exitText(pid > 0 ? reap(pid, 1000) : 0);
    }
    std::lock_guard<std::mutex> lock(stateMutex);
    status.state = crashed ? RunnerState::Crashed : RunnerState::Exited;
    status.pid = 0;
    status.rss = 0;
    status.deviceBytes = 0;
    ++status.exits;
    status.lastExit = why.empty() ? "ended " + how : why;
    memValid = false;
    return how;
  }

  // Starts the runner process and returns at once: it loads LibTorch while
  // the caller goes on; greet() waits for its hello.
  void launch() {
    const fs::path path = findRunner(configuredPath);
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      throw RunnerError(std::string("runner: socketpair: ") + std::strerror(errno));
    const std::string exe = path.string();
    const std::string parent = std::to_string(::getpid());
    const std::string threads = std::to_string(computeThreadsSet() ? computeThreads() : 0);
    const char* argv[] = {exe.c_str(), "--fd",         "3",         "--device",      device.c_str(),
                          "--parent",  parent.c_str(), "--threads", threads.c_str(), nullptr};
    const std::vector<std::string> env = runnerEnvironment();
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    {
      std::lock_guard<std::mutex> lock(stateMutex);
      status.state = RunnerState::Starting;
      status.path = exe;
    }
    launchedAt = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(sv[0]);
      ::close(sv[1]);
      setState(RunnerState::Crashed);
      throw RunnerError(std::string("runner: fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
      // The child: only async-signal-safe calls until exec.
      if (::getppid() != std::atoi(parent.c_str())) ::_exit(126);
      if (sv[1] == 3) {
        ::fcntl(3, F_SETFD, 0);
      } else {
        ::dup2(sv[1], 3);
      }
      ::close_range(4, ~0u, 0);
      signal(SIGINT, SIG_IGN);
      ::execve(argv[0], const_cast<char* const*>(argv), envp.data());
      ::_exit(127);
    }
    ::close(sv[1]);
    socket = sv[0];
    {
      std::lock_guard<std::mutex> lock(stateMutex);
      status.pid = pid;
      ++generation;
      ++status.starts;
    }
    greeted = false;
  }

  // Waits for the launched runner's hello (a cancel kills it).
  void greet(const std::atomic<bool>* cancel) {
    const auto t0 = launchedAt;
    std::string exe;
    {
      std::lock_guard<std::mutex> lock(stateMutex);
      exe = status.path;
    }
    // The hello.
    wire::Frame hello;
    bool got = false;
    std::string failure;
    try {
      pollfd p{socket, POLLIN, 0};
      // Loading LibTorch on a busy machine can take seconds: a hang guard.
      const double guardMs = std::max(120.0, requestTimeoutSeconds()) * 1000.0;
      int r;
      do {
        r = ::poll(&p, 1, 10);
        if (r == 0 && cancel && cancel->load()) {
          end(true, false, "killed: cancelled while starting");
          throw CancelledError();
        }
      } while ((r == 0 && msSince(t0) < guardMs) || (r < 0 && errno == EINTR));
      if (r == 0)
        failure = "did not say hello within the timeout";
      else
        got = wire::receive(socket, hello);
    } catch (const CancelledError&) {
      throw;
    } catch (const Error& e) {
      failure = e.what();
    }
    if (!got) {
      const std::string how = end(true, true, "");
      throw RunnerError("runner " + exe + " could not start (" +
                        (failure.empty() ? "ended " + how : failure) + ")");
    }
    if (hello.body.value("v", -1) != rp::kProtocolVersion) {
      end(true, true, "wrong protocol version");
      throw RunnerError("runner " + exe + ": protocol version " +
                        std::to_string(hello.body.value("v", -1)) + ", this program speaks " +
                        std::to_string(rp::kProtocolVersion));
    }
    if (!hello.body.value("ok", false)) {
      const std::string error = hello.body.value("error", std::string("refused to start"));
      end(false, false, "refused: " + error);
      throw ModelError(error);
    }
    std::lock_guard<std::mutex> lock(stateMutex);
    deviceName = hello.body.value("device", deviceName);
    cpu = hello.body.value("cpu", cpu);
    sharesHost = hello.body.value("shares_host", sharesHost);
    half = hello.body.value("half", half);
    status.state = RunnerState::Ready;
    status.spawnToReadyMs = msSince(t0);
    greeted = true;
  }

  // Launches a runner unless one was started ahead (prestart), then waits
  // for its hello.
  void spawn(const std::atomic<bool>* cancel) {
    if (!alive()) launch();
    greet(cancel);
  }

  // Sends one request and waits for its reply; the runner is started first
  // when none runs. `notify` reports a runner that ended.
  json request(json body, const std::vector<Tensor>& tensors, wire::Frame& reply,
               const std::string& stage, const std::atomic<bool>* cancel,
               const std::function<void(const std::string&, const std::string&, bool)>& notify) {
    if (!ready()) {
      spawn(cancel);
      int pid;
      {
        std::lock_guard<std::mutex> lock(stateMutex);
        pid = status.pid;
      }
      notify("runner-start", "pid " + std::to_string(pid), false);
    }
    const std::uint64_t id = nextId++;
    body["id"] = id;
    std::vector<int> fds;
    std::vector<Tensor> keep;
    if (!tensors.empty()) {
      json list = json::array();
      for (const auto& t : tensors) list.push_back(wire::describe(t, fds, keep));
      body["inputs"] = std::move(list);
    }
    setState(RunnerState::Busy);
    auto died = [&](const std::string& what, bool kill) -> RunnerError {
      const std::string how = end(kill, true, "");
      const std::string line =
          what.empty() ? "runner ended " + how + " in stage '" + stage + "'" : what;
      {
        std::lock_guard<std::mutex> lock(stateMutex);
        status.lastExit = line;
      }
      notify("runner-exit", line, true);
      return RunnerError(line);
    };
    try {
      wire::send(socket, body, fds);
    } catch (const RunnerError&) {
      throw died("", false);
    }
    const double timeout = requestTimeoutSeconds();
    const auto t0 = Clock::now();
    Clock::time_point cancelledAt{};
    bool cancelSent = false;
    while (true) {
      pollfd p{socket, POLLIN, 0};
      const int r = ::poll(&p, 1, 10);
      if (r < 0 && errno != EINTR) throw died("", true);
      if (r > 0) {
        bool got;
        try {
          got = wire::receive(socket, reply);
        } catch (const RunnerError&) {
          got = false;
        }
        if (!got) throw died("", false);
        if (reply.body.value("id", std::uint64_t(0)) != id) continue;  // a stale answer
        break;
      }
      if (cancel && cancel->load()) {
        if (!cancelSent) {
          cancelSent = true;
          cancelledAt = Clock::now();
          try {
            wire::send(socket, json{{"op", "cancel"}, {"target", id}, {"id", nextId++}});
          } catch (const RunnerError&) {
          }
        } else if (msSince(cancelledAt) >= rp::kCancelGraceMs) {
          end(true, false, "killed: cancelled in stage '" + stage + "'");
          notify("runner-exit", "killed: cancelled in stage '" + stage + "'", true);
          throw CancelledError();
        }
      }
      if (msSince(t0) >= timeout * 1000.0)
        throw died("runner did not answer within " + std::to_string(int(timeout)) +
                       " s in stage '" + stage + "'; it was ended",
                   true);
    }
    setState(RunnerState::Ready);
    takeMemory(reply.body);
    if (!reply.body.value("ok", false)) {
      const std::string kind = reply.body.value("kind", std::string("model"));
      const std::string error = reply.body.value("error", std::string("failed"));
      if (kind == "oom") throw OutOfMemoryError(error);
      if (kind == "cancelled") throw CancelledError();
      if (kind == "usage") throw RunnerError("runner protocol: " + error);
      throw ModelError(error);
    }
    if (cancel && cancel->load()) throw CancelledError();
    return reply.body;
  }
};

RunnerClient::RunnerClient(std::string device, std::string runnerPath)
    : impl_(std::make_unique<Impl>()) {
  impl_->device = device;
  impl_->configuredPath = std::move(runnerPath);
  // What the device will be, without starting anything (the runner's hello
  // has the last word).
  const DeviceName name = parseDeviceName(device);
  switch (name.kind) {
    case DeviceName::Kind::Cpu:
      impl_->deviceName = "cpu";
      break;
    case DeviceName::Kind::Simulated:
      impl_->simCapacity = name.simulatedBytes;
      impl_->deviceName = "sim";
      impl_->cpu = false;
      break;
    case DeviceName::Kind::Auto: {
      const bool gpu = CudaProbe::instance().available();
      impl_->deviceName = gpu ? "cuda:0" : "cpu";
      impl_->cpu = !gpu;
      break;
    }
    case DeviceName::Kind::Cuda:
      impl_->deviceName = "cuda:" + std::to_string(name.cudaIndex);
      impl_->cpu = false;
      impl_->sharesHost = false;
      impl_->half = true;
      break;
  }
  if (impl_->deviceName.rfind("cuda", 0) == 0) impl_->sharesHost = false;
}

RunnerClient::~RunnerClient() {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  // One still starting (prestart, never used) is killed: nothing of it is needed.
  if (impl_->alive()) impl_->end(!impl_->greeted, false, "ended with its client");
}

fs::path RunnerClient::findRunner(const std::string& configured) {
  auto usable = [](const fs::path& p) {
    return !p.empty() && ::access(p.c_str(), X_OK) == 0 && !fs::is_directory(p);
  };
  if (!configured.empty()) {
    if (usable(configured)) return configured;
    throw ModelError("runner " + configured + ": not found or not executable");
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path beside = ec ? fs::path() : self.parent_path() / "h3dpart-runner";
  if (usable(beside)) return beside;
  const char* env = std::getenv("H3DPART_RUNNER");
  if (env && *env) {
    if (usable(env)) return env;
    throw ModelError("runner: neither " + beside.string() + " nor $H3DPART_RUNNER (" + env +
                     ") is an executable h3dpart-runner");
  }
  throw ModelError("runner: " + beside.string() +
                   " not found or not executable, and $H3DPART_RUNNER is not set");
}

std::string RunnerClient::deviceName() const {
  std::lock_guard<std::mutex> lock(impl_->stateMutex);
  return impl_->deviceName;
}
bool RunnerClient::deviceIsCpu() const {
  std::lock_guard<std::mutex> lock(impl_->stateMutex);
  return impl_->cpu;
}
bool RunnerClient::deviceSharesHost() const {
  std::lock_guard<std::mutex> lock(impl_->stateMutex);
  return impl_->sharesHost;
}
bool RunnerClient::supportsHalf() const {
  std::lock_guard<std::mutex> lock(impl_->stateMutex);
  return impl_->half;
}

namespace {
constexpr std::uint64_t kLocalMask = 0xffffffffull;
}

LoadedComponent RunnerClient::load(const fs::path& folder, const std::string& component,
                                   const std::atomic<bool>* cancel) {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  wire::Frame reply;
  const json r = impl_->request(
      {{"op", "load"}, {"folder", folder.string()}, {"component", component}}, {}, reply,
      "load " + component, cancel,
      [this](const std::string& e, const std::string& d, bool l) { notify(e, d, l); });
  LoadedComponent c;
  std::lock_guard<std::mutex> state(impl_->stateMutex);
  c.id =
      (std::uint64_t(impl_->generation) << 32) | (r.value("comp", std::uint64_t(0)) & kLocalMask);
  c.hostBytes = r.value("bytes", std::uint64_t(0));
  return c;
}

namespace {

// The runner's own number for a component, or 0 when the runner that held it ended.
std::uint64_t localId(std::uint64_t id, std::uint32_t generation, bool alive) {
  if (!alive || id == 0 || (id >> 32) != generation) return 0;
  return id & kLocalMask;
}

}  // namespace

std::uint64_t RunnerClient::toDevice(std::uint64_t id, bool cpuFallback, bool half) {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  const auto local = localId(id, impl_->generation, impl_->alive());
  if (!local) throw RunnerError("the runner that held this component ended");
  wire::Frame reply;
  const json r = impl_->request(
      {{"op", "to_device"}, {"comp", local}, {"cpu", cpuFallback}, {"half", half}}, {}, reply,
      "to device", nullptr,
      [this](const std::string& e, const std::string& d, bool l) { notify(e, d, l); });
  return r.value("bytes", std::uint64_t(0));
}

void RunnerClient::toHost(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  const auto local = localId(id, impl_->generation, impl_->alive());
  if (!local) return;
  wire::Frame reply;
  impl_->request({{"op", "to_host"}, {"comp", local}}, {}, reply, "to host", nullptr,
                 [this](const std::string& e, const std::string& d, bool l) { notify(e, d, l); });
}

void RunnerClient::drop(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  const auto local = localId(id, impl_->generation, impl_->alive());
  if (!local) return;
  wire::Frame reply;
  impl_->request({{"op", "drop"}, {"comp", local}}, {}, reply, "drop", nullptr,
                 [this](const std::string& e, const std::string& d, bool l) { notify(e, d, l); });
}

std::vector<Tensor> RunnerClient::run(const RunRequest& request) {
  if (request.cancel && request.cancel->load()) throw CancelledError();
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  const auto local = localId(request.component, impl_->generation, impl_->alive());
  if (!local) throw RunnerError("the runner that held this component ended");
  wire::Frame reply;
  const json r = impl_->request(
      {{"op", "run"}, {"comp", local}, {"stage", request.stage}, {"run_bytes", request.runBytes}},
      request.inputs, reply, request.stage, request.cancel,
      [this](const std::string& e, const std::string& d, bool l) { notify(e, d, l); });
  std::vector<Tensor> outputs;
  for (const auto& d : r.value("outputs", json::array()))
    outputs.push_back(wire::tensorOf(d, reply));
  return outputs;
}

void RunnerClient::emptyCache() {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  if (!impl_->ready()) return;  // nothing loaded yet: nothing cached
  wire::Frame reply;
  impl_->request({{"op", "empty_cache"}}, {}, reply, "empty cache", nullptr,
                 [this](const std::string& e, const std::string& d, bool l) { notify(e, d, l); });
}

DeviceMemory RunnerClient::memory() const {
  {
    std::lock_guard<std::mutex> lock(impl_->stateMutex);
    if (impl_->memValid) return impl_->mem;
  }
  // No runner: the baseline, read here without creating a context.
  std::string name;
  std::uint64_t sim;
  {
    std::lock_guard<std::mutex> lock(impl_->stateMutex);
    name = impl_->deviceName;
    sim = impl_->simCapacity;
  }
  if (name == "sim") {
    DeviceMemory d;
    d.available = true;
    d.name = "simulated";
    d.note = "simulated device";
    d.total = d.free = sim;
    return d;
  }
  if (name.rfind("cuda:", 0) == 0) return CudaProbe::instance().read(std::stoi(name.substr(5)));
  DeviceMemory d = cpuDeviceMemory(
      CudaProbe::instance().available() ? "models run on the CPU" : CudaProbe::instance().note());
  d.processUsed = 0;  // no runner, no model memory
  return d;
}

std::uint64_t RunnerClient::freeForPlanning() {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  if (impl_->ready()) {  // one still starting holds nothing yet
    wire::Frame reply;
    impl_->request({{"op", "memory"}}, {}, reply, "memory", nullptr,
                   [this](const std::string& e, const std::string& d, bool l) { notify(e, d, l); });
    std::lock_guard<std::mutex> state(impl_->stateMutex);
    return impl_->freeForPlanning;
  }
  const DeviceMemory d = memory();
  return d.available ? d.free : hostMemory().available;
}

void RunnerClient::idle() {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  if (!impl_->alive()) return;
  const std::string why = "ended: nothing loaded (sequential)";
  impl_->end(!impl_->greeted, false, why);
  notify("runner-exit", why, true);
}

void RunnerClient::shutdown() {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  if (!impl_->alive()) return;
  const std::string why = "ended: idle past its keep-alive";
  impl_->end(!impl_->greeted, false, why);
  notify("runner-exit", why, true);
}

RunnerStatus RunnerClient::runnerStatus() const {
  std::lock_guard<std::mutex> lock(impl_->stateMutex);
  RunnerStatus s = impl_->status;
  if (s.pid > 0) {
    s.rss = rssOf(s.pid);
    s.deviceBytes = impl_->mem.available ? impl_->mem.processUsed : impl_->mem.allocatorAllocated;
  }
  return s;
}

void RunnerClient::start() {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  if (impl_->ready()) return;
  impl_->spawn(nullptr);
  notify("runner-start", "pid " + std::to_string(impl_->status.pid), false);
}

void RunnerClient::prestart() {
  std::lock_guard<std::mutex> lock(impl_->requestMutex);
  if (impl_->alive()) return;
  try {
    impl_->launch();
  } catch (const Error&) {
    // Not found, no fork: the first request tries again and says why.
  }
}

int RunnerClient::pid() const {
  std::lock_guard<std::mutex> lock(impl_->stateMutex);
  return impl_->status.pid;
}

}  // namespace h3d
