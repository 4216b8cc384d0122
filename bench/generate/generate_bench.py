#!/usr/bin/python3
"""Generated parts against the input, on a PSB-layout folder (off/N.off,
seg/N/N_k.seg). Every mesh is generated with its first human segmentation as
the labels (`h3dpart generate IN --labels seg/N/N_0.seg`), so the segmenter's
errors do not count, and is measured per part:

- time and peak RSS of the run (the CLI's JSON report);
- closed: every edge used by exactly two triangles, once each way, and
  still so with vertices welded by position (within 1e-7 of the diagonal;
  every vertex then one fan), so a part whose surface touches itself does
  not pass;
- visible-surface error: distance from points on the part's input triangles
  to its generated mesh, mean / p95, % of the input's bounding-box diagonal;
- normal deviation: angle between the input normal there and the normal of
  the nearest generated triangle (median, degrees);
- triangles out / in (and the worst part's ratio);
- neighbour-shell coverage: the share of a part's visible surface where
  another part's hidden geometry (its generated surface farther than 0.3 %
  of the diagonal from its own input) is the nearest within 0.3 % and lies
  above it or less than 0.02 % of the diagonal below (where it would show
  through, or z-fight as speckles); at least 1000 samples per part (1 %
  was 2 samples of 200 before). Each mesh draws its samples from its
  own seed (its number), so a run with --ids gives the same figures as
  the whole split.

  /usr/bin/python3 bench/generate/generate_bench.py --psb PSB_DIR
        [--cli build/release/app/h3dpart] [--ids 1,101] [--million] [--max-triangles N]
        [--field] [--json OUT]

--field measures the generator's field path (every part marched from the
field, `h3dpart generate --field`) instead of the default (own triangles
closed by caps). Parts whose neighbour-shell cover is 1 % or more are named
under their mesh's line.

--million also generates a ~1M-triangle mesh (PSB 101 subdivided 4x4x4,
labels carried over; written to a temporary folder) and reports its time and
peak RSS. The data stays where it is: nothing is copied into the repository.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "quality"))
import meshutil  # noqa: E402

CATS = [(1, 20, "Human"), (21, 40, "Cup"), (41, 60, "Glasses"), (61, 80, "Airplane"), (81, 100, "Ant"),
        (101, 120, "Chair"), (121, 140, "Octopus"), (141, 160, "Table"), (161, 180, "Teddy"),
        (181, 200, "Hand"), (201, 220, "Plier"), (221, 240, "Fish"), (241, 260, "Bird"),
        (281, 300, "Armadillo"), (301, 320, "Bust"), (321, 340, "Mech"), (341, 360, "Bearing"),
        (361, 380, "Vase"), (381, 400, "Fourleg")]


def category(i):
    for a, b, n in CATS:
        if a <= i <= b:
            return n
    return "?"


def read_off(path):
    with open(path) as f:
        words = f.read().split()
    if words[0] == "OFF":
        words = words[1:]
    elif words[0].startswith("OFF"):
        words[0] = words[0][3:]
    nv, nf = int(words[0]), int(words[1])
    v = np.array(words[3:3 + 3 * nv], dtype=np.float64).reshape(nv, 3)
    rest = np.array(words[3 + 3 * nv:], dtype=np.int64)
    faces = []
    i = 0
    for _ in range(nf):
        n = rest[i]
        poly = rest[i + 1:i + 1 + n]
        for j in range(1, n - 1):
            faces.append((poly[0], poly[j], poly[j + 1]))
        i += n + 1
    return v, np.array(faces, dtype=np.int64)


def write_off(path, v, f):
    with open(path, "w") as out:
        out.write("OFF\n%d %d 0\n" % (len(v), len(f)))
        np.savetxt(out, v, fmt="%.7g")
        np.savetxt(out, np.hstack([np.full((len(f), 1), 3), f]), fmt="%d")


def read_obj_parts(path):
    """{label: (vertices, faces)} from the CLI's OBJ (one group part_<k> each)."""
    verts = []
    groups = {}
    cur = None
    with open(path) as f:
        for line in f:
            if line.startswith("v "):
                verts.append(line.split()[1:4])
            elif line.startswith("f "):
                groups[cur].append([int(x.split("/")[0]) - 1 for x in line.split()[1:4]])
            elif line.startswith(("g ", "o ")):
                name = line.split()[1]
                cur = int(name.rsplit("_", 1)[1]) if name.rsplit("_", 1)[-1].isdigit() else name
                groups.setdefault(cur, [])
    V = np.array(verts, dtype=np.float64).reshape(-1, 3)
    out = {}
    for k, fl in groups.items():
        F = np.array(fl, dtype=np.int64).reshape(-1, 3)
        used = np.unique(F)
        remap = np.full(len(V), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        out[k] = (V[used], remap[F])
    return out


def closed_manifold(F):
    if len(F) == 0:
        return False
    e = np.concatenate([F[:, [0, 1]], F[:, [1, 2]], F[:, [2, 0]]])
    n = F.max() + 1
    directed = e[:, 0] * n + e[:, 1]
    if len(np.unique(directed)) != len(directed):
        return False
    rev = e[:, 1] * n + e[:, 0]
    return bool(np.isin(rev, directed).all())


def face_normals(V, F):
    n = np.cross(V[F[:, 1]] - V[F[:, 0]], V[F[:, 2]] - V[F[:, 0]])
    a = np.linalg.norm(n, axis=1)
    return n / np.maximum(a, 1e-30)[:, None], 0.5 * a


def sample(V, F, count, rng):
    _, area = face_normals(V, F)
    if area.sum() <= 0:
        return np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
    fi = rng.choice(len(F), size=count, p=area / area.sum())
    r1 = np.sqrt(rng.random(count))
    r2 = rng.random(count)
    a, b, c = V[F[fi, 0]], V[F[fi, 1]], V[F[fi, 2]]
    p = (1 - r1)[:, None] * a + (r1 * (1 - r2))[:, None] * b + (r1 * r2)[:, None] * c
    return p, fi


def point_triangle(p, a, b, c):
    """Closest points on triangles (a,b,c) to points p (all [M,3]); Ericson's regions."""
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = (ab * ap).sum(1), (ac * ap).sum(1)
    bp = p - b
    d3, d4 = (ab * bp).sum(1), (ac * bp).sum(1)
    cp = p - c
    d5, d6 = (ab * cp).sum(1), (ac * cp).sum(1)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    den = np.where(np.abs(va + vb + vc) > 1e-300, va + vb + vc, 1e-300)
    v = vb / den
    w = vc / den
    res = a + ab * v[:, None] + ac * w[:, None]
    # edges and vertices
    m = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    t = d1 / np.where(d1 - d3 != 0, d1 - d3, 1)
    res[m] = (a + ab * t[:, None])[m]
    m2 = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    t = d2 / np.where(d2 - d6 != 0, d2 - d6, 1)
    res[m2] = (a + ac * t[:, None])[m2]
    m3 = (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0)
    t = (d4 - d3) / np.where((d4 - d3) + (d5 - d6) != 0, (d4 - d3) + (d5 - d6), 1)
    res[m3] = (b + (c - b) * t[:, None])[m3]
    res[(d1 <= 0) & (d2 <= 0)] = a[(d1 <= 0) & (d2 <= 0)]
    res[(d3 >= 0) & (d4 <= d3)] = b[(d3 >= 0) & (d4 <= d3)]
    res[(d6 >= 0) & (d5 <= d6)] = c[(d6 >= 0) & (d5 <= d6)]
    return res


class Surface:
    """Nearest-triangle queries: candidates from the triangles whose centroids
    are nearest, then exact point-triangle distances."""

    def __init__(self, V, F):
        self.V, self.F = V, F
        self.normals, _ = face_normals(V, F)
        self.tree = cKDTree(V[F].mean(axis=1))

    def nearest(self, p, k=24):
        k = min(k, len(self.F))
        _, cand = self.tree.query(p, k=k)
        cand = cand.reshape(len(p), k)
        best = np.full(len(p), np.inf)
        bestf = np.zeros(len(p), dtype=np.int64)
        for j in range(k):
            f = self.F[cand[:, j]]
            q = point_triangle(p, self.V[f[:, 0]], self.V[f[:, 1]], self.V[f[:, 2]])
            d = np.linalg.norm(q - p, axis=1)
            better = d < best
            best[better] = d[better]
            bestf[better] = cand[better, j]
        return best, bestf


def measure(V, F, labels, parts, rng, samples=20000):
    diag = float(np.linalg.norm(V.max(0) - V.min(0)))
    nrm, area = face_normals(V, F)
    ids = sorted(k for k in np.unique(labels) if k >= 0)
    vis = {}
    for k in ids:
        sel = np.nonzero(labels == k)[0]
        share = area[sel].sum() / area.sum()
        cnt = max(1000, int(samples * share))
        p, fi = sample(V, F[sel], cnt, rng)
        vis[k] = (p, nrm[sel][fi])
    per = {}
    hidden = []  # generated points of each part away from its own input surface
    for k in ids:
        inF = int((labels == k).sum())
        row = {"in": inF, "out": 0, "closed": False, "err": np.array([]), "ang": np.array([])}
        if k in parts and len(parts[k][1]):
            GV, GF = parts[k]
            row["out"] = len(GF)
            row["closed"] = closed_manifold(GF) and meshutil.is_closed_manifold(GV, GF, 1e-7 * diag)
            surf = Surface(GV, GF)
            d, f = surf.nearest(vis[k][0])
            row["err"] = d / diag * 100
            cosang = np.clip((surf.normals[f] * vis[k][1]).sum(1), -1, 1)
            row["ang"] = np.degrees(np.arccos(cosang))
            _, garea = face_normals(GV, GF)
            gcount = int(min(200000, max(2000, garea.sum() / (0.002 * diag) ** 2)))
            gp, _ = sample(GV, GF, gcount, rng)
            own = Surface(V, F[labels == k])
            dg, _ = own.nearest(gp, k=8)
            hidden.append((k, gp[dg > 0.003 * diag]))
        per[k] = row
    for k in ids:
        others = np.concatenate([h for (j, h) in hidden if j != k] or [np.zeros((0, 3))])
        p, n = vis[k]
        if len(others) == 0:
            per[k]["cover"] = 0.0
            continue
        tree = cKDTree(others)
        dist, j = tree.query(p, k=1, distance_upper_bound=0.003 * diag)
        found = np.isfinite(dist)
        height = np.full(len(p), -np.inf)
        height[found] = ((others[j[found]] - p[found]) * n[found]).sum(1)
        per[k]["cover"] = float((height >= -0.0002 * diag).mean())
    return per


def run_generate(cli, off, seg, workdir, models=None, extra=()):
    out = os.path.join(workdir, "parts.obj")
    rep = os.path.join(workdir, "report.json")
    cmd = [cli, "--quiet", "--device", "cpu"] + (["--models", models] if models else []) + \
          ["generate", off, "--labels", seg, "-o", out, "--json", rep] + list(extra)
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()[-400:]))
    with open(rep) as f:
        report = json.load(f)
    return out, report, wall


def peak_rss_mb(report):
    for key in ("peak_rss_bytes", "peakRssBytes", "peak_rss"):
        if key in report:
            return report[key] / 2 ** 20
    for v in report.values():
        if isinstance(v, dict):
            r = peak_rss_mb(v)
            if r is not None:
                return r
    return None


def stage_seconds(report, name):
    st = report.get("stages_s", {})
    if isinstance(st, dict) and name in st:
        v = st[name]
        return v if isinstance(v, (int, float)) else v.get("seconds", v.get("wall_s"))
    return None


def subdivide(V, F, labels, times):
    for _ in range(times):
        e = np.concatenate([F[:, [0, 1]], F[:, [1, 2]], F[:, [2, 0]]])
        e.sort(axis=1)
        uniq, inv = np.unique(e, axis=0, return_inverse=True)
        mid = len(V) + inv.reshape(3, -1).T
        V = np.vstack([V, 0.5 * (V[uniq[:, 0]] + V[uniq[:, 1]])])
        a, b, c = F[:, 0], F[:, 1], F[:, 2]
        ab, bc, ca = mid[:, 0], mid[:, 1], mid[:, 2]
        F = np.concatenate([np.stack([a, ab, ca], 1), np.stack([ab, b, bc], 1),
                            np.stack([ca, bc, c], 1), np.stack([ab, bc, ca], 1)])
        labels = np.tile(labels, 4)
    return V, F, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--psb", required=True)
    ap.add_argument("--cli", default="build/release/app/h3dpart")
    ap.add_argument("--models")
    ap.add_argument("--ids")
    ap.add_argument("--million", action="store_true")
    ap.add_argument("--max-triangles", type=int)
    ap.add_argument("--field", action="store_true", help="generate --field (every part from the field)")
    ap.add_argument("--json")
    a = ap.parse_args()
    ids = sorted(int(x[:-4]) for x in os.listdir(os.path.join(a.psb, "off")) if x.endswith(".off"))
    if a.ids:
        want = {int(x) for x in a.ids.split(",")}
        ids = [i for i in ids if i in want]
    extra = ["--max-triangles", str(a.max_triangles)] if a.max_triangles else []
    if a.field:
        extra.append("--field")
    work = tempfile.mkdtemp(prefix="h3d-psbgen-")
    rows = []
    for i in ids:
        rng = np.random.default_rng(i)  # each mesh its own samples: a run with --ids measures the same
        off = os.path.join(a.psb, "off", "%d.off" % i)
        seg = os.path.join(a.psb, "seg", str(i), "%d_0.seg" % i)
        if not os.path.exists(seg):
            continue
        V, F = read_off(off)
        labels = np.loadtxt(seg, dtype=np.int64).reshape(-1)
        if len(labels) != len(F):
            print("%d: %d labels for %d faces, skipped" % (i, len(labels), len(F)), file=sys.stderr)
            continue
        out, report, wall = run_generate(a.cli, off, seg, work, a.models, extra)
        parts = read_obj_parts(out)
        per = measure(V, F, labels, parts, rng)
        err = np.concatenate([r["err"] for r in per.values()])
        ang = np.concatenate([r["ang"] for r in per.values()])
        row = {"id": i, "category": category(i), "faces": len(F), "parts": len(per),
               "closed": sum(r["closed"] for r in per.values()),
               "generate_s": stage_seconds(report, "generate"), "wall_s": wall,
               "rss_mb": peak_rss_mb(report),
               "err_mean": float(err.mean()) if len(err) else None,
               "err_p95": float(np.percentile(err, 95)) if len(err) else None,
               "ang_median": float(np.median(ang)) if len(ang) else None,
               "tri_out": sum(r["out"] for r in per.values()), "tri_in": len(F),
               "worst_ratio": max(r["out"] / max(r["in"], 1) for r in per.values()),
               "cover_max": max(r.get("cover", 0) for r in per.values()),
               "cover_mean": float(np.mean([r.get("cover", 0) for r in per.values()])),
               "cover_parts": sum(1 for r in per.values() if r.get("cover", 0) >= 0.01)}
        rows.append(row)
        print("%4d %-9s %6d f %2d parts  gen %.2f s  %4.0f MB  closed %d/%d  err %.3f/%.3f %%  "
              "ang %.2f deg  tri %d/%d (worst part %.2fx)  cover max %.2f %%" % (
                  i, row["category"], row["faces"], row["parts"], row["generate_s"] or -1,
                  row["rss_mb"] or -1, row["closed"], row["parts"], row["err_mean"], row["err_p95"],
                  row["ang_median"], row["tri_out"], row["tri_in"], row["worst_ratio"],
                  100 * row["cover_max"]), flush=True)
        for k, r in sorted(per.items()):
            if r.get("cover", 0) >= 0.01:
                print("     part %d (%d faces): neighbour-shell cover %.2f %%" % (k, r["in"], 100 * r["cover"]),
                      flush=True)
    print("\n| category | meshes | generate s (max) | peak RSS MB (max) | closed | err mean / p95 % | "
          "normal dev. median deg | triangles out / in | worst part out/in | parts with cover >= 1 % |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    cats = [c for _, _, c in CATS if any(r["category"] == c for r in rows)] + ["all"]
    for c in cats:
        rs = [r for r in rows if c == "all" or r["category"] == c]
        if not rs:
            continue
        g = [r["generate_s"] for r in rs if r["generate_s"] is not None]
        print("| %s | %d | %.2f (%.2f) | %.0f (%.0f) | %d/%d | %.3f / %.3f | %.2f | %d / %d | %.2f | %d |" % (
            c, len(rs), np.mean(g), np.max(g), np.mean([r["rss_mb"] for r in rs]),
            np.max([r["rss_mb"] for r in rs]), sum(r["closed"] for r in rs), sum(r["parts"] for r in rs),
            np.mean([r["err_mean"] for r in rs]), np.mean([r["err_p95"] for r in rs]),
            np.median([r["ang_median"] for r in rs]), sum(r["tri_out"] for r in rs),
            sum(r["tri_in"] for r in rs), max(r["worst_ratio"] for r in rs),
            sum(r["cover_parts"] for r in rs)))
    million = None
    if a.million:
        V, F = read_off(os.path.join(a.psb, "off", "101.off"))
        labels = np.loadtxt(os.path.join(a.psb, "seg", "101", "101_0.seg"), dtype=np.int64).reshape(-1)
        V, F, labels = subdivide(V, F, labels, 3)
        off = os.path.join(work, "million.off")
        seg = os.path.join(work, "million.seg")
        write_off(off, V, F)
        np.savetxt(seg, labels, fmt="%d")
        out, report, wall = run_generate(a.cli, off, seg, work, a.models, extra)
        parts = read_obj_parts(out)
        closed = sum(closed_manifold(p[1]) for p in parts.values())
        million = {"faces": len(F), "generate_s": stage_seconds(report, "generate"), "wall_s": wall,
                   "rss_mb": peak_rss_mb(report), "closed": closed, "parts": len(parts),
                   "tri_out": sum(len(p[1]) for p in parts.values())}
        print("\n1M: %d faces, generate %.2f s (whole run %.2f s), peak RSS %.0f MB, closed %d/%d, "
              "triangles out %d" % (len(F), million["generate_s"] or -1, wall, million["rss_mb"] or -1,
                                   closed, len(parts), million["tri_out"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meshes": rows, "million": million}, f, indent=1)


if __name__ == "__main__":
    main()
