#!/usr/bin/python3
"""h3dpart quality benchmark: segmentation IoU, part-count error, closed
generated parts, Chamfer-L1 against the complete ground-truth parts (ours and
the naive "cut the input by labels" baseline), wall times.

  /usr/bin/python3 bench/quality/run_bench.py [--cli BUILD/app/h3dpart | --emulate MODELS_DIR]
        (default: build/release/app/h3dpart when it exists)
        [--shapes DIR] [--only NAME ...] [--json OUT.json]

--cli runs `h3dpart segment IN -o OUT.glb --face-labels FILE` and
`h3dpart generate IN -o OUT.glb --json R`; --true-labels generates from the ground-truth labels (segment skipped), so
the Chamfer figures measure the generator alone. --emulate runs the TorchScript
models through bench/quality/emulate.py instead. Shapes are generated into
--shapes (default /tmp/h3dpart-bench-shapes) when missing.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import meshutil  # noqa: E402
import shapes as shapegen  # noqa: E402


def iou_scores(gt, pred):
    g = gt.max() + 1
    p = pred.max() + 1
    inter = np.zeros((g, p))
    np.add.at(inter, (gt, pred), 1)
    gs = np.bincount(gt, minlength=g)
    ps = np.bincount(pred, minlength=p)
    iou = inter / np.maximum(gs[:, None] + ps[None, :] - inter, 1)
    gt_best = iou.max(1)
    pred_best = iou.max(0)[ps > 0]
    sym = 0.5 * (gt_best.mean() + pred_best.mean())
    return float(sym), iou


def ensure_shapes(folder, names, res, n_random):
    todo = [n for n in names if not os.path.exists(os.path.join(folder, n + ".parts.npz"))]
    if todo:
        subprocess.run([sys.executable, os.path.join(HERE, "shapes.py"), folder, "--res", str(res),
                        "--random", str(n_random), "--only"] + todo, check=True)


class CliRunner:
    def __init__(self, exe, models=None, resolution=None, field=False, labels_dir=None):
        self.exe = exe
        self.resolution = resolution
        self.field = field
        self.labels_dir = labels_dir
        self.models = models
        self.tmp = tempfile.mkdtemp(prefix="h3dbench-")

    def _cmd(self, *args):
        cmd = [self.exe] + list(args)
        if self.models:
            cmd += ["--models", self.models]
        r = subprocess.run(cmd + ["--quiet"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr[-2000:]))

    def segment(self, path, v, f):
        lab_file = os.path.join(self.tmp, "labels.txt")
        if self.labels_dir:  # labels of an earlier run of the same segmenter, when there
            os.makedirs(self.labels_dir, exist_ok=True)
            lab_file = os.path.join(self.labels_dir, os.path.basename(path) + ".labels")
            if os.path.exists(lab_file):
                return np.loadtxt(lab_file, dtype=np.int64).reshape(-1)
        self._cmd("segment", path, "-o", os.path.join(self.tmp, "seg.glb"), "--face-labels", lab_file)
        return np.loadtxt(lab_file, dtype=np.int64).reshape(-1)

    def _labels_file(self, lab):
        p = os.path.join(self.tmp, "given.labels")
        np.savetxt(p, lab, fmt="%d")
        return p

    def generate(self, path, v, f, lab):
        out = os.path.join(self.tmp, "gen.glb")
        # the labels of the segment step, so generate is timed alone and uses the same parts
        extra = ["--resolution", str(self.resolution)] if self.resolution else []
        if self.field:
            extra.append("--field")
        self._cmd("generate", path, "--labels", self._labels_file(lab), "-o", out,
                  "--json", os.path.join(self.tmp, "gen.json"), *extra)
        parts = []
        for name, pv, pf in meshutil.read_glb_parts(out):
            k = int(name.split("_")[-1]) if name.startswith("part_") else len(parts)
            parts.append((k, pv, pf))
        return parts


class EmuRunner:
    def __init__(self, models):
        import torch
        import emulate
        torch.set_num_threads(2)
        torch._C._set_graph_executor_optimize(False)
        self.emu = emulate
        self.seg = torch.jit.load(os.path.join(models, "segmenter", "segmenter.pt"))
        self.enc = torch.jit.load(os.path.join(models, "generator", "encoder.pt"))
        self.dec = torch.jit.load(os.path.join(models, "generator", "decoder.pt"))

    def segment(self, path, v, f):
        return self.emu.segment(v, f, self.seg)

    def generate(self, path, v, f, lab):
        return self.emu.generate(v, f, lab, self.enc, self.dec)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group()
    ap.add_argument("--shapes", default="/tmp/h3dpart-bench-shapes")
    g.add_argument("--cli")
    g.add_argument("--emulate", metavar="MODELS_DIR")
    ap.add_argument("--models", help="--models DIR passed to the CLI")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--random", type=int, default=6)
    ap.add_argument("--res", type=int, default=112)
    ap.add_argument("--no-generate", action="store_true")
    ap.add_argument("--resolution", type=int, help="generate --resolution (CLI default when absent)")
    ap.add_argument("--field", action="store_true",
                    help="generate --field: every part from the generator's field")
    ap.add_argument("--labels-dir", help="keep the segment step's labels here and reuse them on the next "
                    "run (so two generators are compared on the same parts; segment time then is 0)")
    ap.add_argument("--true-labels", action="store_true",
                    help="generate with the ground-truth face labels instead of the segmenter's (the "
                    "generator measured alone: no part cut in two or grown into its neighbour)")
    ap.add_argument("--json")
    args = ap.parse_args()

    names = [n for n, _ in shapegen.all_shapes(args.random)]
    if args.only:
        names = [n for n in names if n in args.only]
    ensure_shapes(args.shapes, names, args.res, args.random)
    default_cli = os.path.join(HERE, "..", "..", "build", "release", "app", "h3dpart")
    if not args.cli and not args.emulate and os.path.exists(default_cli):
        args.cli = default_cli
    if args.cli:
        runner = CliRunner(args.cli, args.models, args.resolution, args.field, args.labels_dir)
    else:
        runner = EmuRunner(args.emulate or os.path.join(HERE, "..", "..", "build", "release", "share", "h3dpart", "models"))

    rows = []
    for name in names:
        path = os.path.join(args.shapes, name + ".obj")
        v, f = meshutil.read_obj(path)
        gt = np.loadtxt(os.path.join(args.shapes, name + ".labels.txt"), dtype=np.int64)
        gt_parts = list(np.load(os.path.join(args.shapes, name + ".parts.npz")).values())
        diag = float(np.linalg.norm(v.max(0) - v.min(0)))
        t0 = time.time()
        pred = gt.copy() if args.true_labels else runner.segment(path, v, f)
        t_seg = time.time() - t0
        if len(pred) != len(f):
            raise RuntimeError("%s: %d labels for %d faces" % (name, len(pred), len(f)))
        iou, iou_m = iou_scores(gt, pred)
        row = {"shape": name, "faces": int(len(f)), "gt_parts": int(gt.max() + 1),
               "pred_parts": int(len(np.unique(pred))), "iou": iou, "segment_s": t_seg}
        row["count_error"] = row["pred_parts"] - row["gt_parts"]
        if not args.no_generate:
            t0 = time.time()
            gen = runner.generate(path, v, f, pred)
            row["generate_s"] = time.time() - t0
            closed = [meshutil.is_closed_manifold(pv, pf) for _, pv, pf in gen]
            row["gen_parts"] = len(gen)
            row["closed"] = int(sum(closed))
            base = {k: (pv, pf) for k, pv, pf in shapegen_cut(v, f, pred)}
            ours = {k: (pv, pf) for k, pv, pf in gen}
            rng = np.random.default_rng(0)
            ch_o, ch_b = [], []
            for j, gp in enumerate(gt_parts):
                i = int(np.argmax(iou_m[j]))
                for store, res in ((ours, ch_o), (base, ch_b)):
                    if i in store and len(store[i][1]) > 0:
                        s = meshutil.sample_mesh_points(store[i][0], store[i][1], 6000, rng)
                        res.append(meshutil.chamfer_l1(gp, s) / diag)
                    else:
                        res.append(1.0)  # a missing part counts as the worst case
            row["chamfer_ours"] = ch_o
            row["chamfer_base"] = ch_b
        rows.append(row)
        line = "%-10s faces %6d parts %2d/%2d IoU %.3f seg %.1fs" % (
            name, row["faces"], row["pred_parts"], row["gt_parts"], iou, t_seg)
        if "generate_s" in row:
            line += " | closed %d/%d chamfer ours %.4f base %.4f gen %.1fs" % (
                row["closed"], row["gen_parts"], np.mean(row["chamfer_ours"]), np.mean(row["chamfer_base"]),
                row["generate_s"])
        print(line, flush=True)

    summary = {
        "shapes": len(rows),
        "iou_mean": float(np.mean([r["iou"] for r in rows])),
        "iou_min": float(np.min([r["iou"] for r in rows])),
        "part_count_abs_error_mean": float(np.mean([abs(r["count_error"]) for r in rows])),
        "part_count_exact_share": float(np.mean([r["count_error"] == 0 for r in rows])),
        "segment_s_mean": float(np.mean([r["segment_s"] for r in rows])),
    }
    if not args.no_generate:
        co = np.concatenate([r["chamfer_ours"] for r in rows])
        cb = np.concatenate([r["chamfer_base"] for r in rows])
        summary.update({
            "closed_share": float(sum(r["closed"] for r in rows) / max(sum(r["gen_parts"] for r in rows), 1)),
            "chamfer_ours_mean": float(co.mean()), "chamfer_ours_worst": float(co.max()),
            "chamfer_base_mean": float(cb.mean()), "chamfer_base_worst": float(cb.max()),
            "generate_s_mean": float(np.mean([r["generate_s"] for r in rows])),
        })
    print(json.dumps(summary, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"summary": summary, "shapes": rows}, fh, indent=2)


def shapegen_cut(v, f, lab):
    out = []
    for i in np.unique(lab):
        pf = f[lab == i]
        used, inv = np.unique(pf, return_inverse=True)
        out.append((int(i), v[used], inv.reshape(-1, 3)))
    return out


if __name__ == "__main__":
    main()
