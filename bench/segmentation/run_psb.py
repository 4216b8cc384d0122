#!/usr/bin/python3
"""h3dpart on the Princeton Segmentation Benchmark (or any folder in its layout).

  /usr/bin/python3 bench/segmentation/run_psb.py --cli build/release/app/h3dpart --psb DIR
        [--models DIR] [--prompt-tool build/release/bench/segmentation/h3dpart_bench_prompt]
        [--ids 1,5,..] [--no-prompt] [--no-speed] [--keep DIR] [--json OUT.json]
  /usr/bin/python3 bench/segmentation/run_psb.py --psb DIR --join A.json,B.json   (tables of earlier runs)

DIR holds off/N.off, seg/N/N_k.seg (human segmentations) and score.py (the
benchmark's scorer, imported from DIR at run time: nothing of the benchmark
lives in this repository). For every mesh it runs
`h3dpart segment DIR/off/N.off -o .. --face-labels N.txt --json ..` and prints:
  - per category and overall: Rand index error (RI) and Hamming distance (HD)
    against the humans (area-weighted, as score.py), our part count and the
    humans' mean part count;
  - meshes that came back as a single part, and the share of meshes whose part
    count lies within half to twice the humans' mean;
  - point prompts (unless --no-prompt): for every human segment, a click on a
    random face inside it (seeds (0, mesh id)) through h3d::segmentPrompts; the mask's
    area-weighted IoU with that segment, averaged over segments, humans, meshes;
  - speed (unless --no-speed), on the folder's median-size mesh refined to
    at least 0.9 x 18k, 100k and 1M faces (every triangle split in n x n):
    the segment stage (the CLI's --json stages_s.segment) of a single call,
    cold (a fresh `h3dpart segment`: runner start, model load and dry run
    included) and warm (the 2nd and 3rd file of a three-file batch of the
    same mesh: the model resident in the runner, as the studio and batches
    have it); the cold command's wall time; peak RSS of the front end (its
    --json peak_rss_bytes) and of the largest process (wait4's ru_maxrss over
    the CLI and the runner it reaped: the runner unless the front end is
    larger). The two processes' peaks together bound what the call takes.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def load_scorer(psb):
    path = os.path.join(psb, "score.py")
    if not os.path.exists(path):
        sys.exit(f"run_psb: {path}: no scorer (score.py) in the PSB folder")
    spec = importlib.util.spec_from_file_location("psb_score", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_cli(args, *cmd):
    full = cli_cmd(args, *cmd)
    r = subprocess.run(full, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(full), r.returncode, r.stderr[-2000:]))


def cli_cmd(args, *cmd):
    return [args.cli] + (["--models", args.models] if args.models else []) + ["--quiet"] + list(cmd)


def run_measured(full):
    """Runs a command to its end: (wall seconds, wait4's ru_maxrss in MiB: the
    largest of the process and of the children it reaped)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stderr.close()
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(full), p.returncode, err[-2000:]))
    return wall, usage.ru_maxrss / 1024.0


def speed_row(args, path, tmp, name):
    """Cold and warm segment stage and peak RSS on one mesh (see the module text)."""
    report = os.path.join(tmp, name + ".json")
    wall, largest = run_measured(cli_cmd(args, "segment", path, "-o", os.path.join(tmp, name + ".ply"),
                                         "--json", report))
    with open(report) as f:
        rep = json.load(f)
    batch = os.path.join(tmp, name + "-batch")
    inputs = []
    for d in ("a", "b", "c"):
        os.makedirs(os.path.join(batch, d), exist_ok=True)
        link = os.path.join(batch, d, "m.off")
        if not os.path.lexists(link):
            os.symlink(os.path.abspath(path), link)
        inputs.append(link)
    lines = os.path.join(batch, "lines.jsonl")
    run_measured(cli_cmd(args, "segment", *inputs, "--out-dir", os.path.join(batch, "out"),
                         "--name", "{index}-{stem}.ply", "--json-lines", lines))
    stages = []
    with open(lines) as f:
        for ln in f:
            rec = json.loads(ln)
            if "stages_s" in rec and "segment" in rec["stages_s"]:
                stages.append(rec["stages_s"]["segment"])
    if len(stages) != 3:
        raise RuntimeError(f"{lines}: {len(stages)} segment stages, 3 expected")
    return {"faces": rep["triangles"], "segment_s": rep["stages_s"]["segment"], "wall_s": wall,
            "batch_first_s": stages[0], "warm_s": stages[1:],
            "peak_rss_mb": rep.get("peak_rss_bytes", 0) / 2 ** 20, "largest_rss_mb": largest,
            "parts": rep.get("part_count")}


def segment(args, mesh, tmp, name):
    labels = os.path.join(tmp, name + ".txt")
    report = os.path.join(tmp, name + ".json")
    run_cli(args, "segment", mesh, "-o", os.path.join(tmp, name + ".ply"), "--face-labels", labels,
            "--json", report)
    with open(report) as f:
        rep = json.load(f)
    return labels, rep


def face_centroids(V, F):
    return V[F].mean(axis=1)


def prompt_ious(args, S, mesh_id, mesh, V, F, area, hs, tmp):
    """IoU of the prompt mask with the human segment under each click.

    The clicks are drawn with a generator of the mesh's own (seed 0, mesh id),
    so a mesh gets the same clicks whichever other meshes the run holds, and
    not the clicks models/tune_prompt.py fits on (seed = mesh id)."""
    rng = np.random.default_rng([0, mesh_id])
    clicks = []   # (human index, segment id)
    pts = []
    cen = face_centroids(V, F)
    for hi, h in enumerate(hs):
        for s in np.unique(h):
            faces = np.nonzero(h == s)[0]
            f = faces[rng.integers(len(faces))]
            clicks.append((hi, s))
            pts.append(cen[f])
    pfile = os.path.join(tmp, "prompts.txt")
    np.savetxt(pfile, np.array(pts), fmt="%.9g")
    out = os.path.join(tmp, "masks.txt")
    cmd = [args.prompt_tool, "--models", args.models_dir, mesh, pfile, out]
    # the prompt tool is not installed next to the runner: name the CLI's
    env = dict(os.environ)
    env.setdefault("H3DPART_RUNNER", os.path.join(os.path.dirname(os.path.abspath(args.cli)), "h3dpart-runner"))
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr[-2000:]))
    with open(out) as f:
        rows = [ln.rstrip("\n") for ln in f]
    per_human = {}
    for (hi, s), row in zip(clicks, rows):
        m = np.frombuffer(row.encode(), dtype=np.uint8) == ord("1")
        g = hs[hi] == s
        inter = area[m & g].sum()
        union = area[m | g].sum()
        per_human.setdefault(hi, []).append(inter / union if union > 0 else 0.0)
    return float(np.mean([np.mean(v) for v in per_human.values()]))


def refine_off(V, F, n, path):
    """Every triangle split into n*n; points on shared edges come out bit-identical."""
    ii, jj = [], []
    for i in range(n + 1):
        for j in range(n + 1 - i):
            ii.append(i)
            jj.append(j)
    ii = np.array(ii)
    jj = np.array(jj)
    kk = n - ii - jj
    local = {(a, b): t for t, (a, b) in enumerate(zip(ii, jj))}
    tris = []
    for i in range(n):
        for j in range(n - i):
            tris.append((local[(i, j)], local[(i + 1, j)], local[(i, j + 1)]))
            if i + j < n - 1:
                tris.append((local[(i + 1, j)], local[(i + 1, j + 1)], local[(i, j + 1)]))
    tris = np.array(tris)
    A, B, C = V[F[:, 0]], V[F[:, 1]], V[F[:, 2]]
    P = (ii[None, :, None] * A[:, None, :] + jj[None, :, None] * B[:, None, :] +
         kk[None, :, None] * C[:, None, :]) / n
    npf = len(ii)
    faces = (np.arange(len(F))[:, None, None] * npf + tris[None, :, :]).reshape(-1, 3)
    with open(path, "w") as f:
        f.write(f"OFF\n{len(F) * npf} {len(faces)} 0\n")
        np.savetxt(f, P.reshape(-1, 3), fmt="%.9g")
        np.savetxt(f, np.hstack([np.full((len(faces), 1), 3), faces]), fmt="%d")
    return len(faces)


def in_range(r):
    return 0.5 * r["human_parts"] <= r["parts"] <= 2.0 * r["human_parts"]


def report(S, rows, speed):
    """Prints the tables of a run (or of several runs' --json files joined)."""
    prompt = all("prompt_iou" in r for r in rows)
    print("| category | n | RI | HD | parts (humans) |" + (" prompt IoU |" if prompt else ""))
    print("|---|---|---|---|---|" + ("---|" if prompt else ""))
    cats = [c for _, _, c in S.CATS if any(r["cat"] == c for r in rows)]
    worst = 0.0
    for c in cats + ["all"]:
        rs = [r for r in rows if c == "all" or r["cat"] == c]
        ri = np.mean([r["RI"] for r in rs])
        if c != "all":
            worst = max(worst, ri)
        line = (f"| {'**all ' + str(len(rs)) + '**' if c == 'all' else c} | {len(rs)} | {ri:.3f} | "
                f"{np.mean([r['HD'] for r in rs]):.3f} | {np.mean([r['parts'] for r in rs]):.1f} "
                f"({np.mean([r['human_parts'] for r in rs]):.1f}) |")
        if prompt:
            line += f" {np.mean([r['prompt_iou'] for r in rs]):.3f} |"
        print(line)
    single = [r["id"] for r in rows if r["parts"] == 1]
    print()
    print(f"meshes: {len(rows)}; RI {np.mean([r['RI'] for r in rows]):.3f}, HD {np.mean([r['HD'] for r in rows]):.3f}, "
          f"GCE {np.mean([r['GCE'] for r in rows]):.3f}, LCE {np.mean([r['LCE'] for r in rows]):.3f}; "
          f"worst category RI {worst:.3f}")
    print(f"single part: {len(single)} meshes {single}")
    print(f"part count within half..twice the humans' mean: {100.0 * np.mean([in_range(r) for r in rows]):.1f} %")
    if prompt:
        print(f"point prompt mean mask IoU: {np.mean([r['prompt_iou'] for r in rows]):.3f}")
    print(f"segment stage on the PSB meshes: median {np.median([r['segment_s'] for r in rows]):.2f} s, "
          f"max {np.max([r['segment_s'] for r in rows]):.2f} s")
    for sp in speed:
        if "warm_s" not in sp:  # a --json of an earlier version
            print(f"segment stage at {sp['faces']:,} faces (a median PSB mesh refined): {sp['segment_s']:.2f} s, "
                  f"process peak RSS {sp['peak_rss_mb']:.0f} MiB")
            continue
        print(f"segment stage at {sp['faces']:,} faces (a median PSB mesh refined): "
              f"cold {sp['segment_s']:.2f} s (the whole command {sp['wall_s']:.2f} s), "
              f"warm {' / '.join('%.2f' % w for w in sp['warm_s'])} s "
              f"(batch file 1: {sp['batch_first_s']:.2f} s); peak RSS front end {sp['peak_rss_mb']:.0f} MiB, "
              f"largest process {sp['largest_rss_mb']:.0f} MiB")


def median_mesh(S, psb):
    counts = []
    for i in S.ids_of(psb, None):
        path = os.path.join(psb, "off", f"{i}.off")
        with open(path) as f:
            toks = f.read(4096).split()
        k = 1 if toks[0] == "OFF" else 0
        counts.append((int(toks[k + 1]), path))
    return sorted(counts)[len(counts) // 2][1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", help="the h3dpart executable")
    ap.add_argument("--psb", required=True, help="PSB-layout folder (off/, seg/, score.py)")
    ap.add_argument("--models", help="model packages folder (default: the CLI's)")
    ap.add_argument("--prompt-tool", help="h3dpart_bench_prompt (default: next to the CLI's build)")
    ap.add_argument("--ids", help="comma-separated mesh ids (default: all in off/)")
    ap.add_argument("--no-prompt", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--keep", help="keep the predicted face labels in this folder")
    ap.add_argument("--json", help="write per-mesh figures here")
    ap.add_argument("--join", help="print the tables of earlier runs' --json files (comma-separated; "
                                   "e.g. two halves of --ids run side by side) and run nothing")
    args = ap.parse_args()
    S = load_scorer(args.psb)
    if args.join:
        rows, speed = [], []
        for path in args.join.split(","):
            with open(path) as f:
                doc = json.load(f)
            rows += doc["meshes"]
            speed += doc["speed"]
        report(S, sorted(rows, key=lambda r: r["id"]), speed)
        return
    if not args.cli:
        sys.exit("run_psb: --cli is needed (or --join)")
    build = os.path.dirname(os.path.dirname(os.path.abspath(args.cli)))
    args.models_dir = args.models or os.path.join(build, "share", "h3dpart", "models")
    if not args.prompt_tool:
        args.prompt_tool = os.path.join(build, "bench", "segmentation", "h3dpart_bench_prompt")
    if not args.no_prompt and not os.path.exists(args.prompt_tool):
        sys.exit(f"run_psb: {args.prompt_tool}: no prompt tool (build target h3dpart_bench_prompt, or --no-prompt)")
    tmp = args.keep or tempfile.mkdtemp(prefix="h3dpsb-")
    os.makedirs(tmp, exist_ok=True)
    rows = []
    for i in S.ids_of(args.psb, args.ids):
        mesh = os.path.join(args.psb, "off", f"{i}.off")
        V, F, area = S.read_off(mesh)
        hs = [S.read_labels(h, len(F)) for h in S.humans(args.psb, i)]
        labels_file, rep = segment(args, mesh, tmp, str(i))
        pred = S.read_labels(labels_file, len(F))
        m = np.mean([S.metrics(pred, h, area) for h in hs], axis=0)
        row = {"id": i, "cat": S.category(i), "faces": int(len(F)), "RI": float(m[0]), "HD": float(m[1]),
               "GCE": float(m[2]), "LCE": float(m[3]), "parts": int(len(np.unique(pred))),
               "human_parts": float(np.mean([len(np.unique(h)) for h in hs])),
               "segment_s": float(rep.get("stages_s", {}).get("segment", float("nan")))}
        if not args.no_prompt:
            row["prompt_iou"] = prompt_ious(args, S, i, mesh, V, F, area, hs, tmp)
        rows.append(row)
        print(f"{i:>4} {row['cat']:<10} RI {row['RI']:.3f} HD {row['HD']:.3f} parts {row['parts']:>2} "
              f"(humans {row['human_parts']:.1f})" +
              (f" prompt IoU {row['prompt_iou']:.3f}" if "prompt_iou" in row else ""), file=sys.stderr)

    speed = []
    if not args.no_speed:
        # the folder's mesh of median face count, refined to each size
        med = median_mesh(S, args.psb)
        V, F, _ = S.read_off(med)
        print(f"speed: {med}, load average {os.getloadavg()[0]:.2f} at the start", file=sys.stderr)
        for target in (18000, 100000, 1000000):
            n = 1
            while len(F) * n * n < 0.9 * target:
                n += 1
            path = os.path.join(tmp, f"refined-{target}.off")
            refine_off(V, F, n, path)
            speed.append(speed_row(args, path, tmp, f"refined-{target}"))
            os.remove(path)
        print(f"speed: load average {os.getloadavg()[0]:.2f} at the end", file=sys.stderr)
    report(S, rows, speed)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meshes": rows, "speed": speed, "when": time.strftime("%Y-%m-%d %H:%M"),
                       "load_average": os.getloadavg()[0]}, f, indent=1)


if __name__ == "__main__":
    main()
