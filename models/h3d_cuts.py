"""Sweep cuts of the default segmenter's normalized cuts and the shape tests
of a cut: whether it is a waist (narrow_waist), whether its small side
sticks out of the rest (protrudes), how weak its edges are with the patches'
inner edges counted (inner_ratios); the merges after the cuts
(smooth_merges) and a dense graph's components. See h3d_segmenter.py."""
from typing import List, Tuple

import torch
from torch import Tensor


def sweep_cuts(w: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Every sweep cut along `y`: (the order, the cut weight and the left
    side's degree sum at each of the m-1 positions)."""
    order = torch.argsort(y)
    cut, left = sweep_along(w, order)
    return order, cut, left


def sweep_along(w: Tensor, order: Tensor) -> Tuple[Tensor, Tensor]:
    """The cut weight and the left side's degree sum of the sweep cuts in `order`."""
    m = w.shape[0]
    wo = w[order][:, order]
    c = torch.cumsum(wo, 0)
    upper = torch.triu(torch.ones(m, m, dtype=w.dtype, device=w.device), 1)
    cut = (c * upper).sum(1)[:-1]
    left = torch.cumsum(w.sum(1)[order], 0)[:-1]
    return cut, left


def ring_perimeters(w0: Tensor, side: Tensor, hops: int) -> List[float]:
    """The cross-sections of one side of a cut, walking away from it: the
    plain edge count between the side's patches within k hops of the cut
    and the rest of the side, k = 0 (the cut itself) .. hops."""
    adj = w0 > 0
    other = ~side
    near = side & adj[:, other].any(1)
    out: List[float] = [float(w0[side][:, other].sum().item())]
    for _ in range(hops):
        rest = side & ~near
        if not bool(rest.any()):
            break
        out.append(float(w0[near][:, rest].sum().item()))
        near = near | (rest & adj[:, near].any(1))
    return out


def narrow_waist(w0: Tensor, order: Tensor, i: int, both: float, one: float, hops: int = 8) -> bool:
    """Whether the sweep cut at position i along `order` is a waist: the
    shape widens away from it, on both sides by `both` times or on one side
    by `one` times. Cross-sections are the patch rings walked out from the
    cut (ring_perimeters); the cut itself is the cheapest by construction
    and a ring's border is as jagged as the patches, so the first ring on
    either side stands for the waist and is compared with the widest further
    ring of each side. The bridge of a pair of glasses widens on both sides,
    a finger's root on one (into the palm); a cut through the middle of a
    tapering body, where the cross-section grows slowly towards one end and
    shrinks towards the other, is no waist. A side too small for three rings
    counts as widening (a knob, a small fin)."""
    m = w0.shape[0]
    side = torch.zeros(m, dtype=torch.bool, device=w0.device)
    side[order[:i + 1]] = True
    pa = ring_perimeters(w0, side, hops)
    pb = ring_perimeters(w0, ~side, hops)
    if len(pa) < 3 or len(pb) < 3:
        return True
    waist = max(min(pa[1], pb[1]), 1e-12)
    ga = max(pa[2:]) / waist
    gb = max(pb[2:]) / waist
    return min(ga, gb) >= both or max(ga, gb) >= one


def protrudes(w0: Tensor, cen: Tensor, size: Tensor, pnorm: Tensor, order: Tensor, i: int, left: bool,
              reach: float) -> bool:
    """Whether the small side of the sweep cut at position i along `order`
    (the left one when `left`) sticks out of the rest, as a nose from a head:
    its centre lies off the centre of the border patches beyond it, along its
    mean normal (patch centres `cen`, summed normals `pnorm`), by more than
    `reach` times its own radius (the rms distance of its patches from its
    centre). A pit (an eye socket) lies behind its rim; a sliver of a face
    along a crease barely stands off it."""
    m = w0.shape[0]
    a = torch.zeros(m, dtype=torch.bool, device=w0.device)
    a[order[:i + 1]] = True
    if not left:
        a = ~a
    rim = ~a & (w0[:, a] > 0).any(1)
    if not bool(rim.any()):
        return True
    sa = size * a.to(size.dtype)
    ca = (cen * sa.unsqueeze(1)).sum(0) / sa.sum().clamp_min(1e-12)
    cb = cen[rim].mean(dim=0)
    na = (pnorm * a.to(pnorm.dtype).unsqueeze(1)).sum(0)
    na = na / na.norm().clamp_min(1e-12)
    radius = float(((cen - ca).pow(2).sum(1) * sa).sum().item() / max(float(sa.sum().item()), 1e-12)) ** 0.5
    return float(((ca - cb) * na).sum().item()) > reach * radius


def smooth_merges(part_of: Tensor, score: Tensor, leaf: Tensor, parent: Tensor, bratio: Tensor, w: Tensor,
                  w0: Tensor, smooth: float, max_ratio: float) -> Tuple[Tensor, Tensor]:
    """Merges pairs of parts whose border is smooth (its mean affinity, over
    the plain edge count, at least `smooth`: no crease, no thickness jump)
    when the cut that parted them was taken for following weak edges (its
    ratio below `max_ratio`), not as a neck: such a cut ran along creases
    elsewhere and closed its loop across a smooth tube (a torus cut in half
    where it passes through another); the smooth stretch is no part border.
    `part_of` every patch's part, `score` every part's, `leaf` every part's
    leaf node, `parent` and `bratio` per node (cut_tree's outputs); patch
    graphs `w` (affinities) and `w0` (edge counts). Returns the new part of
    every patch (renumbered 0..K-1 in order) and the parts' scores (a merged
    part keeps the higher one)."""
    dev = w.device
    kp = int(score.shape[0])
    if kp < 2:
        return part_of, score
    onehot = torch.zeros(part_of.shape[0], kp, dtype=w.dtype, device=dev)
    onehot[torch.arange(part_of.shape[0], device=dev), part_of] = 1.0
    c = onehot.t() @ w @ onehot
    c0 = onehot.t() @ w0 @ onehot
    mean = c / c0.clamp_min(1e-12)
    par: List[int] = parent.tolist()
    leaves: List[int] = leaf.tolist()
    ratio: List[float] = bratio.tolist()
    # union-find over the parts
    root = list(range(kp))
    for a in range(kp):
        chain: List[int] = []
        v = leaves[a]
        while v >= 0:
            chain.append(v)
            v = par[v]
        for b in range(a + 1, kp):
            if float(c0[a, b].item()) <= 0.0 or float(mean[a, b].item()) < smooth:
                continue
            # the cut that parted them: at the children of their lowest common ancestor
            v = leaves[b]
            prev = v
            while v >= 0 and v not in chain:
                prev = v
                v = par[v]
            if v < 0 or prev == v or ratio[prev] >= max_ratio:
                continue
            ra = a
            while root[ra] != ra:
                ra = root[ra]
            rb = b
            while root[rb] != rb:
                rb = root[rb]
            if ra != rb:
                root[max(ra, rb)] = min(ra, rb)
    final: List[int] = []
    for a in range(kp):
        r = a
        while root[r] != r:
            r = root[r]
        final.append(r)
    fin = torch.tensor(final, dtype=torch.long, device=dev)
    uniq, new = torch.unique(fin, return_inverse=True)
    sc = torch.full([uniq.shape[0]], -1.0, dtype=score.dtype, device=dev).scatter_reduce(
        0, new, score, "amax", include_self=True)
    return new[part_of], sc


def ncut(cut: Tensor, left: Tensor, right: Tensor) -> Tensor:
    """The normalized cut of sweep cuts (cut weights, the two sides' volumes)."""
    return cut / left.clamp_min(1e-12) + cut / right.clamp_min(1e-12)


def inner_ratios(cut: Tensor, left: Tensor, tot: float, cut0: Tensor, left0: Tensor, tot0: float, wi: Tensor,
                 w0i: Tensor, order: Tensor, at: Tensor) -> List[float]:
    """The sweep cuts at positions `at` along `order` (cut weights and left
    degree sums of the affinities, `cut`/`left`/total `tot`, and of the edge
    counts, `cut0`/`left0`/`tot0`): their Ncut over the same cut's Ncut on
    the counts with every patch's inner edges (`wi`, `w0i`: its summed inner
    affinities and counts) in the sides' volumes, about the cut's mean
    affinity over the sides' own. On the patch graph alone a side of a few
    patches has little volume, so a crease around it reads weak (the
    snowman's nose: ratio 0.57, with inner edges 0.28)."""
    li = left + torch.cumsum(wi[order], 0)[:-1]
    l0i = left0 + torch.cumsum(w0i[order], 0)[:-1]
    ti = tot + float(wi.sum().item())
    t0i = tot0 + float(w0i.sum().item())
    nc = ncut(cut, li, ti - li)
    nc0 = ncut(cut0, l0i, t0i - l0i)
    return (nc[at] / nc0[at].clamp_min(1e-12)).tolist()


def graph_components(w: Tensor) -> Tensor:
    """Component id (smallest member index) of every node of a dense weighted graph."""
    m = w.shape[0]
    lab = torch.arange(m, device=w.device)
    adj = w > 0
    big = torch.full([m, m], m, dtype=torch.long, device=w.device)
    for _ in range(m):
        new = torch.minimum(lab, torch.where(adj, lab.unsqueeze(0).expand(m, m), big).min(dim=1).values)
        new = new[new]
        if bool((new == lab).all()):
            break
        lab = new
    return lab
