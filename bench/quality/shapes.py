#!/usr/bin/python3
"""Benchmark shapes for h3dpart: everyday objects and random clusters built
from primitives (box, cylinder, sphere, capsule, torus, cone), fused into ONE
watertight surface by marching cubes on the minimum of the primitives' signed
distance fields.

Ground truth per shape:
- labels: one part label per triangle = the primitive whose SDF is nearest
  zero at the triangle's centroid;
- parts: points sampled on the complete surface of each primitive alone
  (what a perfect part generator would produce, hidden regions included).

Usage: /usr/bin/python3 bench/quality/shapes.py OUTDIR [--res 112] [--random 6]
Writes OUTDIR/<name>.obj, <name>.labels.txt, <name>.parts.npz
"""
import argparse
import os

import numpy as np
from skimage import measure


# ---- primitives: each an SDF over points [M,3] (negative inside) ----------

def _rot(axis):
    """Rotation matrix that maps +z to the given axis."""
    a = np.asarray(axis, float)
    a = a / np.linalg.norm(a)
    z = np.array([0.0, 0.0, 1.0])
    v = np.cross(z, a)
    c = float(np.dot(z, a))
    if np.linalg.norm(v) < 1e-9:
        return np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx * (1.0 / (1.0 + c))


class Prim:
    def __init__(self, kind, center, axis=(0, 0, 1), **kw):
        self.kind = kind
        self.c = np.asarray(center, float)
        self.R = _rot(axis)
        self.kw = kw

    def local(self, p):
        return (p - self.c) @ self.R  # columns of R are the local axes

    def sdf(self, p):
        q = self.local(p)
        k = self.kw
        if self.kind == "box":
            h = np.asarray(k["half"], float)
            d = np.abs(q) - h
            return np.linalg.norm(np.maximum(d, 0), axis=1) + np.minimum(d.max(axis=1), 0)
        if self.kind == "sphere":
            return np.linalg.norm(q, axis=1) - k["r"]
        if self.kind == "cylinder":  # axis z, half height h
            d = np.stack([np.linalg.norm(q[:, :2], axis=1) - k["r"], np.abs(q[:, 2]) - k["h"]], 1)
            return np.linalg.norm(np.maximum(d, 0), axis=1) + np.minimum(d.max(axis=1), 0)
        if self.kind == "capsule":  # segment along z from -h to h
            z = np.clip(q[:, 2], -k["h"], k["h"])
            return np.linalg.norm(q - np.stack([0 * z, 0 * z, z], 1), axis=1) - k["r"]
        if self.kind == "torus":  # ring in the local xy plane
            a = np.linalg.norm(q[:, :2], axis=1) - k["R"]
            return np.sqrt(a * a + q[:, 2] ** 2) - k["r"]
        if self.kind == "cone":  # frustum along z: radius r0 at -h, r1 at +h
            r0, r1, h = k["r0"], k["r1"], k["h"]
            rho = np.linalg.norm(q[:, :2], axis=1)
            z = q[:, 2]
            # exact SDF of a capped cone (2D in (rho, z))
            k1 = np.array([r1, h])
            k2 = np.array([r1 - r0, 2.0 * h])
            ca = np.stack([rho - np.minimum(rho, np.where(z < 0, r0, r1)), np.abs(z) - h], 1)
            pq = np.stack([rho, z], 1)
            t = np.clip(((k1 - pq) @ k2) / (k2 @ k2), 0.0, 1.0)
            cb = pq - k1 + t[:, None] * k2
            s = np.where((cb[:, 0] < 0) & (ca[:, 1] < 0), -1.0, 1.0)
            return s * np.sqrt(np.minimum((ca ** 2).sum(1), (cb ** 2).sum(1)))
        raise ValueError(self.kind)


def B(c, half, axis=(0, 0, 1)):
    return Prim("box", c, axis, half=half)


def S(c, r):
    return Prim("sphere", c, r=r)


def Cy(c, r, h, axis=(0, 0, 1)):
    return Prim("cylinder", c, axis, r=r, h=h)


def Ca(c, r, h, axis=(0, 0, 1)):
    return Prim("capsule", c, axis, r=r, h=h)


def T(c, R, r, axis=(0, 0, 1)):
    return Prim("torus", c, axis, R=R, r=r)


def Co(c, r0, r1, h, axis=(0, 0, 1)):
    return Prim("cone", c, axis, r0=r0, r1=r1, h=h)


# ---- objects ---------------------------------------------------------------

def table():
    legs = [Cy((x, y, 0.35), 0.05, 0.37) for x in (-0.6, 0.6) for y in (-0.32, 0.32)]
    return [B((0, 0, 0.75), (0.8, 0.45, 0.05))] + legs


def chair():
    legs = [B((x, y, 0.22), (0.04, 0.04, 0.24)) for x in (-0.3, 0.3) for y in (-0.3, 0.3)]
    return [B((0, 0, 0.48), (0.36, 0.36, 0.05)), B((0, 0.27, 0.9), (0.33, 0.045, 0.4))] + legs


def mug():
    return [Cy((0, 0, 0), 0.35, 0.45), T((0.4, 0, 0), 0.22, 0.06, axis=(0, 1, 0))]


def lamp():
    return [Cy((0, 0, 0.04), 0.35, 0.04), Cy((0, 0, 0.6), 0.04, 0.58),
            Co((0, 0, 1.2), 0.4, 0.15, 0.22)]


def snowman():
    return [S((0, 0, 0.4), 0.42), S((0, 0, 1.0), 0.3), S((0, 0, 1.43), 0.2),
            Co((0, -0.28, 1.45), 0.05, 0.0, 0.12, axis=(0, -1, 0)),
            Ca((0.45, 0, 1.05), 0.05, 0.25, axis=(1, 0, 0.5)), Ca((-0.45, 0, 1.05), 0.05, 0.25, axis=(-1, 0, 0.5))]


def robot():
    return [B((0, 0, 0.9), (0.3, 0.2, 0.35)), B((0, 0, 1.42), (0.16, 0.14, 0.14)),
            Ca((0.42, 0, 0.95), 0.07, 0.25), Ca((-0.42, 0, 0.95), 0.07, 0.25),
            Cy((0.15, 0, 0.3), 0.09, 0.32), Cy((-0.15, 0, 0.3), 0.09, 0.32)]


def dumbbell():
    return [S((-0.55, 0, 0), 0.25), S((0.55, 0, 0), 0.25), Cy((0, 0, 0), 0.07, 0.45, axis=(1, 0, 0))]


def mushroom():
    return [Cy((0, 0, 0.3), 0.12, 0.3), Co((0, 0, 0.7), 0.45, 0.05, 0.15)]


OBJECTS = {"table": table, "chair": chair, "mug": mug, "lamp": lamp, "snowman": snowman,
           "robot": robot, "dumbbell": dumbbell, "mushroom": mushroom}


def random_cluster(seed):
    rng = np.random.default_rng(seed)
    prims = []
    n = int(rng.integers(3, 6))
    anchors = [np.zeros(3)]
    for i in range(n):
        kind = rng.choice(["box", "sphere", "cylinder", "capsule", "torus", "cone"])
        s = float(rng.uniform(0.15, 0.3))
        axis = rng.normal(size=3)
        if i == 0:
            c = np.zeros(3)
            s *= 1.4
        else:
            base = prims[int(rng.integers(0, len(prims)))]
            d = rng.normal(size=3)
            d /= np.linalg.norm(d)
            # walk out from the base's centre until we leave its surface, then sink in a bit
            t = 0.0
            while base.sdf((base.c + d * t)[None])[0] < 0 and t < 3:
                t += 0.01
            c = base.c + d * (t + 0.55 * s)
        if kind == "box":
            p = B(c, rng.uniform(0.5, 1.0, 3) * s, axis)
        elif kind == "sphere":
            p = S(c, s)
        elif kind == "cylinder":
            p = Cy(c, s * 0.5, s, axis)
        elif kind == "capsule":
            p = Ca(c, s * 0.4, s * 0.8, axis)
        elif kind == "torus":
            p = T(c, s * 0.8, s * 0.25, axis)
        else:
            p = Co(c, s * 0.7, s * 0.2, s * 0.8, axis)
        prims.append(p)
    return prims


# ---- fusing and ground truth ----------------------------------------------

def _grid(prims, res, pad=0.08):
    # bounds from a coarse scan
    lo = np.full(3, -3.0)
    hi = np.full(3, 3.0)
    g = np.stack(np.meshgrid(*[np.linspace(lo[i], hi[i], 61) for i in range(3)], indexing="ij"), -1).reshape(-1, 3)
    inside = g[np.min([p.sdf(g) for p in prims], axis=0) < 0.05]
    lo = inside.min(0) - pad - 0.1
    hi = inside.max(0) + pad + 0.1
    step = (hi - lo).max() / res
    dims = np.ceil((hi - lo) / step).astype(int) + 1
    axes = [lo[i] + step * np.arange(dims[i]) for i in range(3)]
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    return lo, step, dims, pts


def _march(field, lo, step, dims):
    vol = field.reshape(dims)
    v, f, _, _ = measure.marching_cubes(vol, 0.0, spacing=(step, step, step))
    v = v + lo
    # skimage orders these faces outward for a "negative inside" field
    return v, f


def sample_mesh(v, f, n, rng):
    a = np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1) * 0.5
    fi = rng.choice(len(f), size=n, p=a / a.sum())
    r1 = np.sqrt(rng.random(n))
    r2 = rng.random(n)
    w = np.stack([1 - r1, r1 * (1 - r2), r1 * r2], 1)
    return (v[f[fi]] * w[:, :, None]).sum(1)


def build(prims, res, rng):
    lo, step, dims, pts = _grid(prims, res)
    sd = np.stack([p.sdf(pts) for p in prims], 0)
    v, f = _march(sd.min(0), lo, step, dims)
    cent = v[f].mean(1)
    lab = np.argmin(np.abs(np.stack([p.sdf(cent) for p in prims], 0)), axis=0)
    parts = []
    for i, p in enumerate(prims):
        pv, pf = _march(sd[i], lo, step, dims)
        parts.append(sample_mesh(pv, pf, 6000, rng))
    # drop primitives that left no face (fully swallowed): relabel compactly
    used = np.unique(lab)
    remap = -np.ones(len(prims), int)
    remap[used] = np.arange(len(used))
    return v, f, remap[lab], [parts[i] for i in used]


def write_obj(path, v, f):
    with open(path, "w") as fh:
        fh.write("".join("v %.6f %.6f %.6f\n" % tuple(x) for x in v))
        fh.write("".join("f %d %d %d\n" % tuple(t + 1) for t in f))


def all_shapes(n_random):
    items = [(name, fn()) for name, fn in OBJECTS.items()]
    items += [("cluster%02d" % s, random_cluster(s)) for s in range(n_random)]
    return items


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--res", type=int, default=112)
    ap.add_argument("--random", type=int, default=6)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, prims in all_shapes(args.random):
        if args.only and name not in args.only:
            continue
        rng = np.random.default_rng(1234)
        v, f, lab, parts = build(prims, args.res, rng)
        write_obj(os.path.join(args.out, name + ".obj"), v, f)
        np.savetxt(os.path.join(args.out, name + ".labels.txt"), lab, fmt="%d")
        np.savez_compressed(os.path.join(args.out, name + ".parts.npz"), *parts)
        print("%-10s %6d faces %2d parts" % (name, len(f), len(parts)))


if __name__ == "__main__":
    main()
