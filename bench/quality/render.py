#!/usr/bin/python3
"""Renders a part file (GLB with part_<k> nodes, or OBJ + labels) to a PNG with
matplotlib, one colour per part, from two viewpoints.

  /usr/bin/python3 bench/quality/render.py IN.glb OUT.png [--labels FILE --mesh IN.obj] [--explode 0.3]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import meshutil  # noqa: E402

import matplotlib  # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from mpl_toolkits.mplot3d.art3d import Poly3DCollection  # noqa: E402

COLORS = plt.get_cmap("tab10").colors


def load(args):
    if args.labels:
        if args.mesh.endswith(".obj"):
            v, f = meshutil.read_obj(args.mesh)
        else:
            parts = meshutil.read_glb_parts(args.mesh)
            v = np.concatenate([p[1] for p in parts])
            off = np.cumsum([0] + [len(p[1]) for p in parts])[:-1]
            f = np.concatenate([p[2] + o for p, o in zip(parts, off)])
        lab = np.loadtxt(args.labels, dtype=np.int64).reshape(-1)
        return [(int(k), v, f[lab == k]) for k in np.unique(lab)]
    out = []
    for i, (name, v, f) in enumerate(meshutil.read_glb_parts(args.input)):
        k = int(name.split("_")[-1]) if name.startswith("part_") else i
        out.append((k, v, f))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--labels")
    ap.add_argument("--mesh")
    ap.add_argument("--explode", type=float, default=0.0)
    ap.add_argument("--max-faces", type=int, default=150000)
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    if args.labels and not args.mesh:
        args.mesh = args.input
    parts = load(args)
    allv = np.concatenate([v[np.unique(f)] for _, v, f in parts if len(f)])
    center = (allv.max(0) + allv.min(0)) / 2
    radius = (allv.max(0) - allv.min(0)).max() / 2 * (1 + args.explode) * 0.75
    fig = plt.figure(figsize=(12, 6))
    plt.subplots_adjust(0, 0, 1, 1, 0, 0)
    light = np.array([0.4, -0.5, 0.8])
    light /= np.linalg.norm(light)
    total = sum(len(f) for _, _, f in parts)
    for vi, (elev, azim) in enumerate([(20, -60), (-25, 120)]):
        ax = fig.add_subplot(1, 2, vi + 1, projection="3d")
        for k, v, f in parts:
            if len(f) == 0:
                continue
            if total > args.max_faces:
                f = f[:: int(np.ceil(total / args.max_faces))]
            tri = v[f]
            if args.explode:
                c = tri.reshape(-1, 3).mean(0)
                tri = tri + (c - center) * args.explode
            n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
            n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-20)
            shade = 0.35 + 0.65 * np.abs(n @ light)
            base = np.array(COLORS[k % 10])
            fc = np.clip(base[None, :] * shade[:, None], 0, 1)
            pc = Poly3DCollection(tri, facecolors=fc, edgecolors=fc, linewidths=0.3, antialiased=False)
            ax.add_collection3d(pc)
        for a, setl in enumerate([ax.set_xlim, ax.set_ylim, ax.set_zlim]):
            setl(center[a] - radius, center[a] + radius)
        ax.view_init(elev=elev, azim=azim)
        ax.set_box_aspect((1, 1, 1))
        ax.set_axis_off()
    fig.suptitle(args.title or os.path.basename(args.input))
    fig.tight_layout()
    fig.savefig(args.output, dpi=80)


if __name__ == "__main__":
    main()
