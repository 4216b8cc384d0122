#!/usr/bin/python3
"""h3dpart batch benchmark: one batch vs single invocations, model loads, RSS
over a long batch, throughput, and a batch with corrupt inputs.

  /usr/bin/python3 bench/batch/batch_bench.py --psb PSB_DIR [--cli BUILD/app/h3dpart]
        [--rounds 3] [--first 20] [--long 200] [--only turns|long|corrupt ...] [--json OUT]

PSB_DIR is the Princeton Segmentation Benchmark folder (its off/ is read in
place, never copied; the long and corrupt runs use list files and symlinks in
a temporary folder).

- turns: the first --first meshes by name through `h3dpart segment` as one
  batch and as that many single invocations, in turns (batch, singles, batch,
  ...), --rounds times; prints each round and the median ratio batch/singles,
  and the model loads from disk the batch's --json reports.
- long: --long inputs (the meshes repeated, through --from) in one batch;
  prints RSS after the 10th and after the last input (--json-lines) and the
  files per minute.
- corrupt: one input in ten replaced by a corrupt file; checks that every
  good input is done, every bad one is named in the summary, exit code 1.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def meshes(psb, count=None):
    folder = os.path.join(psb, "off") if os.path.isdir(os.path.join(psb, "off")) else psb
    names = sorted(n for n in os.listdir(folder) if n.endswith(".off"))
    paths = [os.path.join(folder, n) for n in names]
    return paths[:count] if count else paths


def run(cmd, **kw):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    return time.monotonic() - t0, p


def turns(cli, inputs, rounds, work):
    rows = []
    loads = None
    for r in range(rounds):
        out_b = os.path.join(work, f"turns-batch-{r}")
        report = os.path.join(work, f"turns-batch-{r}.json")
        tb, p = run([cli, "segment", *inputs, "--out-dir", out_b, "--quiet", "--json", report])
        if p.returncode != 0:
            sys.exit(f"batch failed ({p.returncode}): {p.stderr[-2000:]}")
        with open(report) as f:
            doc = json.load(f)
        loads = {m["name"]: (m["disk_loads"], m["host_cache_loads"]) for m in doc["models"]}
        out_s = os.path.join(work, f"turns-single-{r}")
        os.makedirs(out_s, exist_ok=True)
        t0 = time.monotonic()
        for i in inputs:
            stem = os.path.splitext(os.path.basename(i))[0]
            _, p = run([cli, "segment", i, "-o", os.path.join(out_s, stem + "-parts.glb"), "--quiet"])
            if p.returncode != 0:
                sys.exit(f"single run failed on {i}: {p.stderr[-2000:]}")
        ts = time.monotonic() - t0
        rows.append((tb, ts, tb / ts))
        print(f"round {r + 1}: batch {tb:.1f} s, {len(inputs)} single runs {ts:.1f} s, "
              f"ratio {tb / ts:.3f}", flush=True)
    ratio = statistics.median(r[2] for r in rows)
    print(f"median ratio batch/singles: {ratio:.3f} (target <= 0.6)")
    print("model loads in the batch (disk, host RAM): " +
          ", ".join(f"{n} {d}, {h}" for n, (d, h) in loads.items()))
    return {"rounds": [{"batch_s": a, "singles_s": b, "ratio": c} for a, b, c in rows],
            "median_ratio": ratio, "model_loads": loads}


def long_run(cli, all_meshes, count, work):
    lst = os.path.join(work, "long.txt")
    with open(lst, "w") as f:
        for i in range(count):
            f.write(all_meshes[i % len(all_meshes)] + "\n")
    lines = os.path.join(work, "long.jsonl")
    report = os.path.join(work, "long.json")
    t, p = run([cli, "segment", "--from", lst, "--out-dir", os.path.join(work, "long"),
                "--name", "{index}-{stem}.{ext}", "--quiet", "--json-lines", lines,
                "--json", report])
    if p.returncode != 0:
        sys.exit(f"long batch failed ({p.returncode}): {p.stderr[-2000:]}")
    with open(lines) as f:
        recs = [json.loads(line) for line in f]
    with open(report) as f:
        doc = json.load(f)
    rss10 = recs[9]["rss_bytes"]
    rss_last = recs[-1]["rss_bytes"]
    growth = rss_last / rss10 - 1
    print(f"{count} inputs in {t:.0f} s: {doc['files_per_minute']:.1f} files/min; RSS after "
          f"the 10th {rss10 / 2**20:.0f} MiB, after the last {rss_last / 2**20:.0f} MiB "
          f"({growth * 100:+.1f} %, target within 10 %); peak {doc['peak_rss_bytes'] / 2**20:.0f} MiB; "
          f"model loads from disk {sum(m['disk_loads'] for m in doc['models'])}")
    return {"inputs": count, "seconds": t, "files_per_minute": doc["files_per_minute"],
            "rss_after_10th": rss10, "rss_after_last": rss_last, "growth": growth,
            "peak_rss": doc["peak_rss_bytes"], "models": doc["models"]}


def corrupt_run(cli, inputs, work):
    folder = os.path.join(work, "corrupt-in")
    os.makedirs(folder, exist_ok=True)
    bad = []
    for k, path in enumerate(inputs):
        link = os.path.join(folder, f"{k:03d}-{os.path.basename(path)}")
        if k % 10 == 4:
            with open(link, "wb") as f:  # an OFF header that promises what is not there
                f.write(b"OFF\n1000 2000 0\n0 0 0\n1 garbage\n" + os.urandom(512))
            bad.append(link)
        else:
            os.symlink(path, link)
    _, p = run([cli, "segment", folder, "--out-dir", os.path.join(work, "corrupt-out"),
                "--quiet"])
    good = [n for n in sorted(os.listdir(folder)) if os.path.join(folder, n) not in bad]
    done = [n for n in good if os.path.exists(
        os.path.join(work, "corrupt-out", os.path.splitext(n)[0] + "-parts.glb"))]
    named = [b for b in bad if b in p.stderr]
    ok = p.returncode == 1 and len(done) == len(good) and len(named) == len(bad)
    print(f"corrupt: {len(inputs)} inputs, {len(bad)} corrupt: exit {p.returncode}, "
          f"{len(done)}/{len(good)} good done, {len(named)}/{len(bad)} bad named -> "
          f"{'PASS' if ok else 'FAIL'}")
    return {"exit": p.returncode, "good": len(good), "done": len(done), "bad": len(bad),
            "named": len(named), "pass": ok}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--psb", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--cli", default=os.path.join(here, "..", "..", "build", "release", "app",
                                                  "h3dpart"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--first", type=int, default=20)
    ap.add_argument("--long", type=int, default=200)
    ap.add_argument("--only", nargs="*", default=["turns", "long", "corrupt"])
    ap.add_argument("--json")
    a = ap.parse_args()
    cli = os.path.abspath(a.cli)
    result = {}
    with tempfile.TemporaryDirectory(prefix="h3dpart-batch-bench-") as work:
        if "turns" in a.only:
            result["turns"] = turns(cli, meshes(a.psb, a.first), a.rounds, work)
        if "long" in a.only:
            result["long"] = long_run(cli, meshes(a.psb), a.long, work)
        if "corrupt" in a.only:
            result["corrupt"] = corrupt_run(cli, meshes(a.psb, a.first), work)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
