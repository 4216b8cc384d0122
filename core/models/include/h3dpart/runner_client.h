#pragma once
// The model executor of the front ends: the networks run in an
// h3dpart-runner child process, spoken to over runner_protocol.h. Started on
// first use; ended by idle() (the Sequential policy when nothing is loaded),
// shutdown() (keep-alive), and a cancel it does not honour within 150 ms.
// A runner that crashes, aborts, hangs past the timeout or is killed fails the
// request in hand with RunnerError ("runner ended by signal 11 in stage
// 'segment'"); every loaded component is then lost (the manager is told) and
// the next request starts a fresh runner.
//
// The executable: the configured path, else h3dpart-runner beside the running
// program (/proc/self/exe), else $H3DPART_RUNNER. Missing or not executable:
// ModelError at first use naming where it looked. $H3DPART_RUNNER_TIMEOUT
// (seconds, default 900) bounds one request (a hang guard).
//
// The runner is started by the thread that first needs it and serves every
// thread of the process; it ends with the process (it watches its parent pid),
// not with that thread.
#include <filesystem>
#include <memory>
#include <string>

#include "h3dpart/model_executor.h"

namespace h3d {

class RunnerClient : public ModelExecutor {
 public:
  // device: "cpu", "cuda", "cuda:N", "auto", "sim:<bytes>" (UsageError
  // otherwise). runnerPath: empty for the search above.
  explicit RunnerClient(std::string device, std::string runnerPath = {});
  ~RunnerClient() override;
  RunnerClient(const RunnerClient&) = delete;
  RunnerClient& operator=(const RunnerClient&) = delete;

  // Where the runner would be found, or the places looked at (ModelError).
  static std::filesystem::path findRunner(const std::string& configured);

  std::string deviceName() const override;
  bool deviceIsCpu() const override;
  bool deviceSharesHost() const override;
  bool supportsHalf() const override;
  LoadedComponent load(const std::filesystem::path& folder, const std::string& component,
                       const std::atomic<bool>* cancel) override;
  std::uint64_t toDevice(std::uint64_t id, bool cpuFallback, bool half) override;
  void toHost(std::uint64_t id) override;
  void drop(std::uint64_t id) override;
  std::vector<Tensor> run(const RunRequest& request) override;
  void emptyCache() override;
  DeviceMemory memory() const override;
  std::uint64_t freeForPlanning() override;
  void idle() override;
  void shutdown() override;
  RunnerStatus runnerStatus() const override;

  // Starts the runner now (it starts on first use otherwise).
  void start();
  // Starts the runner process without waiting for it: it loads LibTorch
  // while the caller goes on (imports, samples); the first request waits for
  // its hello. Nothing on the device: the runner touches no GPU before a
  // model goes there. A runner never used is killed by idle(), shutdown()
  // and the destructor. Errors (no runner found) wait for the first request.
  void prestart() override;
  // The runner's pid, 0 when none runs.
  int pid() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace h3d
