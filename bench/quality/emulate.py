"""A Python emulation of the h3dpart host pipeline around the default
TorchScript models, used to prototype and tune the models before (and
independently of) the C++ CLI. Mirrors core/src/pipeline_*.cpp."""
import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from skimage import measure

from meshutil import face_areas, sample_surface


def normalization(v):
    lo, hi = v.min(0), v.max(0)
    c = (lo + hi) / 2
    s = 1.0 / max((hi - lo).max(), 1e-12)
    return c, s


def face_adjacency(f):
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    fid = np.tile(np.arange(len(f)), 3)
    e = np.sort(e, 1)
    key = e[:, 0] * (f.max() + 1) + e[:, 1]
    order = np.argsort(key, kind="stable")
    key, fid = key[order], fid[order]
    same = key[1:] == key[:-1]
    return np.stack([fid[:-1][same], fid[1:][same]], 1)


def clean_labels(v, f, lab, min_frac):
    adj = face_adjacency(f)
    area = face_areas(v, f)
    total = area.sum()
    for _ in range(3):
        # islands: keep the largest connected piece of each label
        same = lab[adj[:, 0]] == lab[adj[:, 1]]
        g = coo_matrix((np.ones(same.sum()), (adj[same, 0], adj[same, 1])), shape=(len(f), len(f)))
        ncomp, comp = connected_components(g, directed=False)
        carea = np.bincount(comp, weights=area, minlength=ncomp)
        clab = np.zeros(ncomp, int)
        clab[comp] = lab
        best = {}
        for c in range(ncomp):
            l = clab[c]
            if l not in best or carea[c] > carea[best[l]]:
                best[l] = c
        keep = np.zeros(ncomp, bool)
        keep[list(best.values())] = True
        # labels whose area is too small also go
        larea = np.bincount(lab, weights=area)
        small_label = larea < min_frac * total
        drop = ~keep | small_label[clab]
        if not drop.any():
            break
        # absorb dropped pieces into the neighbour sharing the longest border
        cross = comp[adj[:, 0]] != comp[adj[:, 1]]
        a, b = comp[adj[cross, 0]], comp[adj[cross, 1]]
        ea = np.concatenate([a, b])
        eb = np.concatenate([b, a])
        sel = drop[ea] & ~drop[eb]
        if not sel.any():
            break
        newlab = clab.copy()
        counts = {}
        for x, y in zip(ea[sel], eb[sel]):
            counts.setdefault(x, {}).setdefault(clab[y], 0)
            counts[x][clab[y]] += 1
        for x, d in counts.items():
            newlab[x] = max(d.items(), key=lambda t: t[1])[0]
        lab = newlab[comp]
    _, lab = np.unique(lab, return_inverse=True)
    return lab


def segment(v, f, seg_model, n_samples=20000, seed=0, postprocess=True, min_frac=0.004):
    c, s = normalization(v)
    p, nrm, fi = sample_surface(v, f, n_samples, seed)
    pn = (p - c) * s
    with torch.no_grad():
        masks, scores = seg_model(torch.tensor(pn, dtype=torch.float32), torch.tensor(nrm, dtype=torch.float32),
                                  torch.zeros(0, 3))
    plab = masks.argmax(0).numpy()
    # face labels: votes of the samples on the face, else the nearest sample
    nf = len(f)
    k = masks.shape[0]
    votes = np.zeros((nf, k))
    np.add.at(votes, (fi, plab), 1)
    lab = votes.argmax(1)
    none = votes.sum(1) == 0
    if none.any():
        cent = ((v[f[none]].mean(1)) - c) * s
        _, j = cKDTree(pn).query(cent)
        lab[none] = plab[j]
    if postprocess:
        lab = clean_labels(v, f, lab, min_frac)
    else:
        _, lab = np.unique(lab, return_inverse=True)
    return lab


def part_boxes(vn, f, lab, k):
    boxes = np.zeros((k, 6), np.float32)
    for i in range(k):
        pv = vn[np.unique(f[lab == i])]
        boxes[i, :3] = pv.min(0)
        boxes[i, 3:] = pv.max(0)
    return boxes


def generate(v, f, lab, enc, dec, n_samples=30000, seed=0, res=64):
    c, s = normalization(v)
    vn = (v - c) * s
    p, nrm, fi = sample_surface(vn, f, n_samples, seed)
    plab = lab[fi]
    k = lab.max() + 1
    boxes = part_boxes(vn, f, lab, k)
    out = []
    with torch.no_grad():
        feats = enc(torch.tensor(p, dtype=torch.float32), torch.tensor(nrm, dtype=torch.float32),
                    torch.tensor(plab), torch.tensor(boxes))
        for i in range(k):
            lo, hi = boxes[i, :3].astype(float), boxes[i, 3:].astype(float)
            step = max((hi - lo).max(), 1e-3) / res
            lo = lo - 2.5 * step
            hi = hi + 2.5 * step
            dims = np.ceil((hi - lo) / step).astype(int) + 1
            axes = [lo[j] + step * np.arange(dims[j]) for j in range(3)]
            q = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
            fld = dec(feats, torch.tensor(plab), torch.tensor([i]), torch.tensor(boxes),
                      torch.tensor(q, dtype=torch.float32)).numpy().reshape(dims)
            fld[0, :, :] = fld[-1, :, :] = fld[:, 0, :] = fld[:, -1, :] = fld[:, :, 0] = fld[:, :, -1] = 1.0
            if fld.min() >= 0:
                continue
            mv, mf, _, _ = measure.marching_cubes(fld, 0.0, spacing=(step, step, step))
            mv = (mv + lo) / s + c
            out.append((i, mv, mf))
    return out


def cut_by_labels(v, f, lab):
    out = []
    for i in range(lab.max() + 1):
        pf = f[lab == i]
        used, inv = np.unique(pf, return_inverse=True)
        out.append((i, v[used], inv.reshape(-1, 3)))
    return out
