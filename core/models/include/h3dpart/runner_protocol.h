#pragma once
// The protocol between a front end (RunnerClient) and h3dpart-runner, the
// process that runs the networks. It is language-neutral on purpose: any
// program that speaks it (a Python runner serving other networks, say) can
// stand in for h3dpart-runner.
//
// Transport
//   A Unix stream socketpair made by the client; the runner gets its end as
//   a file descriptor number (`h3dpart-runner --fd N --device DEVICE`).
//   Messages are frames: a 4-byte little-endian length, then that many bytes
//   of CBOR (RFC 8949) holding one map. Tensor bytes never go through the
//   socket: each tensor is a memfd (shared memory) whose descriptor rides
//   along with its frame as SCM_RIGHTS ancillary data, sent with the frame's
//   first byte; a frame carries at most 250 descriptors. The receiver owns
//   the descriptors it gets (maps them, closes them).
//
// Lifetime
//   The runner's first frame is a hello (below). It then answers requests
//   one at a time, in order. It ends when its socket reaches end of file and
//   when its parent process dies (it checks its parent pid every 50 ms; not
//   PR_SET_PDEATHSIG, which follows the forking thread). The client ends a runner by closing the
//   socket (SIGKILL when it does not exit within a second), and kills it outright when a cancelled
//   request is not answered within kCancelGraceMs. A runner ignores SIGINT:
//   Ctrl-C is for the front end to act on.
//
// Tensors, in any frame: {"dtype": "float32", "shape": [N, 3], "fd": I,
//   "offset": 0, "bytes": B}: I indexes the frame's descriptors, the bytes
//   are C-contiguous at `offset` in that memfd. dtypes are the manifest's
//   names: float32 float16 bfloat16 float64 int64 int32 int16 int8 uint8 bool.
//
// Hello (runner to client, unasked):
//   {"op": "hello", "v": 1, "ok": true, "pid": P, "device": "cpu"|"cuda:0"|"sim",
//    "cpu": bool, "shares_host": bool, "half": bool}
//   or {"op": "hello", "v": 1, "ok": false, "error": "one line"} before exiting.
//   A client refuses a runner whose "v" is not kProtocolVersion.
//
// Requests (client to runner): {"id": U, "op": OP, ...}; every reply is
//   {"id": U, "ok": true, ..., "mem": MEM} or
//   {"id": U, "ok": false, "kind": KIND, "error": "one line", "mem": MEM}
//   with KIND "oom" (out of memory: the manager may evict and retry), "model"
//   (the package or the network failed), "usage" (a bad request) or
//   "cancelled". MEM is the device reading after the request:
//   {"available", "name", "note", "total", "used", "free", "process_used",
//    "allocator_allocated", "allocator_reserved", "context_bytes",
//    "free_for_planning", "rss"} (bytes; rss is the runner's resident set).
//   OPs:
//   "load"        {"folder": path, "component": name} -> {"comp": C, "bytes": host bytes}
//                 Reads the package's manifest.json, loads the component's
//                 TorchScript file onto the host and checks it by a dry run.
//   "to_device"   {"comp": C, "cpu": bool (CPU fallback), "half": bool} -> {"bytes": device bytes}
//   "to_host"     {"comp": C} -> {}
//   "drop"        {"comp": C} -> {}
//   "run"         {"comp": C, "stage": name, "run_bytes": B, "inputs": [TENSOR...]}
//                 -> {"outputs": [TENSOR...]} (on the host; floating point as float32)
//   "empty_cache" {} -> {}
//   "memory"      {} -> {} (MEM only)
//   "cancel"      {"target": U}: no reply. Asks the runner to stop request U;
//                 a runner that cannot stop it (a TorchScript call cannot be
//                 interrupted) finishes it, and the client kills it after
//                 kCancelGraceMs.
//
// Test hook: H3DPART_RUNNER_FAULT=KIND:STAGE in the runner's environment
//   makes the "run" request of that stage (or of any stage for "*") fail:
//   KIND abort (SIGABRT), segv (SIGSEGV), hang (sleeps for ever), raise (the
//   network raises), oom (out of memory, every time), exit (exits with 3).
#include <cstdint>

namespace h3d::runner_protocol {

constexpr int kProtocolVersion = 1;
constexpr int kMaxDescriptors = 250;
constexpr std::uint32_t kMaxFrameBytes = 64u << 20;
constexpr int kCancelGraceMs = 150;

}  // namespace h3d::runner_protocol
