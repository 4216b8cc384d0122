#!/usr/bin/python3
"""Whole-process start-up and runner figures, measured in turns in one run.

  bench/startup/startup_bench.py --bin BUILD_BIN_DIR --mesh FILE [--runs N] [--json OUT]

  BUILD_BIN_DIR holds h3dpart and h3dpart-studio (e.g. build/release/app).
  Needs a display for the studio and f3d (run under Xvfb).

Prints, each as min / median / max over N runs taken in turns (A B A B ...):
  - studio: `h3dpart-studio --quit-after-first-frame FILE`, wall seconds from
    exec to exit and peak RSS; f3d: `f3d --output x.png FILE` on the same
    file; the ratio studio / f3d pair by pair;
  - `h3dpart --version`: wall seconds and peak RSS;
  - `h3dpart segment FILE -o parts.glb`: wall seconds, the peak RSS of the
    front end (its `--json` report's peak_rss_bytes) and of the largest
    process (the runner), and whether any h3dpart-runner process is left
    afterwards (the sequential policy must end it);
  - the shared libraries each front end maps (ldd), and whether LibTorch is
    among them.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(argv, env=None):
    """Wall seconds and the peak RSS (MiB) of the process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {err.strip()[-400:]}")
    # wait4's ru_maxrss is the largest of the process and the children it
    # reaped (a runner included); the front end's own peak comes from --json.
    return wall, usage.ru_maxrss / 1024.0


def runner_processes():
    """Pids of every h3dpart-runner process now."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip().startswith("h3dpart-runner"):
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def stats(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def fmt(s, unit="s", digits=3):
    return f"{s['min']:.{digits}f} / {s['median']:.{digits}f} / {s['max']:.{digits}f} {unit}"


def libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    libs = [line.split()[0] for line in out.splitlines() if line.strip()]
    torch = [l for l in libs if "libtorch" in l or "libc10" in l]
    return len(libs), torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", required=True, help="folder with h3dpart and h3dpart-studio")
    ap.add_argument("--mesh", required=True, help="mesh to open (e.g. PSB 101.off)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args()
    cli = os.path.join(args.bin, "h3dpart")
    studio = os.path.join(args.bin, "h3dpart-studio")
    f3d = shutil.which("f3d")
    for path in (cli, studio, args.mesh):
        if not os.path.exists(path):
            sys.exit(f"startup_bench: {path}: not found")
    tmp = tempfile.mkdtemp(prefix="h3dpart-startup-")
    env = dict(os.environ)
    env.setdefault("XDG_RUNTIME_DIR", tmp)
    env["HOME"] = tmp  # a fresh settings file: no remembered layout or policy

    commands = {
        "studio": [studio, "--quit-after-first-frame", args.mesh],
        "f3d": [f3d, "--output", os.path.join(tmp, "f3d.png"), args.mesh] if f3d else None,
        "version": [cli, "--version"],
        "segment": [cli, "segment", args.mesh, "-o", os.path.join(tmp, "parts.glb"),
                    "--json", os.path.join(tmp, "segment.json")],
    }
    order = [k for k, v in commands.items() if v]
    for key in order:  # one warm-up each (page cache, font cache)
        run_once(commands[key], env)
        if key == "segment":
            os.remove(os.path.join(tmp, "parts.glb"))
    wall = {k: [] for k in order}
    rss = {k: [] for k in order}
    left = []
    largest = []
    for _ in range(args.runs):
        for key in order:
            w, r = run_once(commands[key], env)
            wall[key].append(w)
            rss[key].append(r)
            if key == "segment":
                os.remove(os.path.join(tmp, "parts.glb"))
                with open(os.path.join(tmp, "segment.json")) as f:
                    rss[key][-1] = json.load(f)["peak_rss_bytes"] / 2.0**20
                largest.append(r)
                time.sleep(0.2)
                left.append(len(runner_processes()))
    result = {k: {"wall_s": stats(wall[k]), "peak_rss_mib": stats(rss[k])} for k in order}
    if "f3d" in order:
        ratios = [a / b for a, b in zip(wall["studio"], wall["f3d"])]
        result["studio_over_f3d"] = stats(ratios)
        result["studio_minus_f3d_rss_mib"] = statistics.median(rss["studio"]) - statistics.median(rss["f3d"])
    result["runners_left_after_segment"] = max(left) if left else None
    if largest:
        result["segment_largest_process_rss_mib"] = stats(largest)
    for name, binary in (("h3dpart", cli), ("h3dpart-studio", studio)):
        count, torch = libraries(binary)
        result[f"{name}_libraries"] = count
        result[f"{name}_links_libtorch"] = bool(torch)

    print(f"# {args.runs} runs in turns, mesh {os.path.basename(args.mesh)}; min / median / max")
    for key in order:
        print(f"{key:8s} wall {fmt(result[key]['wall_s'])}   peak RSS {fmt(result[key]['peak_rss_mib'], 'MiB', 0)}")
    if "studio_over_f3d" in result:
        print(f"studio / f3d wall ratio {fmt(result['studio_over_f3d'], 'x', 2)}; "
              f"studio RSS - f3d RSS (medians) {result['studio_minus_f3d_rss_mib']:.0f} MiB")
    if largest:
        print(f"segment: largest process (the runner) peak RSS "
              f"{fmt(result['segment_largest_process_rss_mib'], 'MiB', 0)}")
    print(f"runner processes left after a sequential segment: {result['runners_left_after_segment']}")
    for name in ("h3dpart", "h3dpart-studio"):
        print(f"{name}: {result[name + '_libraries']} shared libraries, LibTorch linked: "
              f"{'yes' if result[name + '_links_libtorch'] else 'no'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
