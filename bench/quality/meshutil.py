"""Small mesh helpers for the quality benchmark (numpy/scipy only)."""
import json
import struct

import numpy as np
from scipy.spatial import cKDTree


def read_obj(path):
    v, f = [], []
    with open(path) as fh:
        for line in fh:
            if line.startswith("v "):
                v.append([float(x) for x in line.split()[1:4]])
            elif line.startswith("f "):
                idx = [int(t.split("/")[0]) - 1 for t in line.split()[1:]]
                for i in range(1, len(idx) - 1):
                    f.append([idx[0], idx[i], idx[i + 1]])
    return np.asarray(v, float), np.asarray(f, np.int64)


def write_obj(path, v, f):
    with open(path, "w") as fh:
        fh.write("".join("v %.6f %.6f %.6f\n" % tuple(x) for x in v))
        fh.write("".join("f %d %d %d\n" % tuple(t + 1) for t in f))


def read_glb_parts(path):
    """Returns [(name, vertices, faces)] for every mesh node of a GLB file,
    with node translations/rotations/scales/matrices applied."""
    data = open(path, "rb").read()
    magic, _, total = struct.unpack_from("<4sII", data, 0)
    if magic != b"glTF":
        raise ValueError("not a GLB file: " + path)
    off = 12
    js, binc = None, b""
    while off < total:
        ln, typ = struct.unpack_from("<II", data, off)
        chunk = data[off + 8: off + 8 + ln]
        if typ == 0x4E4F534A:
            js = json.loads(chunk)
        elif typ == 0x004E4942:
            binc = chunk
        off += 8 + ln
    ctypes = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}
    ncomp = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}

    def acc(i):
        a = js["accessors"][i]
        bv = js["bufferViews"][a["bufferView"]]
        dt = np.dtype(ctypes[a["componentType"]])
        n = ncomp[a["type"]]
        start = bv.get("byteOffset", 0) + a.get("byteOffset", 0)
        stride = bv.get("byteStride", 0) or dt.itemsize * n
        raw = np.frombuffer(binc, dtype=np.uint8, count=stride * (a["count"] - 1) + dt.itemsize * n, offset=start)
        out = np.lib.stride_tricks.as_strided(raw, shape=(a["count"], dt.itemsize * n), strides=(stride, 1))
        return np.frombuffer(out.copy().tobytes(), dtype=dt).reshape(a["count"], n)

    def node_matrix(nd):
        if "matrix" in nd:
            return np.asarray(nd["matrix"], float).reshape(4, 4).T
        m = np.eye(4)
        t = nd.get("translation", [0, 0, 0])
        q = nd.get("rotation", [0, 0, 0, 1])
        s = nd.get("scale", [1, 1, 1])
        x, y, z, w = q
        r = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                      [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                      [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
        m[:3, :3] = r * np.asarray(s)[None, :]
        m[:3, 3] = t
        return m

    out = []

    def visit(ni, parent):
        nd = js["nodes"][ni]
        m = parent @ node_matrix(nd)
        if "mesh" in nd:
            vs, fs = [], []
            base = 0
            for prim in js["meshes"][nd["mesh"]]["primitives"]:
                v = acc(prim["attributes"]["POSITION"]).astype(float)
                f = acc(prim["indices"]).reshape(-1, 3).astype(np.int64) if "indices" in prim else \
                    np.arange(len(v)).reshape(-1, 3)
                v = v @ m[:3, :3].T + m[:3, 3]
                vs.append(v)
                fs.append(f + base)
                base += len(v)
            name = nd.get("name") or js["meshes"][nd["mesh"]].get("name", "")
            out.append((name, np.concatenate(vs), np.concatenate(fs)))
        for c in nd.get("children", []):
            visit(c, m)

    scene = js["scenes"][js.get("scene", 0)]
    for ni in scene["nodes"]:
        visit(ni, np.eye(4))
    return out


def face_areas(v, f):
    return np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1) * 0.5


def sample_surface(v, f, n, seed):
    rng = np.random.default_rng(seed)
    a = face_areas(v, f)
    fi = rng.choice(len(f), size=n, p=a / a.sum())
    r1 = np.sqrt(rng.random(n))
    r2 = rng.random(n)
    w = np.stack([1 - r1, r1 * (1 - r2), r1 * r2], 1)
    p = (v[f[fi]] * w[:, :, None]).sum(1)
    nrm = np.cross(v[f[fi, 1]] - v[f[fi, 0]], v[f[fi, 2]] - v[f[fi, 0]])
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-20)
    return p, nrm, fi


def weld(v, f, tol=1e-7):
    key = np.round(v / tol).astype(np.int64)
    _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return v[first], inv.reshape(-1)[f]


def is_closed_manifold(v, f, tol=1e-7):
    """Every edge used by exactly two faces in opposite directions, and every
    vertex's faces form a single fan (checked after welding by position,
    vertices within about `tol` of each other taken as one)."""
    if len(f) == 0:
        return False
    v, f = weld(v, f, tol)
    if np.any((f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 0] == f[:, 2])):
        return False
    he = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    # directed edges unique, and each has its reverse
    hk = he[:, 0] * (len(v) + 1) + he[:, 1]
    if len(np.unique(hk)) != len(hk):
        return False
    rk = he[:, 1] * (len(v) + 1) + he[:, 0]
    if not np.all(np.isin(rk, hk)):
        return False
    # vertex fans: number of outgoing half-edges per vertex == size of the cycle
    nxt = {}
    for a, b, c in f.tolist():
        nxt[(a, b)] = c
        nxt[(b, c)] = a
        nxt[(c, a)] = b
    out = {}
    for (a, b) in nxt:
        out.setdefault(a, []).append(b)
    for a, bs in out.items():
        # walk around a: from half-edge (a,b) the next outgoing edge is (a, c) where c = prev of a in face
        succ = {}
        for b in bs:
            c = nxt[(a, b)]  # face (a,b,c): outgoing (a,b), incoming (c,a)
            succ[c] = b
        start = bs[0]
        cur = start
        steps = 0
        while True:
            cur = succ.get(cur)
            steps += 1
            if cur is None or steps > len(bs):
                return False
            if cur == start:
                break
        if steps != len(bs):
            return False
    return True


def chamfer_l1(a, b):
    """Symmetric mean nearest-neighbour distance (L2 distances, averaged)."""
    da, _ = cKDTree(b).query(a)
    db, _ = cKDTree(a).query(b)
    return 0.5 * (da.mean() + db.mean())


def sample_mesh_points(v, f, n, rng):
    a = face_areas(v, f)
    if a.sum() <= 0:
        return v[:1].repeat(n, 0)
    fi = rng.choice(len(f), size=n, p=a / a.sum())
    r1 = np.sqrt(rng.random(n))
    r2 = rng.random(n)
    w = np.stack([1 - r1, r1 * (1 - r2), r1 * r2], 1)
    return (v[f[fi]] * w[:, :, None]).sum(1)
