#!/usr/bin/python3
"""Tries segmenter settings on bench/quality's shapes over several sampling seeds.

  /usr/bin/python3 models/tune_quality.py --cli build/release/app/h3dpart [--seeds 0,1,2,3]
      [--shapes /tmp/h3dpart-bench-shapes] [--only cluster00,cluster05] [--log models/tune_segmenter.log]
      "" "smooth_merge=0.7" ...

Every positional argument is one variant: Segmenter constructor arguments
(NAME=VALUE, space-separated; "" is the defaults). For each, the segmenter
package is built into a temporary folder (models/build_packages.py --set ...)
and the CLI segments every shape in one batch per seed (`h3dpart segment ...
--out-dir --face-labels --seed S`: the host's sampling, face votes and label
clean-up). Prints per shape the part counts (one per seed) against the
ground truth and the IoUs, then the mean absolute part-count error and mean
IoU over the shapes, for each seed and over all seeds. Seed 0 is what
bench/quality/run_bench.py measures; the other seeds are further draws of
the same samples, so a rule that fixes one seed by chance shows as such.
Shapes: bench/quality/shapes.py (made by run_bench.py on first use).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench", "quality"))
from run_bench import iou_scores  # noqa: E402
from tune_segmenter import build_variant  # noqa: E402

NAMES = ["table", "chair", "mug", "lamp", "snowman", "robot", "dumbbell", "mushroom"] + \
    ["cluster%02d" % i for i in range(6)]


def run_variant(args, variant, names, seeds):
    res = {}
    with tempfile.TemporaryDirectory(prefix="h3dtuneq-") as tmp:
        env = build_variant(tmp, variant)
        for s in seeds:
            out = os.path.join(tmp, "seed%d" % s)
            cmd = [args.cli, "segment"] + [os.path.join(args.shapes, n + ".obj") for n in names] + [
                "--out-dir", out, "--face-labels", "{stem}.labels", "--seed", str(s), "--models", tmp, "--quiet"]
            subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=tmp)
            for n in names:
                gt = np.loadtxt(os.path.join(args.shapes, n + ".labels.txt"), dtype=np.int64)
                pred = np.loadtxt(os.path.join(out, n + ".labels"), dtype=np.int64).reshape(-1)
                res[n, s] = (len(np.unique(pred)), int(gt.max() + 1), iou_scores(gt, pred)[0])
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--seeds", default="0,1,2,3")
    ap.add_argument("--shapes", default="/tmp/h3dpart-bench-shapes")
    ap.add_argument("--only", help="shape names, comma-separated")
    ap.add_argument("--log")
    ap.add_argument("variants", nargs="*", default=[""])
    args = ap.parse_args()
    args.cli = os.path.abspath(args.cli)
    seeds = [int(x) for x in args.seeds.split(",")]
    names = [n for n in NAMES if not args.only or n in args.only.split(",")]
    for variant in args.variants:
        res = run_variant(args, variant, names, seeds)
        lines = []
        for n in names:
            counts = " ".join(str(res[n, s][0]) for s in seeds)
            ious = " ".join("%.3f" % res[n, s][2] for s in seeds)
            lines.append("   %-10s parts %s / %d  IoU %s" % (n, counts, res[n, seeds[0]][1], ious))
        per = [(np.mean([abs(res[n, s][0] - res[n, s][1]) for n in names]), np.mean([res[n, s][2] for n in names]))
               for s in seeds]
        lines.insert(0, "{%s} seeds %s: count error %.3f IoU %.3f; per seed %s" % (
            variant, args.seeds, np.mean([p[0] for p in per]), np.mean([p[1] for p in per]),
            " ".join("%.3f/%.3f" % p for p in per)))
        print("\n".join(lines), flush=True)
        if args.log:
            with open(args.log, "a") as f:
                f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
