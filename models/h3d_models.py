"""The default h3dpart models, written as TorchScript-able torch modules.

The segmenter is in h3d_segmenter.py; this module holds the shared
neighbour searches and the generator.

Generator: stage "encode" turns the labelled points into per-point features
(position, normal, a confidence weight that is low near another part's
points, the local sample spacing). Stage "decode" evaluates, for one part, an
implicit moving-least-squares signed distance (a Gaussian-weighted mean of
the distances to the tangent planes of the part's k nearest points) at the
query points and intersects it with the part's box, so a part that went into
a neighbour ends in a flat cap where it disappeared. Far from the part's own
samples it is also kept one sample spacing under the whole shape's surface,
so a hidden continuation does not show through a neighbour.

Every constant lives in a registered buffer so the model manager can count
the bytes and move them with the module.
"""
from typing import List, Tuple

import torch
from torch import Tensor, nn


def knn(queries: Tensor, points: Tensor, k: int, chunk: int) -> Tuple[Tensor, Tensor]:
    """Exact k nearest points of every query by brute force (chunked)."""
    dists: List[Tensor] = []
    idxs: List[Tensor] = []
    m = queries.shape[0]
    for s in range(0, m, chunk):
        d = torch.cdist(queries[s:s + chunk], points)
        v, i = torch.topk(d, k, dim=1, largest=False, sorted=True)
        dists.append(v)
        idxs.append(i)
    if len(dists) == 0:
        return (torch.zeros(0, k, dtype=queries.dtype, device=queries.device),
                torch.zeros(0, k, dtype=torch.long, device=queries.device))
    return torch.cat(dists, 0), torch.cat(idxs, 0)


def grid_cells(queries: Tensor, points: Tensor, cell: float, dense_limit: int) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """The grid both k-NN searches bucket into (cells of side `cell`, an empty
    ring around): the points' order by cell, each query's cell key, the key
    offsets of the 27 cells around a cell, each occupied cell's key, run start
    and count, and the same runs as tables over the whole grid when it has at
    most `dense_limit` cells (else the tables are empty)."""
    dev = queries.device
    lo = torch.minimum(points.min(dim=0).values, queries.min(dim=0).values) - cell
    pc = torch.floor((points - lo) / cell).long() + 1
    qc = torch.floor((queries - lo) / cell).long() + 1
    dims = torch.maximum(pc.max(dim=0).values, qc.max(dim=0).values) + 2
    d1 = int(dims[1].item())
    d2 = int(dims[2].item())
    key = (pc[:, 0] * d1 + pc[:, 1]) * d2 + pc[:, 2]
    order = torch.argsort(key)
    ucell, counts = torch.unique_consecutive(key[order], return_counts=True)
    starts = torch.cumsum(counts, 0) - counts
    offs: List[int] = []
    for dx in range(-1, 2):
        for dy in range(-1, 2):
            for dz in range(-1, 2):
                offs.append((dx * d1 + dy) * d2 + dz)
    delta = torch.tensor(offs, dtype=torch.long, device=dev)
    qkey = (qc[:, 0] * d1 + qc[:, 1]) * d2 + qc[:, 2]
    total = int(dims[0].item()) * d1 * d2
    start_tab = torch.zeros(0, dtype=torch.long, device=dev)
    count_tab = torch.zeros(0, dtype=torch.long, device=dev)
    if total <= dense_limit:
        start_tab = torch.zeros(total, dtype=torch.long, device=dev)
        count_tab = torch.zeros(total, dtype=torch.long, device=dev)
        start_tab[ucell] = starts
        count_tab[ucell] = counts
    return order, qkey, delta, ucell, starts, counts, start_tab, count_tab


def cell_runs(nk: Tensor, ucell: Tensor, starts: Tensor, counts: Tensor, start_tab: Tensor,
              count_tab: Tensor) -> Tuple[Tensor, Tensor]:
    """Where the run of each cell key in `nk` starts in the points' order, and
    its length (0 for an empty cell), from grid_cells' tables or, without
    them, a binary search of the occupied cells."""
    if start_tab.shape[0] > 0:
        flat = nk.reshape(-1)
        return (start_tab.index_select(0, flat).reshape(nk.shape),
                count_tab.index_select(0, flat).reshape(nk.shape))
    pos = torch.searchsorted(ucell, nk.reshape(-1)).clamp_max(ucell.shape[0] - 1).reshape(nk.shape)
    return starts[pos], torch.where(ucell[pos] == nk, counts[pos], torch.zeros_like(pos))


def grid_knn(queries: Tensor, points: Tensor, k: int, cell: float, max_per_cell: int) -> Tuple[Tensor, Tensor]:
    """k nearest points among those in the 3x3x3 grid cells around each query.
    Exact when the k-th neighbour is closer than `cell`; missing neighbours
    come back with distance +inf (index 0). Candidates are gathered into one
    flat list (no padding), sorted by (query, distance), and the first k of
    every query's run are kept. `max_per_cell` is unused (kept for callers)."""
    dev = queries.device
    m = queries.shape[0]
    inf = float("inf")
    if points.shape[0] == 0 or m == 0:
        return (torch.full([m, k], inf, device=dev), torch.zeros(m, k, dtype=torch.long, device=dev))
    order, qkey, delta, ucell, starts, counts, start_tab, count_tab = grid_cells(queries, points, cell, 1 << 25)
    ar = torch.arange(k, device=dev)
    out_d: List[Tensor] = []
    out_i: List[Tensor] = []
    chunk = 16384
    for s in range(0, m, chunk):
        q = queries[s:s + chunk]
        c = q.shape[0]
        nk = qkey[s:s + chunk].unsqueeze(1) + delta.unsqueeze(0)          # [c,27]
        st, cnt = cell_runs(nk, ucell, starts, counts, start_tab, count_tab)
        cnt = cnt.reshape(-1)
        st = st.reshape(-1)
        run_off = torch.cumsum(cnt, 0) - cnt
        length = int(cnt.sum().item())
        qtot = cnt.reshape(c, 27).sum(dim=1)                              # candidates per query
        if length == 0:
            out_d.append(torch.full([c, k], inf, device=dev))
            out_i.append(torch.zeros(c, k, dtype=torch.long, device=dev))
            continue
        flat = torch.arange(length, device=dev)
        slot = torch.repeat_interleave(torch.arange(c * 27, device=dev), cnt)
        cand = order[st[slot] + flat - run_off[slot]]
        qid = torch.div(slot, 27, rounding_mode="floor")
        dist = (points[cand] - q[qid]).norm(p=2, dim=1)
        span = float(dist.max().item()) * 2.0 + 1.0
        skey2 = qid.to(torch.float64) * span + dist.to(torch.float64)
        srt = torch.argsort(skey2)
        qstart = torch.cumsum(qtot, 0) - qtot
        take = qstart.unsqueeze(1) + ar.unsqueeze(0)                       # [c,k]
        valid = ar.unsqueeze(0) < qtot.unsqueeze(1)
        take = take.clamp_max(length - 1)
        sel = srt[take]
        v = torch.where(valid, dist[sel], torch.full([c, k], inf, device=dev))
        i = torch.where(valid, cand[sel], torch.zeros(c, k, dtype=torch.long, device=dev))
        out_d.append(v)
        out_i.append(i)
    return torch.cat(out_d, 0), torch.cat(out_i, 0)


def surface_cell(points: Tensor, k: int) -> float:
    """A grid cell size for which the k nearest surface samples of a point
    usually lie in its 3x3x3 block (about 2k/3 points per occupied cell)."""
    n = points.shape[0]
    ext = float((points.max(dim=0).values - points.min(dim=0).values).max().item())
    ext = max(ext, 1e-6)
    target = max(2.0 * k / 3.0, 4.0)
    cell = ext / max((n / target) ** 0.5, 1.0)
    for _ in range(3):
        key = torch.floor((points - points.min(dim=0).values) / cell).long()
        span = key.max(dim=0).values + 1
        lin = (key[:, 0] * span[1] + key[:, 1]) * span[2] + key[:, 2]
        occ = torch.unique(lin).shape[0]
        per = n / max(occ, 1)
        cell = cell * (target / per) ** 0.5
    return max(cell, ext * 1e-4)


def cell_knn(queries: Tensor, points: Tensor, k: int, cell: float) -> Tuple[Tensor, Tensor]:
    """k nearest points among those in the 3x3x3 grid cells around each query
    (as grid_knn, exact when the k-th neighbour is closer than
    `cell`, missing ones +inf), by a top-k over every query's candidates laid
    out in a padded row: no sort of all candidates, fewer gathers."""
    dev = queries.device
    m = queries.shape[0]
    inf = float("inf")
    order, qkey, delta, ucell, starts, counts, start_tab, count_tab = grid_cells(queries, points, cell, 1 << 24)
    nk = qkey.unsqueeze(1) + delta.unsqueeze(0)
    st, cnt = cell_runs(nk, ucell, starts, counts, start_tab, count_tab)            # [m,27]
    cum = torch.cumsum(cnt, 1)
    tot = cum[:, 26]
    base = st - (cum - cnt)                                                        # pos = base[slot] + j
    spts = points[order]
    # queries in order of their candidate count, so each chunk's rows pad to a similar length
    qs = torch.argsort(tot)
    out_d = torch.full([m, k], inf, device=dev)
    out_i = torch.zeros(m, k, dtype=torch.long, device=dev)
    chunk = 1024
    for s in range(0, m, chunk):
        qi = qs[s:s + chunk]
        b = qi.shape[0]
        tq = tot[qi]
        cmax = max(int(tq[-1].item()), k)
        j = torch.arange(cmax, device=dev).unsqueeze(0)
        # the cell of row position j: how many of the first 26 cells end at or
        # before j (their ends scattered, then a running sum; no search)
        marks = torch.zeros(b, cmax + 1, dtype=torch.long, device=dev)
        ends = cum[qi, :26].clamp_max(cmax)
        marks.scatter_add_(1, ends, torch.ones_like(ends))
        slot = torch.cumsum(marks[:, :cmax], 1)
        p = (base[qi].gather(1, slot) + j).clamp(0, points.shape[0] - 1)
        d = (spts.index_select(0, p.reshape(-1)).reshape(b, cmax, 3) - queries[qi].unsqueeze(1)).pow(2).sum(-1)
        d = torch.where(j < tq.unsqueeze(1), d, torch.full_like(d, inf))
        v, i = torch.topk(d, k, dim=1, largest=False, sorted=True)
        out_d[qi] = v.sqrt()
        out_i[qi] = order[p.gather(1, i)]
    return out_d, out_i


def farthest_points(points: Tensor, m: int) -> Tensor:
    """m points spread over the set, each the farthest from those before (from the first point)."""
    n = points.shape[0]
    seeds = torch.zeros(m, dtype=torch.long, device=points.device)
    dmin = (points - points[0]).pow(2).sum(1)
    for s in range(1, m):
        j = torch.argmax(dmin)
        seeds[s] = j
        dmin = torch.minimum(dmin, (points - points[j]).pow(2).sum(1))
    return seeds[:min(m, n)]


def multilevel_knn(queries: Tensor, points: Tensor, k: int, cell: float) -> Tuple[Tensor, Tensor]:
    """k nearest points; queries far from the points (nothing found in the
    grid block) are answered on coarser grids over thinned-out points, so far
    queries get approximate neighbours instead of none."""
    dist, idx = grid_knn(queries, points, k, cell, 96)
    miss = torch.isinf(dist[:, 0])
    level = 1
    while bool(miss.any()):
        stride = 1
        for _ in range(level):
            stride = stride * 4
        sub = torch.arange(0, points.shape[0], stride, device=points.device)
        qi = torch.nonzero(miss).reshape(-1)
        if sub.shape[0] <= 512 or level >= 6:
            d2, i2 = knn(queries[qi], points[sub], min(k, sub.shape[0]), 4096)
        else:
            d2, i2 = grid_knn(queries[qi], points[sub], k, cell * (2 ** level), 96)
        kk = d2.shape[1]
        if kk < k:
            d2 = torch.cat([d2, torch.full([d2.shape[0], k - kk], float("inf"), device=d2.device)], 1)
            i2 = torch.cat([i2, torch.zeros(i2.shape[0], k - kk, dtype=torch.long, device=d2.device)], 1)
        dist[qi] = d2
        idx[qi] = sub[i2]
        miss = torch.isinf(dist[:, 0])
        level += 1
        if level > 7:
            break
    return dist, idx


class GeneratorEncoder(nn.Module):
    def __init__(self, near_factor: float = 2.5, band: float = 1.5):
        super().__init__()
        # [distance scale of the confidence ramp, k for the spacing, crease band left out (spacings)]
        self.register_buffer("params", torch.tensor([near_factor, 8.0, band], dtype=torch.float32))

    def forward(self, points: Tensor, normals: Tensor, labels: Tensor, boxes: Tensor) -> Tensor:
        n = points.shape[0]
        dev = points.device
        nrm = normals / normals.norm(p=2, dim=1, keepdim=True).clamp_min(1e-12)
        if n < 2:
            return torch.cat([points, nrm, torch.ones(n, 1, device=dev),
                              torch.full([n, 1], 0.01, device=dev)], 1)
        near_factor = float(self.params[0].item())
        k = min(int(self.params[1].item()), n - 1)
        kn = min(16, n - 1)
        cell = surface_cell(points, kn + 1)
        d, i = grid_knn(points, points, kn + 1, cell, 96)
        d = d[:, 1:]
        i = i[:, 1:]
        fin = torch.isfinite(d)
        dk = torch.where(fin[:, :k], d[:, :k], torch.zeros_like(d[:, :k]))
        spacing = dk.sum(dim=1) / fin[:, :k].sum(dim=1).clamp_min(1)
        h = spacing.median().clamp_min(1e-6)
        spacing = torch.where(spacing > 0, spacing, h)
        # distance to the nearest point of another part (among the kn nearest)
        other = fin & (labels[i] != labels.unsqueeze(1))
        od = torch.where(other, d, torch.full_like(d, 1e9)).min(dim=1).values
        conf = ((od / (near_factor * h)).clamp(0.0, 1.0)) ** 2
        conf = conf.clamp_min(0.02)
        # samples whose neighbourhood is mostly another part (stray labels near
        # a crease) get weight 0: the decoder leaves them out
        same_share = (fin & (labels[i] == labels.unsqueeze(1))).sum(dim=1).float() / fin.sum(dim=1).clamp_min(1).float()
        conf = torch.where(same_share < 0.6, torch.zeros_like(conf), conf)
        # the crease band itself (labels uncertain, normals blended) is left out too
        conf = torch.where(od < float(self.params[2].item()) * h, torch.zeros_like(conf), conf)
        return torch.cat([points, nrm, conf.unsqueeze(1), spacing.unsqueeze(1)], 1)


class GeneratorDecoder(nn.Module):
    def __init__(self, k: int = 10):
        super().__init__()
        # [k, bandwidth factor over the local spacing, "far" distance in spacings,
        #  depth (in spacings) a hidden continuation keeps under the whole shape's surface]
        self.register_buffer("params", torch.tensor([float(k), 1.5, 2.0, 1.0], dtype=torch.float32))

    def forward(self, features: Tensor, labels: Tensor, part: Tensor, boxes: Tensor,
                queries: Tensor) -> Tensor:
        dev = queries.device
        m = queries.shape[0]
        pidx = int(part.reshape(-1)[0].item())
        sel = labels == pidx
        if features.shape[1] > 6:
            trusted = sel & (features[:, 6] > 0.0)
            if bool(trusted.any()):
                sel = trusted
        f = features[sel]
        # box signed distance (negative inside)
        if boxes.shape[0] > pidx and pidx >= 0:
            b = boxes[pidx]
            lo = b[0:3]
            hi = b[3:6]
            c = (lo + hi) * 0.5
            half = (hi - lo).clamp_min(0.0) * 0.5
            q = (queries - c).abs() - half
            box = q.clamp_min(0.0).norm(p=2, dim=1) + q.max(dim=1).values.clamp_max(0.0)
        else:
            box = torch.full([m], -1e9, device=dev)
        if f.shape[0] == 0:
            return torch.ones(m, device=dev)
        p = f[:, 0:3]
        nrm = f[:, 3:6]
        conf = f[:, 6]
        sp = f[:, 7]
        k = min(int(self.params[0].item()), p.shape[0])
        bw = float(self.params[1].item())
        cell = surface_cell(p, k)
        dist, idx = multilevel_knn(queries, p, k, cell)             # [M,k]
        h = (sp[idx].mean(dim=1) * bw).clamp_min(1e-6)             # [M]
        h = torch.maximum(h, dist[:, 0] * 0.75)                     # far queries stay smooth
        w = torch.exp(-(dist / h.unsqueeze(1)) ** 2) * conf[idx] + 1e-12
        plane = ((queries.unsqueeze(1) - p[idx]) * nrm[idx]).sum(-1)   # [M,k]
        sdf = (w * plane).sum(1) / w.sum(1)
        # Far from the part's own samples the part may only continue inside
        # the whole shape (hidden regions lie inside the neighbours): there the
        # field is also bounded by the whole shape's field.
        far = dist[:, 0] > float(self.params[2].item()) * sp.median()
        if bool(far.any()):
            fi = torch.nonzero(far).reshape(-1)
            pa = features[:, 0:3]
            na = features[:, 3:6]
            ka = min(k, pa.shape[0])
            cell_a = surface_cell(pa, ka)
            da, ia = multilevel_knn(queries[fi], pa, ka, cell_a)
            ha = torch.maximum((features[:, 7][ia].mean(dim=1) * bw).clamp_min(1e-6), da[:, 0] * 0.75)
            wa = torch.exp(-(da / ha.unsqueeze(1)) ** 2) + 1e-12
            pl = ((queries[fi].unsqueeze(1) - pa[ia]) * na[ia]).sum(-1)
            whole = (wa * pl).sum(1) / wa.sum(1)
            # kept a little under the whole surface, so a hidden continuation
            # never shows through (or speckles on) a neighbour's visible surface
            depth = float(self.params[3].item()) * float(sp.median().item()) if self.params.shape[0] > 3 else 0.0
            sdf[fi] = torch.maximum(sdf[fi], whole + depth)
        return torch.maximum(sdf, box)
