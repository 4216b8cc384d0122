#!/usr/bin/python3
"""Tries segmenter settings on a PSB-layout folder and logs the benchmark's figures.

  /usr/bin/python3 models/tune_segmenter.py --cli build/release/app/h3dpart --psb DIR \\
      [--ids 1,21,41,..] [--prompt] --log models/tune_segmenter.log \\
      "" "tau=0.09" "tau=0.09 max_ratio=0.75" ...

Every positional argument is one variant: Segmenter constructor arguments
(NAME=VALUE, space-separated; "" is the defaults). For each, the segmenter
package is built into a temporary folder (models/build_packages.py --set ...)
and bench/segmentation/run_psb.py runs the CLI with it (--no-speed; the CLI's
sampling seed is its default, 0; the prompt clicks use run_psb's seed 0). The
summary lines of each run (RI, HD, single-part meshes, part count in range,
prompt IoU, worst category) are appended to the log with the variant.
Nothing here is specific to a category or a data set: the variants are the
segmenter's scale-free thresholds, the same for every mesh.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def build_variant(out, variant):
    """The segmenter package with the variant's NAME=VALUE settings in `out`; the environment to run it with."""
    build = [sys.executable, os.path.join(HERE, "build_packages.py"), "--out", out, "--role", "segmenter"]
    for item in variant.split():
        build += ["--set", item]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    subprocess.run(build, check=True, env=env)
    return env


def run_variant(args, variant, log):
    with tempfile.TemporaryDirectory(prefix="h3dtune-") as tmp:
        build_variant(tmp, variant)
        bench = [sys.executable, os.path.join(ROOT, "bench", "segmentation", "run_psb.py"), "--cli", args.cli,
                 "--psb", args.psb, "--models", tmp, "--no-speed"]
        if args.ids:
            bench += ["--ids", args.ids]
        if not args.prompt:
            bench.append("--no-prompt")
        t = time.time()
        r = subprocess.run(bench, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("tune_segmenter: run_psb failed: " + r.stderr[-2000:])
    table = [ln for ln in r.stdout.splitlines() if ln.startswith("|")]
    summary = [ln for ln in r.stdout.splitlines() if re.match(r"(meshes|single part|part count|point prompt)", ln)]
    per_cat = []
    for ln in table[2:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if not cells[0].startswith("**"):
            per_cat.append(f"{cells[0]} {cells[2]}")
    with open(log, "a") as f:
        f.write(f"## {time.strftime('%Y-%m-%d %H:%M')} variant [{variant}] ids [{args.ids or 'all'}] "
                f"({time.time() - t:.0f} s)\n")
        for ln in summary:
            f.write("  " + ln + "\n")
        f.write("  per category RI: " + ", ".join(per_cat) + "\n")
    print(f"[{variant}]", *summary, sep="\n  ")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--psb", required=True)
    ap.add_argument("--ids")
    ap.add_argument("--prompt", action="store_true", help="measure point prompts too")
    ap.add_argument("--log", default=os.path.join(HERE, "tune_segmenter.log"))
    ap.add_argument("variants", nargs="*", default=[""])
    args = ap.parse_args()
    for v in args.variants:
        run_variant(args, v, args.log)


if __name__ == "__main__":
    main()
