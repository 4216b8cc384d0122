"""The default segmenter: a patch graph cut by recursive normalized cuts.

It sees only the sampled surface (points, outward normals) and prompt points.

0. The graph is built on an even subsample of at most `max_points` samples
   (10k; the host sends 20k); every other sample takes the part of its
   nearest subsample point.
1. k-NN graph over the samples (a grid, then a top-k over each query's
   candidates in a padded row). Each edge gets an affinity that is low where
   the surface folds inwards (concave: the normals turn towards each other)
   and where the local thickness changes (below).
2. Thickness (shape diameter, `thickness` 0, the default): for a few points
   of every patch, the depth along the inward normal to the first sample of
   the opposite wall (a narrow cone, the wall's normal facing along the ray,
   deeper than `min_depth` spacings). Limbs are thinner than the body they
   join, so a smooth join is a thickness jump even where there is no crease.
   A ray that meets no wall (a rim, an open edge) says nothing: a patch's
   thickness is the median of its rays that hit, and a patch without any
   gets no thickness term. Nor does a ray over `rim` (4) times the diameter
   of the largest inscribed ball touching its point (below): it runs from a
   plate's rim along the plate (or from a flat end along a limb) and measures
   the plate's width, not its thickness; before, that width made a thickness
   jump all along the rims and cut a plate's two faces apart (bench/quality's
   chair seat and back in halves). `thickness` 1 takes instead the diameter of the
   largest ball inside the surface that touches the point (inscribed_diameter:
   the ball touching sample q has radius |q - p|^2 / (2 (q - p) . inward
   normal), the least over the samples, those within `ball_min` spacings
   ignored), which gives a thin plate's rim the plate's thickness, not its
   width (bench/quality's chair: 6 parts of 6 instead of 10) but did a little
   worse on the PSB (see the tuning notes): an option, not the default.
3. Over-segmentation: ~400 seeds by farthest-point sampling; every point goes
   to the nearest seed along the graph, with edge lengths inflated at
   concavities (Bellman-Ford relaxation), so patches do not straddle creases.
4. Patch graph: the summed affinities of the edges between two patches.
5. Recursive normalized cut (Shi & Malik): the eigenvector of the second
   smallest eigenvalue of the normalized Laplacian of a segment's patch
   graph (block inverse iteration from the patch centres' coordinates, then
   Rayleigh-Ritz: a Cholesky factor per segment instead of a full O(m^3)
   eigendecomposition), the best sweep cut along it; the segment is split
   while that cut's Ncut value is below `tau`, both sides keep at least
   `min_frac` of the samples, and either the cut is a very narrow neck (Ncut
   below `tau_neck`) or it follows weak edges: its Ncut is under `max_ratio`
   times the same cut's Ncut on the bare edge counts. A neck must be a
   waist (narrow_waist): walking patch rings out from the cut, the shape
   widens by `neck` (1.4) times on both sides or by `neck_one` (1.9) on one
   (a handle, a finger's root); a long tapering body (a fish) has a cheap
   cut through its middle only because it is long, and is no longer sliced
   there. Each of the `nvec` (3) lowest eigenvectors offers its `cands` (6)
   lowest sweep minima in turn, the first that qualifies standing for it (a
   refused lowest no longer ends the segment: a fin is found after the
   body's slice is refused). A qualifying cut with
   a side below `min_frac` (a speck hanging by a thread) peels the speck off
   and goes on cutting the rest; peeled patches join the part they are most
   strongly tied to. A narrow neck (a limb, a handle), a crease or a
   thickness jump makes a cheap cut; a compact blob or a broad plate makes
   none, so the part count follows the shape.
   A small side (`small_frac` 0.3 % up to `min_frac` of the samples, under a
   tenth of its segment) is a part, not a speck, when its cut runs along a
   strong crease (Ncut below `small_tau` 0.22, ratio below `small_ratio`
   0.38) and it sticks out (h3d_cuts.protrudes: its centre stands off the
   border beyond it along its mean normal by `small_reach` 0.75 of its
   radius): a snowman's nose, a few patches whose Ncut is high only because
   few patches have few edges between them. A pit or a sliver of a face
   along a crease stays a speck. So is a side up to `crease_frac` (5 %) of
   the samples that stands off its border at all (`crease_reach` 0): the
   visible end of a primitive mostly sunk into another (bench/quality's
   clusters), whose Ncut is over `tau` for the same reason. A side under
   `min_frac` is a part too when its Ncut is below `crease_tau` (0.3) and
   the same ratio with every patch's inner edges in the sides' volumes is
   below `crease_inner` (0.4; h3d_cuts.inner_ratios): a crease through a
   patch no longer hides a nose. Automatic cuts only (the clicks' tree has
   its own least size).
   Then two parts whose border is smooth (mean affinity over the plain edge
   count at least `smooth_merge`, 0.8) merge when the cut that parted them
   was taken for following weak edges, not as a neck (h3d_cuts.smooth_merges):
   it ran along creases elsewhere and closed its loop across a smooth tube (a
   torus cut in half where it passes through another). Automatic parts only.

6. Point prompts (P > 0), multi-scale candidates as SAM's: the recursion
   runs again with the thresholds times `prompt_scale` (4) and the least
   part size times `prompt_min` (0.3), and records its tree (cut_tree): the
   nodes on the path from the whole shape down to the leaf under a click are
   nested masks, from the automatic part under the click (the first node on
   the path whose cut the automatic thresholds would not take) down to ever
   finer pieces of it, each with an expected IoU (click_scores: a logistic
   function of 11 scale-free node features and their squares, fitted by
   models/tune_prompt.py fit). Further candidates grow from the click
   (h3d_prompt.py): personalized PageRank on the patch graph from the
   click's patch, three restart probabilities, and along each the sweep cut
   of least conductance in each of 8 size windows (a local cluster that
   stops at the weakest boundary of its scale: a small part hanging off a
   big one, which the tree may only cut together with its neighbours). Every
   candidate is ranked by a linear score of its features (size, conductance,
   its ratio to the plain-count conductance, overlap with the automatic part
   and with the other kinds' candidates, how deep the click lies in it, its
   agreement with the automatic segmentation, the tree's expected IoU) and their squares, one weight set per kind
   (h3d_prompt.PROMPT_RANK: softmax over a click's candidates against the
   softmax of their IoUs with every person's part under the click, on the PSB
   dev split's clicks, torch seed 0; cross-validated on held-out halves of
   the categories); the click gets the candidate of the greatest expected
   IoU with the others under the scores' softmax (h3d_prompt.rank_choose),
   mapped to an expected IoU by a fitted logistic. Nothing in them names a
   category.

Tuning (no fitted weights for the automatic cuts: a handful of scale-free
thresholds tried by hand, the same for every mesh): the summary of every
session's steps heads models/tune_segmenter.log, the runs follow it.

P = 0: one mask per part; a part's score: how far its own best cut was from
being taken (0.5..1). P > 0: row p is the mask chosen for prompt p, its score
the expected IoU (0..1).
Every constant lives in the `params` buffer (see __init__).
"""
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

from h3d_cuts import (graph_components, inner_ratios, narrow_waist, ncut, protrudes, smooth_merges, sweep_along,
                      sweep_cuts)
from h3d_models import cell_knn, farthest_points, surface_cell
from h3d_prompt import (PROMPT_RANK, candidate_features, candidate_pairs, n_base, n_kinds, patch_graphs, patch_ppr,
                        ppr_alpha, rank_choose, rank_design, seg_edges, sweep_bounds, sweep_sets)
from h3d_thickness import inscribed_diameter, shape_diameter

# The click scorer's weights (models/tune_prompt.py fit; see the docstring):
# mean and spread of the 22 node features, their weights, the bias.
PROMPT_MODEL = [
    # mu
    -2.66154, -1.70841, 0.694571, -2.54865, -0.855382, 1.29483, 0.338433, 0.661567, -3.43032, 1.22158, 1.66325,
    8.09954, 3.36449, 0.574242, 7.38565, 1.18544, 3.2604, 0.338433, 0.661567, 12.0876, 1.84203, 2.91717,
    # sd
    1.00787, 0.667706, 0.303014, 0.943444, 0.673631, 1.25852, 0.473187, 0.473187, 0.566211, 0.591419, 0.388307,
    7.33744, 2.14749, 0.392181, 4.79988, 2.06302, 4.69355, 0.473187, 0.473187, 4.04863, 1.56904, 1.24841,
    # w
    -0.586928, -0.232222, 0.267939, 0.202117, 0.491453, -0.291512, -0.0274103, 0.0274103, 0.157109, 1.10552,
    -0.148623, -0.165162, -0.431995, -0.301035, 0.416973, 0.697513, -0.192111, -0.0274103, 0.0274103, -0.0490693,
    -1.03551, 0.0603006,
    # b
    -0.440652,
]

def low_eigenvectors(lap: Tensor, null: Tensor, start: Tensor, iters: int, r: int) -> Tensor:
    """The eigenvectors of the r smallest non-trivial eigenvalues of the
    normalized Laplacian `lap` (PSD, `null` its unit null vector), by block
    inverse iteration from the columns of `start`, then Rayleigh-Ritz in the
    block. Converges fast exactly where cheap cuts exist (small eigenvalues
    well apart from the rest); the full eigendecomposition it replaces cost
    O(m^3) per segment."""
    m = lap.shape[0]
    eye = torch.eye(m, dtype=lap.dtype, device=lap.device)
    chol, info = torch.linalg.cholesky_ex(lap + 1e-7 * eye)
    if int(info.item()) != 0 or start.shape[1] < r or m <= start.shape[1] + 1:
        _, vec = torch.linalg.eigh(lap)
        return vec[:, 1:1 + r]
    v = start - null.unsqueeze(1) * (null.unsqueeze(0) @ start)
    v = torch.linalg.qr(v).Q
    for _ in range(iters):
        v = torch.cholesky_solve(v, chol)
        v = v - null.unsqueeze(1) * (null.unsqueeze(0) @ v)
        v = torch.linalg.qr(v).Q
    _, rq = torch.linalg.eigh(v.t() @ lap @ v)
    return v @ rq[:, :r]


def choose_cut(w: Tensor, w0: Tensor, size: Tensor, start: Tensor, tau: float, tau_neck: float,
               max_ratio: float, min_size: float, nvec: int, neck: float = 0.0, cands: int = 1,
               neck_one: float = 2.0, small_size: float = 1e30, small_tau: float = 0.0,
               small_ratio: float = 0.0, pnorm: Optional[Tensor] = None, small_reach: float = 0.0,
               crease_size: float = 0.0, crease_reach: float = 0.0, inner: Optional[Tensor] = None,
               crease_inner: float = 0.0, crease_tau: float = 0.0
               ) -> Tuple[int, float, Tensor]:
    """The cut of one segment (affinities `w`, plain edge counts `w0`, patch
    sizes `size`): sweep cuts along the eigenvectors of the `nvec` smallest
    eigenvalues of the normalized Laplacian, the lowest-Ncut one of each. It
    qualifies when its Ncut is below `tau` and it is a very narrow neck
    (Ncut below `tau_neck`) or follows weak edges (its Ncut over the same
    cut's Ncut on the edge counts below `max_ratio`). Returns (1, Ncut,
    side) for the cheapest qualifying cut that leaves `min_size` samples on
    both sides; else (2, Ncut, speck) for the cheapest qualifying one with a
    smaller side (a speck to peel off); else (0, the lowest Ncut, all)."""
    m = w.shape[0]
    dg = w.sum(1)
    dm = dg.clamp_min(1e-12).rsqrt()
    lap = torch.eye(m, dtype=w.dtype, device=w.device) - dm.unsqueeze(1) * w * dm.unsqueeze(0)
    null = dg.clamp_min(0.0).sqrt()
    null = null / null.norm().clamp_min(1e-12)
    vecs = low_eigenvectors(lap, null, start, 24, min(nvec, m - 2)) * dm.unsqueeze(1)
    tot = dg.sum()
    d0 = w0.sum(1)
    tot0 = d0.sum()
    total_size = size.sum()
    best = [1e30, 1e30]
    best_pos = [-1, -1]
    best_vec = [0, 0]
    lowest = 1e30
    for r in range(vecs.shape[1]):
        order, cut, left = sweep_cuts(w, vecs[:, r])
        nc = ncut(cut, left, tot - left)
        # the lowest-Ncut position of this vector, and with `cands` > 1 the
        # next lowest local minima of the sweep, while they are below tau:
        # the first that qualifies is this vector's cut
        i = int(torch.argmin(nc).item())
        v = float(nc[i].item())
        lowest = min(lowest, v)
        hi = max(tau, small_tau, crease_tau if inner is not None and crease_inner > 0.0 else 0.0)
        if v >= hi:
            continue
        positions: List[int] = [i]
        if cands > 1 and nc.shape[0] > 2:
            win = max(2, nc.shape[0] // 50)
            pooled = torch.nn.functional.max_pool1d((-nc).reshape(1, 1, -1), 2 * win + 1, 1, win).reshape(-1)
            minima = torch.nonzero((-nc >= pooled) & (nc < hi)).reshape(-1)
            minima = minima[torch.argsort(nc[minima])][:cands]
            found: List[int] = minima.tolist()
            positions = found
        # the same cuts' Ncut on the plain edge counts and their left sides' sizes, at every position at once
        cut0, l0 = sweep_along(w0, order)
        nc0 = ncut(cut0, l0, tot0 - l0)
        at = torch.tensor(positions, dtype=torch.long, device=w.device)
        ratios: List[float] = (nc[at] / nc0[at].clamp_min(1e-12)).tolist()
        lsizes: List[float] = torch.cumsum(size[order], 0)[at].tolist()
        values: List[float] = nc[at].tolist()
        iratios: List[float] = ratios
        if inner is not None and crease_inner > 0.0:
            iratios = inner_ratios(cut, left, float(tot.item()), cut0, l0, float(tot0.item()), inner[0], inner[1],
                                   order, at)
        for j in range(len(positions)):
            i = positions[j]
            v = values[j]
            is_neck = v < tau_neck
            if is_neck and neck > 0.0 and ratios[j] >= max_ratio:
                is_neck = narrow_waist(w0, order, i, neck, neck_one)
            sl = lsizes[j]
            small = min(sl, float(total_size.item()) - sl)
            # a small side cut off along a strong crease is a part (a snowman's nose), not a
            # speck; its Ncut is high because a few patches have few edges between them
            creased = small_size <= small < max(min_size, crease_size) and \
                small < 0.1 * float(total_size.item()) and \
                ((v < small_tau and ratios[j] < small_ratio) or
                 (small < min_size and v < crease_tau and iratios[j] < crease_inner))
            if creased and pnorm is not None:
                creased = protrudes(w0, start[:, :3], size, pnorm, order, i, sl <= 0.5 * float(total_size.item()),
                                    small_reach if small < min_size else crease_reach)
            if ((is_neck or ratios[j] < max_ratio) and v < tau) or creased:
                kind = 1 if small < min_size and not creased else 0
                if v < best[kind]:
                    best[kind] = v
                    best_pos[kind] = i
                    best_vec[kind] = r
                break
    side = torch.zeros(m, dtype=torch.bool, device=w.device)
    for kind in range(2):
        if best_pos[kind] >= 0:
            order = torch.argsort(vecs[:, best_vec[kind]])
            side[order[:best_pos[kind] + 1]] = True
            if kind == 1 and float(size[side].sum().item()) > 0.5 * float(total_size.item()):
                side = ~side
            return kind + 1, best[kind], side
    return 0, lowest, side


def cut_tree(w: Tensor, w0: Tensor, size: Tensor, start: Tensor, tau: float, tau_neck: float,
             max_ratio: float, min_size: float, nvec: int, neck: float = 0.0, cands: int = 1, neck_one: float = 2.0,
             small_size: float = 1e30, small_tau: float = 0.0, small_ratio: float = 0.0,
             pnorm: Optional[Tensor] = None, small_reach: float = 0.0, crease_size: float = 0.0,
             crease_reach: float = 0.0, inner: Optional[Tensor] = None,
             crease_inner: float = 0.0, crease_tau: float = 0.0
             ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Recursive normalized cut of a patch graph (affinities `w`, edge
    counts `w0`, patch sizes `size`, eigen start vectors `start`), with the
    tree of the cuts it made. Returns (the part of every patch, every part's
    score, every part's leaf node, and per node: its parent (-1 at the root),
    the Ncut of the cut that made it (0 for a component apart, 1 at the
    root), that cut's Ncut over the same cut's Ncut on the edge counts, and
    the Ncut of its own lowest cut, taken or not (1 when it has none)).
    A part's mask is its leaf; an inner node's is the union of the leaves
    under it."""
    m = w.shape[0]
    dev = w.device
    part_of = torch.full([m], -1, dtype=torch.long, device=dev)
    part_score: List[float] = []
    leaf_node: List[int] = []
    parent: List[int] = [-1]
    bval: List[float] = [1.0]
    bratio: List[float] = [1.0]
    cval: List[float] = [1.0]
    stack: List[Tensor] = [torch.arange(m, device=dev)]
    snode: List[int] = [0]
    while len(stack) > 0:
        s = stack.pop()
        nd = snode.pop()
        if s.shape[0] < 4:
            part_of[s] = len(part_score)
            part_score.append(1.0)
            leaf_node.append(nd)
            continue
        ws = w[s][:, s]
        comp = graph_components(ws)
        uc = torch.unique(comp)
        if uc.shape[0] > 1:
            for c in uc:
                stack.append(s[comp == c])
                snode.append(len(parent))
                parent.append(nd)
                bval.append(0.0)
                bratio.append(0.0)
                cval.append(1.0)
            continue
        w0s = w0[s][:, s]
        kind, val, side = choose_cut(ws, w0s, size[s], start[s], tau, tau_neck, max_ratio, min_size, nvec, neck, cands,
                                     neck_one, small_size, small_tau, small_ratio,
                                     pnorm[s] if pnorm is not None else None, small_reach, crease_size,
                                     crease_reach, inner[:, s] if inner is not None else None,
                                     crease_inner, crease_tau)
        cval[nd] = val
        if kind == 1:
            d0 = w0s.sum(1)
            cut0 = w0s[side][:, ~side].sum()
            l0 = d0[side].sum()
            nc0 = float((cut0 / l0.clamp_min(1e-12) + cut0 / (d0.sum() - l0).clamp_min(1e-12)).item())
            for half in [s[side], s[~side]]:
                stack.append(half)
                snode.append(len(parent))
                parent.append(nd)
                bval.append(val)
                bratio.append(val / max(nc0, 1e-12))
                cval.append(1.0)
        elif kind == 2:
            # a speck hanging by a thread (a noisy flap, a sliver of patches):
            # peeled off, joined to a neighbouring part at the end, and the
            # rest is cut on without it
            stack.append(s[~side])
            snode.append(nd)
        else:
            part_of[s] = len(part_score)
            part_score.append(min(1.0, 0.5 + 0.5 * val / (val + tau)))
            leaf_node.append(nd)
    # peeled patches join the part they are most strongly tied to
    for _ in range(m):
        free = part_of < 0
        if not bool(free.any()):
            break
        kp = len(part_score)
        tie = torch.zeros(m, kp + 1, dtype=w.dtype, device=dev)
        tie.index_add_(1, torch.where(free, kp, part_of), w)
        tie = tie[:, :kp]
        best, bp = tie.max(dim=1)
        take = free & (best > 0)
        if not bool(take.any()):
            # isolated from every part: one part of its own, under the root
            part_of[free] = kp
            part_score.append(1.0)
            leaf_node.append(len(parent))
            parent.append(0)
            bval.append(0.0)
            bratio.append(0.0)
            cval.append(1.0)
            break
        part_of = torch.where(take, bp, part_of)
    f32 = torch.float32
    return (part_of, torch.tensor(part_score, dtype=f32, device=dev),
            torch.tensor(leaf_node, dtype=torch.long, device=dev),
            torch.tensor(parent, dtype=torch.long, device=dev), torch.tensor(bval, dtype=f32, device=dev),
            torch.tensor(bratio, dtype=f32, device=dev), torch.tensor(cval, dtype=f32, device=dev))


class Segmenter(nn.Module):
    def __init__(self, k: int = 10, patches: int = 400, sigma_concave: float = 0.15,
                 tau: float = 0.08, min_frac: float = 0.01, sdf_weight: float = 1.0,
                 concave_length: float = 20.0, cone: float = 0.18, sdf_stride: int = 3, per_patch: int = 3,
                 tau_neck: float = 0.055, max_ratio: float = 0.7, max_points: int = 10000,
                 min_depth: float = 0.5, opposite: float = -2.0, nvec: int = 3,
                 prompt_scale: float = 4.0, unknown_sdf: int = 1, prompt_min: float = 0.3,
                 thickness: int = 0, ball_min: float = 4.0, neck: float = 1.4, cands: int = 6,
                 neck_one: float = 1.9, rim: float = 4.0, small_frac: float = 0.003, small_tau: float = 0.22,
                 small_ratio: float = 0.38, small_reach: float = 0.75, smooth_merge: float = 0.8,
                 crease_frac: float = 0.05, crease_reach: float = 0.0, crease_inner: float = 0.4,
                 crease_tau: float = 0.3):
        super().__init__()
        self.register_buffer("params", torch.tensor(
            [float(k), float(patches), sigma_concave, tau, min_frac, sdf_weight, concave_length,
             cone, float(sdf_stride), float(per_patch), tau_neck, max_ratio, float(max_points), min_depth, opposite,
             float(nvec), prompt_scale, float(unknown_sdf), prompt_min, float(thickness), ball_min, neck, float(cands), neck_one,
             rim, small_frac, small_tau, small_ratio, small_reach, smooth_merge, crease_frac, crease_reach,
             crease_inner, crease_tau],
            dtype=torch.float32))
        self.register_buffer("prompt_model", torch.tensor(PROMPT_MODEL, dtype=torch.float32))
        self.register_buffer("prompt_rank", torch.tensor(PROMPT_RANK, dtype=torch.float64))

    def forward(self, points: Tensor, normals: Tensor, prompts: Tensor) -> Tuple[Tensor, Tensor]:
        n_all = points.shape[0]
        dev = points.device
        if n_all < 64:
            masks = torch.ones(max(prompts.shape[0], 1), n_all, device=dev)
            return masks, torch.ones(masks.shape[0], device=dev)
        p = prompts.shape[0]
        if p > 0:
            sets, kinds, valid, feats, lab, sub = self.prompt_candidates(points, normals, prompts)
            rm = self.prompt_rank
            c = sets.shape[1]
            x = rank_design(feats.reshape(p * c, feats.shape[2]), kinds.reshape(-1), n_kinds())
            nf = x.shape[1]
            z = (((x - rm[:nf]) / rm[nf:2 * nf]) * rm[2 * nf:3 * nf]).sum(1).reshape(p, c)
            size = torch.bincount(lab, minlength=sets.shape[2])
            chosen, best = rank_choose(z, valid, candidate_pairs(sets, size))
            pick = sets[torch.arange(p, device=dev), chosen]                 # [P,M]
            masks = self.spread_rows(points, sub, pick[:, lab])
            return masks.to(torch.float32), torch.sigmoid(rm[3 * nf] * best + rm[3 * nf + 1]).to(torch.float32)
        t, lab, sub, idx, aff, _ = self.tree(points, normals, 1.0, 1.0)
        part_of, part_score = self.smooth_merged(t, lab, idx, aff)
        plab = self.spread(points, sub, part_of[lab])
        kparts = part_score.shape[0]
        masks = torch.zeros(kparts, n_all, device=dev)
        masks.scatter_(0, plab.unsqueeze(0), 1.0)
        return masks, part_score

    def smooth_merged(self, t: Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor], lab: Tensor,
                      idx: Tensor, aff: Tensor) -> Tuple[Tensor, Tensor]:
        """A cut tree's parts (every patch's part, every part's score) with the
        smooth stretches of crease-following cuts merged (h3d_cuts.smooth_merges)."""
        part_of, part_score, leaf, parent, _, bratio, _ = t
        if float(self.params[29].item()) <= 1.0:
            w, w0, _, _, _ = patch_graphs(lab, idx, aff, part_of.shape[0])
            part_of, part_score = smooth_merges(part_of, part_score, leaf, parent, bratio, w, w0,
                                                float(self.params[29].item()), float(self.params[11].item()))
        return part_of, part_score

    def tree(self, points: Tensor, normals: Tensor, scale: float, scale_min: float, auto_too: bool = False
             ) -> Tuple[Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor], Tensor, Tensor, Tensor, Tensor,
                        Tensor]:
        """The cut tree over an even subsample of at most max_points samples
        (cut_tree's outputs, the patch of every subsample point, the
        subsample, the subsample's k-NN graph: neighbours [n,k] and
        affinities [n,k], 0 for no edge; and with auto_too every patch's
        automatic part, else nothing)."""
        n_all = points.shape[0]
        g = min(n_all, max(int(self.params[12].item()), 64))
        sub = torch.div(torch.arange(g, device=points.device) * n_all, g, rounding_mode="floor")
        t, lab, idx, aff, auto = self.part_labels(points[sub], normals[sub], scale, scale_min, auto_too)
        return t, lab, sub, idx, aff, auto

    def spread(self, points: Tensor, sub: Tensor, labels: Tensor) -> Tensor:
        """Every sample takes the label of its nearest subsample point."""
        if sub.shape[0] == points.shape[0]:
            return labels
        return labels[self.nearest_sub(points, sub)]

    def spread_rows(self, points: Tensor, sub: Tensor, rows: Tensor) -> Tensor:
        """spread for every row of rows [R, subsample] at once."""
        if sub.shape[0] == points.shape[0]:
            return rows
        return rows[:, self.nearest_sub(points, sub)]

    def nearest_sub(self, points: Tensor, sub: Tensor) -> Tensor:
        """The nearest subsample point of every sample."""
        nd, ni = cell_knn(points, points[sub], 1, surface_cell(points[sub], 1))
        ni = ni[:, 0]
        lost = torch.nonzero(~torch.isfinite(nd[:, 0])).reshape(-1)
        if lost.shape[0] > 0:
            ni[lost] = torch.cdist(points[lost], points[sub]).argmin(dim=1)
        return ni

    @torch.jit.export
    def prompt_tree(self, points: Tensor, normals: Tensor
                    ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        """The finer cut tree that clicks choose from (thresholds times
        prompt_scale, least part size times prompt_min): every sample's leaf,
        the leaves' ancestor matrix [K,V] (a leaf is its own ancestor), and
        per node its parent, the boundary Ncut, its ratio, the node's own
        lowest Ncut and its share of the samples."""
        t, _ = self.prompt_tree_graph(points, normals)
        return t

    def prompt_tree_graph(self, points: Tensor, normals: Tensor
                          ) -> Tuple[Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor],
                                     Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]]:
        """prompt_tree's outputs and (every patch's leaf, every subsample
        point's patch, the subsample, its k-NN graph: neighbours, affinities,
        every patch's automatic part)."""
        dev = points.device
        (part_of, _, leaf_node, parent, bval, bratio, cval), lab, sub, idx, aff, auto = self.tree(
            points, normals, float(self.params[16].item()), float(self.params[18].item()), True)
        plab = self.spread(points, sub, part_of[lab])
        kparts = leaf_node.shape[0]
        nodes = parent.shape[0]
        anc = torch.zeros(kparts, nodes, dtype=torch.bool, device=dev)
        par: List[int] = parent.tolist()
        leaves: List[int] = leaf_node.tolist()
        for k in range(kparts):
            v = leaves[k]
            while v >= 0:
                anc[k, v] = True
                v = par[v]
        count = torch.bincount(plab, minlength=kparts).to(torch.float32)
        nsize = (count.unsqueeze(1) * anc.to(torch.float32)).sum(0) / float(points.shape[0])
        return (plab, anc, parent, bval, bratio, cval, nsize), (part_of, lab, sub, idx, aff, auto)

    @torch.jit.export
    def prompt_candidates(self, points: Tensor, normals: Tensor, prompts: Tensor
                          ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        """Every click's candidates (h3d_prompt: the tree nodes on its path
        from the automatic part down, then the grown sets of each ppr_alpha()):
        their patch sets [P,C,M] (padded; `valid` [P,C]), kinds [P,C],
        features [P,C,F], and the subsample's patches and the subsample
        (a candidate's samples: sets[p, c][lab] on the subsample, spread)."""
        dev = points.device
        (plab, anc, parent, bval, bratio, cval, nsize), (part_of, lab, sub, idx, aff, seg) = self.prompt_tree_graph(
            points, normals)
        nearest = torch.cdist(prompts, points).argmin(dim=1)
        on_path = anc[plab[nearest]]                                      # [P,V]
        score = self.click_scores(on_path, anc, parent, bval, bratio, cval, nsize)
        m = part_of.shape[0]
        w, w0, deg, deg0, size = patch_graphs(lab, idx, aff, m)
        w0s = seg_edges(w0, seg)
        spts = points[sub]
        dist = torch.cdist(prompts, spts)                                 # [P,n]
        seeds = lab[dist.argmin(dim=1)]
        grown: List[Tensor] = []
        alphas = ppr_alpha()
        for alpha in alphas:
            grown.append(sweep_sets(w, size, patch_ppr(w, seeds, alpha)))
        nb = len(sweep_bounds()) - 1
        node_sets = anc[part_of].t()                                      # [V,M] the patches of each node
        p = prompts.shape[0]
        cand = on_path & (score > 0)
        ntree = int(cand.sum(1).max().item())
        cmax = ntree + nb * len(alphas)
        sets = torch.zeros(p, cmax, m, dtype=torch.bool, device=dev)
        kinds = torch.zeros(p, cmax, dtype=torch.long, device=dev)
        valid = torch.zeros(p, cmax, dtype=torch.bool, device=dev)
        feats = torch.zeros(p, cmax, n_base() + 1, dtype=torch.float64, device=dev)
        big = torch.full([m], 1e9, dtype=torch.float32, device=dev)
        for c in range(p):
            nodes = torch.nonzero(cand[c]).reshape(-1)
            t = nodes.shape[0]
            kind = torch.cat([torch.zeros(t, dtype=torch.long, device=dev)]
                             + [torch.full([nb], a + 1, dtype=torch.long, device=dev) for a in range(len(alphas))])
            cs = torch.cat([node_sets[nodes]] + [g[c] for g in grown], 0)
            ts = torch.cat([score[c, nodes], torch.zeros(kind.shape[0] - t, device=dev)])
            auto = int(torch.argmax(nsize[nodes]).item())
            pmin = big.scatter_reduce(0, lab, dist[c], "amin", include_self=True).to(torch.float64)
            pmax = (-big).scatter_reduce(0, lab, dist[c], "amax", include_self=True).to(torch.float64)
            f = candidate_features(cs, kind, ts, auto, w, w0, deg, deg0, size, pmin, pmax, seg, int(seeds[c].item()),
                                   w0s)
            k = kind.shape[0]
            sets[c, :k] = cs
            kinds[c, :k] = kind
            valid[c, :k] = True
            feats[c, :k] = f
        return sets, kinds, valid, feats, lab, sub

    def click_scores(self, on_path: Tensor, anc: Tensor, parent: Tensor, bval: Tensor, bratio: Tensor,
                     cval: Tensor, nsize: Tensor) -> Tensor:
        """Every candidate's expected IoU with the part a person means by the
        click [P,V] (the nodes on each click's path: `on_path` [P,V]): a
        logistic function of its node features, fitted on clicks of the PSB
        dev split (models/tune_prompt.py); 0 for nodes above the automatic
        part (those are not offered)."""
        dev = bval.device
        nodes = parent.shape[0]
        tau = float(self.params[3].item())
        tau_neck = float(self.params[10].item())
        max_ratio = float(self.params[11].item())
        has_parent = parent >= 0
        par = parent.clamp_min(0)
        # depth: the number of strict ancestors (the nodes above every leaf under a node)
        cover = anc.to(torch.float32)
        under = cover.sum(0)
        both = cover.t() @ cover                                              # [V,V] leaves under v and u
        depth = ((both >= under.unsqueeze(1) - 0.5) & (under.unsqueeze(1) > 0)).to(torch.float32).sum(1) - 1.0
        pns = torch.where(has_parent, nsize[par], torch.ones_like(nsize))
        # own cut: the ratio recorded at its children (2 where it has none)
        own = torch.full([nodes], 2.0, device=dev)
        kids = torch.nonzero(has_parent).reshape(-1)
        own[par[kids]] = bratio[kids]
        has_kids = torch.zeros(nodes, dtype=torch.bool, device=dev)
        has_kids[par[kids]] = True
        # the automatic rule: the first node on a path whose cut it would not take is the automatic part
        taken = (cval < tau) & ((cval < tau_neck) | (own < max_ratio)) & has_kids
        dp = depth.unsqueeze(0).expand(on_path.shape[0], nodes)
        stop = torch.where(on_path & ~taken.unsqueeze(0), dp, torch.full_like(dp, 1e9)).min(dim=1).values
        rel = dp - stop.unsqueeze(1)
        leaf_size = torch.where(on_path, nsize.unsqueeze(0), torch.full_like(dp, 2.0)).min(dim=1).values
        one = torch.ones_like(dp)
        f = torch.stack([
            torch.log(bval + 1e-3).unsqueeze(0) * one, torch.log(cval + 1e-3).unsqueeze(0) * one,
            bratio.clamp(0.0, 2.0).unsqueeze(0) * one, torch.log(nsize.clamp_min(1e-9)).unsqueeze(0) * one,
            torch.log((nsize / pns).clamp_min(1e-9)).unsqueeze(0) * one, rel.clamp(-3.0, 4.0),
            (rel == 0).to(torch.float32), (rel > 0).to(torch.float32),
            torch.log(leaf_size.clamp_min(1e-9)).unsqueeze(1) * one, own.clamp(0.0, 2.0).unsqueeze(0) * one,
            torch.log1p(depth).unsqueeze(0) * one], 2)                        # [P,V,11]
        f = torch.cat([f, f * f], 2)
        pm = self.prompt_model
        nf = f.shape[2]
        z = ((f - pm[:nf]) / pm[nf:2 * nf] * pm[2 * nf:3 * nf]).sum(2) + pm[3 * nf]
        # candidates: the automatic part under the click and the nodes under it
        return torch.where(rel >= 0, torch.sigmoid(z), torch.zeros_like(z))

    def patch_cuts(self, w: Tensor, w0: Tensor, size: Tensor, start: Tensor, pnorm: Tensor, n: int, scale: float,
                   scale_min: float, inner: Optional[Tensor] = None
                   ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        """cut_tree of a patch graph with the thresholds tau and tau_neck
        times `scale`, the least part size times `scale_min` (of the n
        points); small creased parts only for the automatic cuts (scale 1)."""
        small = float(self.params[25].item())
        return cut_tree(w, w0, size, start, float(self.params[3].item()) * scale, float(self.params[10].item()) * scale,
                        float(self.params[11].item()), float(self.params[4].item()) * scale_min * float(n),
                        max(int(self.params[15].item()), 1), float(self.params[21].item()),
                        int(self.params[22].item()), float(self.params[23].item()),
                        # (the clicks' tree is finer anyway)
                        small * float(n) if scale == 1.0 and small > 0.0 else 1e30, float(self.params[26].item()),
                        float(self.params[27].item()), pnorm, float(self.params[28].item()),
                        float(self.params[30].item()) * float(n) if scale == 1.0 else 0.0,
                        float(self.params[31].item()), inner, float(self.params[32].item()),
                        float(self.params[33].item()))

    def part_labels(self, points: Tensor, normals: Tensor, scale: float, scale_min: float, auto_too: bool = False
                    ) -> Tuple[Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor], Tensor, Tensor, Tensor,
                               Tensor]:
        """The cut tree of the patch graph (see cut_tree; thresholds tau and
        tau_neck times `scale`, the least part size times `scale_min`),
        every point's patch, and the point graph (neighbours, affinities)."""
        n = points.shape[0]
        dev = points.device
        k = min(int(self.params[0].item()), n - 1)
        m = max(min(int(self.params[1].item()), n // 20), 2)
        sig = float(self.params[2].item())
        tau = float(self.params[3].item()) * scale
        sdf_w = float(self.params[5].item())
        clen = float(self.params[6].item())
        cone = float(self.params[7].item())
        stride = max(int(self.params[8].item()), 1)
        per_patch = max(int(self.params[9].item()), 1)
        tau_neck = float(self.params[10].item()) * scale
        min_depth = float(self.params[13].item())
        opposite = float(self.params[14].item())
        unknown_sdf = float(self.params[17].item())

        nrm = normals / normals.norm(p=2, dim=1, keepdim=True).clamp_min(1e-12)
        dist, idx = cell_knn(points, points, k + 1, surface_cell(points, k + 1))
        dist = dist[:, 1:]
        idx = idx[:, 1:]
        fin = torch.isfinite(dist)
        # no edge between samples whose normals face apart: the two walls of a thin sheet
        fin = fin & ((nrm[idx] * nrm.unsqueeze(1)).sum(-1) > opposite)
        dist = torch.where(fin, dist, torch.zeros_like(dist))
        spacing = float(dist[:, 0][fin[:, 0]].median().clamp_min(1e-6).item())
        dv = points[idx] - points.unsqueeze(1)
        conv = ((nrm[idx] - nrm.unsqueeze(1)) * dv).sum(-1) / dist.clamp_min(1e-12)
        concave = (-conv).clamp_min(0.0)

        # over-segmentation: farthest seeds, graph Voronoi by Bellman-Ford relaxation
        # (farthest-point seeds from every fourth sample: as even, a quarter of the work)
        pool = torch.arange(0, n, 4 if n >= 16 * m else 1, device=dev)
        seeds = pool[farthest_points(points[pool], m)]
        m = seeds.shape[0]
        length = torch.where(fin, dist * (1.0 + clen * concave), torch.full_like(dist, float("inf")))
        gd = torch.full([n], float("inf"), device=dev)
        lab = torch.zeros(n, dtype=torch.long, device=dev)
        gd[seeds] = 0.0
        lab[seeds] = torch.arange(m, device=dev)
        for _ in range(4 * n):
            cand = gd[idx] + length                                   # [N,k]
            best, j = cand.min(dim=1)
            better = best < gd - 1e-9
            if not bool(better.any()):
                break
            gd = torch.where(better, best, gd)
            lab = torch.where(better, lab[idx.gather(1, j.unsqueeze(1)).squeeze(1)], lab)
        reached = torch.isfinite(gd)
        if not bool(reached.all()):
            # points the graph did not reach (isolated specks): nearest seed in space
            un = torch.nonzero(~reached).reshape(-1)
            lab[un] = torch.cdist(points[un], points[seeds]).argmin(dim=1)

        # shape diameter of every patch: the median over a few of its points
        # (the samples come in random order, so a patch's first ones are a random pick)
        ar = torch.arange(n, device=dev)
        order = torch.argsort(lab * n + ar)
        slab = lab[order]
        first = torch.ones(n, dtype=torch.bool, device=dev)
        first[1:] = slab[1:] != slab[:-1]
        run_start = torch.cummax(torch.where(first, ar, torch.zeros_like(ar)), 0).values
        q = order[(ar - run_start) < per_patch]
        if int(self.params[19].item()) == 1:
            # thickness as the diameter of the largest inscribed ball (a plate's rim gets the plate's)
            sd = inscribed_diameter(points, nrm, q, spacing, stride, float(self.params[20].item()))
        else:
            sd = shape_diameter(points, nrm, q, spacing, cone, stride, min_depth, float(self.params[24].item()),
                                float(self.params[20].item()))
        qlab = lab[q]
        sfin = torch.isfinite(sd)
        top = float(sd[sfin].max().item()) if bool(sfin.any()) else 1.0
        if unknown_sdf > 0.5:
            # a ray that met no opposite wall (a rim, an open edge) says nothing about
            # thickness: the patch's median is over its rays that hit, and an edge
            # next to a patch without any gets no thickness term
            sd = torch.where(sfin, sd, torch.full_like(sd, 2.0 * top + 1.0))
            cnt = torch.bincount(qlab[sfin], minlength=m)
        else:
            sd = torch.where(sfin, sd, torch.full_like(sd, top))
            cnt = torch.bincount(qlab, minlength=m)
        sd = sd.clamp_min(spacing)
        o2 = torch.argsort(qlab.to(torch.float64) * 4.0 + sd.to(torch.float64) / (2.0 * top + 1.0 + spacing))
        all_cnt = torch.bincount(qlab, minlength=m)
        st = torch.cumsum(all_cnt, 0) - all_cnt
        mid = (st + torch.div(cnt, 2, rounding_mode="floor")).clamp_max(q.shape[0] - 1)
        known = cnt > 0
        psd = torch.where(known, sd[o2][mid], torch.full([m], top, device=dev))
        lsd = torch.log(psd.clamp_min(spacing))
        both = known[lab][idx] & known[lab].unsqueeze(1)
        jump = torch.where(both, (lsd[lab][idx] - lsd[lab].unsqueeze(1)).abs(), torch.zeros_like(concave))
        aff = torch.exp(-concave / sig) * torch.exp(-sdf_w * jump)
        aff = torch.where(fin, aff, torch.zeros_like(aff))
        # patch graph
        a = lab.unsqueeze(1).expand(n, k).reshape(-1)
        b = lab[idx].reshape(-1)
        wflat = aff.reshape(-1)
        cross = a != b
        w = torch.zeros(m * m, device=dev).index_add_(0, (a * m + b)[cross], wflat[cross]).reshape(m, m)
        w = ((w + w.t()) * 0.5).to(torch.float64)
        w0 = torch.zeros(m * m, device=dev).index_add_(0, (a * m + b)[cross], fin.reshape(-1)[cross].float())
        w0 = w0.reshape(m, m)
        w0 = ((w0 + w0.t()) * 0.5).to(torch.float64)
        # every patch's inner edges: summed affinities and counts (h3d_cuts.inner_ratios)
        ins = ~cross
        inner = torch.stack([torch.zeros(m, device=dev).index_add_(0, a[ins], wflat[ins]),
                             torch.zeros(m, device=dev).index_add_(0, a[ins], fin.reshape(-1)[ins].float())]).double()
        size = torch.bincount(lab, minlength=m).to(torch.float64)
        # start vectors of the eigen-iteration: the patch centres' coordinates and their products
        cen = torch.zeros(m, 3, dtype=torch.float64, device=dev).index_add_(0, lab, points.to(torch.float64))
        cen = cen / size.clamp_min(1.0).unsqueeze(1)
        cen = cen - cen.mean(dim=0, keepdim=True)
        start = torch.cat([cen, cen * cen.roll(1, 1), cen * cen], 1)
        pnorm = torch.zeros(m, 3, dtype=torch.float64, device=dev).index_add_(0, lab, nrm.to(torch.float64))
        # (the inner edges only feed the automatic cuts' crease rule)
        t = self.patch_cuts(w, w0, size, start, pnorm, n, scale, scale_min, inner if scale == 1.0 else None)
        auto = torch.zeros(0, dtype=torch.long, device=dev)
        if auto_too:
            # the automatic parts on the same patches (unscaled thresholds and rules, as the P = 0 path)
            auto, _ = self.smooth_merged(self.patch_cuts(w, w0, size, start, pnorm, n, 1.0, 1.0, inner), lab, idx,
                                        aff)
        return t, lab, idx, aff, auto
