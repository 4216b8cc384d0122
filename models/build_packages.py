#!/usr/bin/python3
"""Builds the default h3dpart model packages (TorchScript + manifest.json).

Usage: /usr/bin/python3 models/build_packages.py --out DIR [--role segmenter|generator|all]
Writes DIR/segmenter/ and DIR/generator/. Needs Debian's python3-torch only.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h3d_models  # noqa: E402
import h3d_segmenter  # noqa: E402

VERSION = "1.0.0"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def spec(name, shape, dtype="float32"):
    return {"name": name, "shape": shape, "dtype": dtype}


def write_package(folder, manifest, modules):
    os.makedirs(folder, exist_ok=True)
    files = []
    for fname, module in modules:
        scripted = torch.jit.script(module.eval())
        path = os.path.join(folder, fname)
        tmp = path + ".tmp"
        scripted.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        files.append({"path": fname, "sha256": sha256(path), "bytes": os.path.getsize(path)})
    manifest["files"] = files
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".json.tmp")
    # mkstemp makes 0600: an installed package must be readable by every user
    os.fchmod(fd, 0o644)
    with os.fdopen(fd, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(folder, "manifest.json"))


def build_segmenter(out, tuning=None):
    manifest = {
        "format": 1,
        "name": "h3dpart-segmenter-default",
        "role": "segmenter",
        "version": VERSION,
        "description": "Geometric part segmenter: a k-NN surface graph weighted by concavity and "
                       "shape-diameter jumps, over-segmented into ~400 patches and split by recursive "
                       "normalized cuts while a cut is cheap. "
                       "P=0: one mask per part; P>0: the part under each prompt point.",
        "components": [{
            "name": "segmenter", "file": "segmenter.pt",
            "inputs": [spec("points", ["N", 3]), spec("normals", ["N", 3]), spec("prompts", ["P", 3])],
            "outputs": [spec("masks", ["K", "N"]), spec("scores", ["K"])],
        }],
        "stages": [{"name": "segment", "components": ["segmenter"]}],
        "device": "auto", "dtype": "float32", "half_precision": False, "cpu_fallback": True,
        "memory": {"run_bytes": 256 << 20},
        "dry_run": {"N": 64, "P": 1, "K": 2, "M": 32},
    }
    write_package(os.path.join(out, "segmenter"), manifest,
                  [("segmenter.pt", h3d_segmenter.Segmenter(**(tuning or {})))])


def build_generator(out):
    manifest = {
        "format": 1,
        "name": "h3dpart-generator-default",
        "role": "generator",
        "version": VERSION,
        "description": "Part completion by implicit moving least squares: per part, a weighted mean of "
                       "tangent-plane distances of its k nearest oriented samples, intersected with the "
                       "part's box (hidden ends become flat caps). Host marches the field.",
        "components": [
            {"name": "encoder", "file": "encoder.pt",
             "inputs": [spec("points", ["N", 3]), spec("normals", ["N", 3]),
                        spec("labels", ["N"], "int64"), spec("boxes", ["K", 6])],
             "outputs": [spec("features", ["N", 8])]},
            {"name": "decoder", "file": "decoder.pt",
             "inputs": [spec("features", ["N", 8]), spec("labels", ["N"], "int64"),
                        spec("part", [1], "int64"), spec("boxes", ["K", 6]), spec("queries", ["M", 3])],
             "outputs": [spec("field", ["M"])]},
        ],
        "stages": [{"name": "encode", "components": ["encoder"]},
                   {"name": "decode", "components": ["decoder"]}],
        "device": "auto", "dtype": "float32", "half_precision": False, "cpu_fallback": True,
        "memory": {"run_bytes": 512 << 20},
        "dry_run": {"N": 64, "P": 1, "K": 2, "M": 32},
    }
    write_package(os.path.join(out, "generator"), manifest,
                  [("encoder.pt", h3d_models.GeneratorEncoder()),
                   ("decoder.pt", h3d_models.GeneratorDecoder())])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--role", default="all", choices=["segmenter", "generator", "all"])
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="segmenter constructor argument (tuning; defaults in h3d_segmenter), repeatable")
    args = ap.parse_args()
    torch.manual_seed(0)
    if args.role in ("segmenter", "all"):
        tuning = {}
        for item in args.set:
            name, _, value = item.partition("=")
            tuning[name] = int(value) if value.lstrip("-").isdigit() else float(value)
        build_segmenter(args.out, tuning)
    if args.role in ("generator", "all"):
        build_generator(args.out)


if __name__ == "__main__":
    main()
