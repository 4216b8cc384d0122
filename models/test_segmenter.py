#!/usr/bin/python3
"""Unit tests of the default segmenter's parts (ctest: test_segmenter_py).

  /usr/bin/python3 models/test_segmenter.py
"""
import math
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h3d_prompt as hp  # noqa: E402
import h3d_segmenter as hs  # noqa: E402
from h3d_cuts import inner_ratios  # noqa: E402
from h3d_models import surface_cell  # noqa: E402


def sphere(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    p = torch.randn(n, 3, generator=g)
    p = p / p.norm(dim=1, keepdim=True)
    return p, p.clone()


def slab(n, thickness, seed=0):
    """Samples on the two big faces of a 1 x 1 x thickness box (outward normals)."""
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) - 0.5
    top = torch.rand(n, generator=g) < 0.5
    z = torch.where(top, torch.full([n], thickness / 2), torch.full([n], -thickness / 2))
    nz = torch.where(top, torch.ones(n), -torch.ones(n))
    return torch.stack([xy[:, 0], xy[:, 1], z], 1), torch.stack([torch.zeros(n), torch.zeros(n), nz], 1)


def plate(n, thickness, seed=0):
    """Samples on all six faces of a 1 x 1 x thickness box (area-weighted,
    outward normals), and which of them lie on the rims (the four thin faces)."""
    g = torch.Generator().manual_seed(seed)
    half = torch.tensor([0.5, 0.5, thickness / 2])
    area = torch.tensor([half[1] * half[2], half[0] * half[2], half[0] * half[1]])
    axis = torch.multinomial(area.repeat(2), n, replacement=True, generator=g)
    sign = torch.where(axis < 3, 1.0, -1.0)
    axis = axis % 3
    p = (torch.rand(n, 3, generator=g) * 2 - 1) * half
    nrm = torch.zeros(n, 3)
    ar = torch.arange(n)
    p[ar, axis] = sign * half[axis]
    nrm[ar, axis] = sign
    return p, nrm, axis < 2


def capsule(a, b, r):
    a = torch.tensor(a)
    b = torch.tensor(b)

    def f(p):
        ab = b - a
        t = (((p - a) @ ab) / max(float(ab @ ab), 1e-12)).clamp(0.0, 1.0)
        return (p - a - t.unsqueeze(1) * ab).norm(dim=1) - r
    return f


def capsule_figure():
    """As tests/shape_fixtures.h: a capsule body, a head, two arms, two legs."""
    return [capsule((0, 0, 0.55), (0, 0, 1.05), 0.24), capsule((0, 0, 1.5), (0, 0, 1.5), 0.17),
            capsule((0.3, 0, 1.05), (0.85, 0, 0.75), 0.07), capsule((-0.3, 0, 1.05), (-0.85, 0, 0.75), 0.07),
            capsule((0.1, 0, 0.4), (0.4, 0, -0.35), 0.08), capsule((-0.1, 0, 0.4), (-0.4, 0, -0.35), 0.08)]


def smooth_union_samples(prims, blend, n, seed=0):
    """About n surface samples of the smooth union (polynomial smooth minimum,
    width `blend`) of the primitives, with outward normals and the label of
    the nearest primitive: random points of a thin shell projected onto the
    surface by Newton steps along the field's gradient."""
    g = torch.Generator().manual_seed(seed)

    def field(p):
        d = prims[0](p)
        for f in prims[1:]:
            e = f(p)
            h = (blend - (d - e).abs()).clamp_min(0.0) / blend
            d = torch.minimum(d, e) - h * h * blend * 0.25
        return d
    lo = torch.tensor([-1.0, -0.35, -0.5])
    hi = torch.tensor([1.0, 0.35, 1.75])
    pts = []
    count = 0
    while count < n:
        p = lo + (hi - lo) * torch.rand(200000, 3, generator=g)
        p = p[field(p).abs() < 0.02]
        pts.append(p)
        count += p.shape[0]
    p = torch.cat(pts)[:n]
    for _ in range(4):
        p = p.detach().requires_grad_(True)
        d = field(p)
        (gr,) = torch.autograd.grad(d.sum(), p)
        p = p - (d / gr.pow(2).sum(1).clamp_min(1e-12)).unsqueeze(1) * gr
    p = p.detach().requires_grad_(True)
    (gr,) = torch.autograd.grad(field(p).sum(), p)
    p = p.detach()
    labels = torch.stack([f(p).abs() for f in prims], 1).argmin(dim=1)
    return p, gr / gr.norm(dim=1, keepdim=True), labels


def ring_graph(m, weak, weight):
    """A cycle of m nodes whose edges at `weak` have the given weight (1 elsewhere)."""
    w = torch.zeros(m, m, dtype=torch.float64)
    for i in range(m):
        j = (i + 1) % m
        v = weight if i in weak else 1.0
        w[i, j] = w[j, i] = v
    return w


def cliques(sizes, link):
    """Complete graphs of the given sizes, each joined to the next by one edge of weight `link`."""
    m = sum(sizes)
    w = torch.zeros(m, m, dtype=torch.float64)
    at = 0
    for i, c in enumerate(sizes):
        w[at:at + c, at:at + c] = 1.0
        if i + 1 < len(sizes):
            w[at + c - 1, at + c] = w[at + c, at + c - 1] = link
        at += c
    w.fill_diagonal_(0.0)
    return w


def coords(m):
    t = torch.arange(m, dtype=torch.float64) / m
    return torch.stack([t, t * t, torch.cos(7 * t), torch.sin(5 * t)], 1)


class CellKnn(unittest.TestCase):
    def test_matches_brute_force(self):
        p, _ = sphere(3000)
        k = 11
        d, i = hs.cell_knn(p, p, k, surface_cell(p, k))
        exact = (p.unsqueeze(1) - p.unsqueeze(0)).norm(dim=2)
        bd, bi = torch.topk(exact, k, dim=1, largest=False, sorted=True)
        self.assertTrue(bool(torch.isfinite(d).all()))
        self.assertLess(float((d - bd).abs().max()), 1e-5)
        # the same neighbours (ties aside: same distances checked above)
        same = (i == bi).float().mean()
        self.assertGreater(float(same), 0.99)

    def test_queries_apart_from_points(self):
        p, _ = sphere(2000)
        q, _ = sphere(500, seed=1)
        d, i = hs.cell_knn(q, p, 1, surface_cell(p, 1))
        bd, bi = (q.unsqueeze(1) - p.unsqueeze(0)).norm(dim=2).min(dim=1)
        found = torch.isfinite(d[:, 0])
        self.assertGreater(float(found.float().mean()), 0.95)
        self.assertLess(float((d[found, 0] - bd[found]).abs().max()), 1e-5)


class Eigen(unittest.TestCase):
    def test_block_iteration_finds_the_fiedler_vector(self):
        m = 60
        w = ring_graph(m, {9, 39}, 0.01)   # two weak links: the cheap cut splits 10..39 off
        dg = w.sum(1)
        dm = dg.rsqrt()
        lap = torch.eye(m, dtype=torch.float64) - dm.unsqueeze(1) * w * dm.unsqueeze(0)
        null = dg.sqrt() / dg.sqrt().norm()
        t = torch.arange(m, dtype=torch.float64) * (2 * math.pi / m)
        start = torch.stack([torch.cos(t), torch.sin(t), torch.cos(2 * t), torch.sin(2 * t)], 1)
        v = hs.low_eigenvectors(lap, null, start, 24, 1)[:, 0]
        _, vec = torch.linalg.eigh(lap)
        ref = vec[:, 1]
        self.assertGreater(abs(float(v @ ref)) / float(v.norm() * ref.norm()), 0.999)


class Cuts(unittest.TestCase):
    def test_weak_links_are_cut_and_a_speck_is_peeled(self):
        size = torch.full([60], 10.0, dtype=torch.float64)
        # two blobs held by one weak edge: split between them
        w = cliques([25, 35], 0.5)
        w0 = cliques([25, 35], 1.0)
        kind, val, side = hs.choose_cut(w, w0, size, coords(60), 0.08, 0.055, 0.7, 50.0, 1)
        self.assertEqual(kind, 1)
        self.assertLess(val, 0.08)
        first = torch.arange(60) < 25
        self.assertTrue(bool((side == first).all()) or bool((side == ~first).all()))
        # a blob with a three-node speck on a thread: the speck is peeled off
        w = cliques([57, 3], 0.05)
        w0 = cliques([57, 3], 1.0)
        kind, val, side = hs.choose_cut(w, w0, size, coords(60), 0.08, 0.055, 0.7, 50.0, 1)
        self.assertEqual(kind, 2)
        self.assertEqual(sorted(torch.nonzero(side).reshape(-1).tolist()), [57, 58, 59])
        # one blob: no cut
        w = cliques([60], 1.0)
        kind, val, side = hs.choose_cut(w, w, size, coords(60), 0.08, 0.055, 0.7, 50.0, 1)
        self.assertEqual(kind, 0)
        self.assertGreater(val, 0.08)

    def test_a_small_creased_piece_that_sticks_out_is_a_part(self):
        # three nodes on a weak thread off a flat blob: a part when they stand off
        # the blob along their normals (a nose), a speck when they lie in a pit or
        # flat beside the thread's end (a sliver along a crease)
        size = torch.full([60], 10.0, dtype=torch.float64)
        w = cliques([57, 3], 0.05)
        w0 = cliques([57, 3], 1.0)
        g = torch.arange(57, dtype=torch.float64)
        flat = torch.stack([g % 8, torch.div(g, 8, rounding_mode="floor"), torch.zeros(57, dtype=torch.float64)], 1) / 8
        nrm = torch.zeros(60, 3, dtype=torch.float64)
        nrm[:, 2] = 1.0
        spread = torch.tensor([[0.02, 0.0, 0.0], [-0.02, 0.0, 0.0], [0.0, 0.02, 0.0]], dtype=torch.float64)
        for height, expected in ((0.3, 1), (-0.3, 2), (0.0, 2)):
            tip = flat[56] + spread + torch.tensor([0.0, 0.0, height], dtype=torch.float64)
            kind, _, side = hs.choose_cut(w, w0, size, torch.cat([flat, tip]), 0.08, 0.055, 0.7, 50.0, 1,
                                          small_size=20.0, small_tau=0.22, small_ratio=0.38, pnorm=nrm,
                                          small_reach=0.75)
            self.assertEqual(kind, expected, height)
            piece = torch.arange(60) >= 57
            self.assertTrue(bool((side == piece).all()) or bool((side == ~piece).all()))
        # without the small-part rule the nose is a speck too
        kind, _, _ = hs.choose_cut(w, w0, size, torch.cat([flat, flat[56] + spread + 0.3]), 0.08, 0.055, 0.7, 50.0, 1)
        self.assertEqual(kind, 2)


    def test_a_crease_through_a_patch_reads_strong_with_inner_edges(self):
        # the nose's patches straddle its crease: on the patch graph alone its cut
        # looks weak-ish (ratio over small_ratio), with the patches' inner edges in
        # the volumes it is the crease's own mean affinity (0.3)
        size = torch.full([60], 10.0, dtype=torch.float64)
        w = cliques([57, 3], 0.3)
        w[57:, 57:] *= 0.6
        w0 = cliques([57, 3], 1.0)
        inner = torch.full([2, 60], 40.0, dtype=torch.float64)
        g = torch.arange(57, dtype=torch.float64)
        flat = torch.stack([g % 8, torch.div(g, 8, rounding_mode="floor"), torch.zeros(57, dtype=torch.float64)], 1) / 8
        nrm = torch.zeros(60, 3, dtype=torch.float64)
        nrm[:, 2] = 1.0
        tip = flat[56] + torch.tensor([[0.02, 0.0, 0.3], [-0.02, 0.0, 0.3], [0.0, 0.02, 0.3]], dtype=torch.float64)
        order = torch.arange(60)
        cut, left = hs.sweep_along(w, order)
        cut0, left0 = hs.sweep_along(w0, order)
        at = torch.tensor([56])
        plain = float((cut[56] / left[56] + cut[56] / (w.sum() - left[56])) /
                      (cut0[56] / left0[56] + cut0[56] / (w0.sum() - left0[56])))
        ri = inner_ratios(cut, left, float(w.sum()), cut0, left0, float(w0.sum()), inner[0], inner[1], order, at)[0]
        self.assertGreater(plain, 0.45)
        self.assertLess(ri, 0.33)
        rules = dict(small_size=20.0, small_tau=0.22, small_ratio=0.38, pnorm=nrm, small_reach=0.75)
        kind, _, side = hs.choose_cut(w, w0, size, torch.cat([flat, tip]), 0.08, 0.055, 0.7, 50.0, 1, **rules,
                                      inner=inner, crease_inner=0.4, crease_tau=0.3)
        self.assertEqual(kind, 1)
        piece = torch.arange(60) >= 57
        self.assertTrue(bool((side == piece).all()) or bool((side == ~piece).all()))
        # without the inner edges it stays a speck
        kind, _, _ = hs.choose_cut(w, w0, size, torch.cat([flat, tip]), 0.08, 0.055, 0.7, 50.0, 1, **rules)
        self.assertEqual(kind, 2)


class SmoothMerges(unittest.TestCase):
    def test_a_smooth_border_of_a_crease_cut_is_merged_and_a_neck_is_kept(self):
        # two parts of two patches each, children of the root; their border is the edge 1-2
        part_of = torch.tensor([0, 0, 1, 1])
        score = torch.tensor([0.6, 0.9])
        leaf = torch.tensor([1, 2])
        parent = torch.tensor([-1, 0, 0])
        w0 = torch.zeros(4, 4, dtype=torch.float64)
        for i, j in ((0, 1), (1, 2), (2, 3)):
            w0[i, j] = w0[j, i] = 1.0
        for border, ratio, merged in ((1.0, 0.3, True), (1.0, 0.9, False), (0.1, 0.3, False)):
            w = w0.clone()
            w[1, 2] = w[2, 1] = border
            bratio = torch.tensor([1.0, ratio, ratio])
            po, sc = hs.smooth_merges(part_of, score, leaf, parent, bratio, w, w0, 0.8, 0.7)
            if merged:
                self.assertEqual(po.tolist(), [0, 0, 0, 0])
                self.assertEqual(sc.tolist(), [0.8999999761581421])
            else:
                self.assertEqual(po.tolist(), [0, 0, 1, 1])
                self.assertEqual(sc.shape[0], 2)


class CutTree(unittest.TestCase):
    def test_three_blobs_make_a_tree_of_their_cuts(self):
        sizes = [20, 20, 20]
        w = cliques(sizes, 0.3)
        w0 = cliques(sizes, 1.0)
        size = torch.full([60], 10.0, dtype=torch.float64)
        part_of, score, leaf, parent, bval, bratio, cval = hs.cut_tree(w, w0, size, coords(60), 0.08, 0.055,
                                                                       0.7, 50.0, 1)
        # three parts, one per blob, each a leaf of the tree
        self.assertEqual(score.shape[0], 3)
        for b in range(3):
            self.assertEqual(len(set(part_of[20 * b:20 * b + 20].tolist())), 1)
        self.assertEqual(len(set(part_of.tolist())), 3)
        self.assertEqual(len(set(leaf.tolist())), 3)
        # root, the first cut's two sides, the second cut's two sides
        self.assertEqual(parent.tolist()[0], -1)
        self.assertEqual(parent.shape[0], 5)
        for v in range(1, 5):
            self.assertGreaterEqual(int(parent[v]), 0)
            self.assertLess(int(parent[v]), v)
            # the cut that made a node was cheap and followed weak edges
            self.assertLess(float(bval[v]), 0.08)
            self.assertLess(float(bratio[v]), 0.7)
            # its parent's own cut is that cut
            self.assertAlmostEqual(float(cval[int(parent[v])]), float(bval[v]), places=5)
        # a leaf's own lowest cut was not taken
        for v in leaf.tolist():
            self.assertGreater(float(cval[v]), 0.08)
        self.assertTrue(bool(((score >= 0.5) & (score <= 1.0)).all()))


class ShapeDiameter(unittest.TestCase):
    def test_slab_thickness_and_misses(self):
        p, n = slab(6000, 0.04)
        spacing = 1.0 / math.sqrt(3000.0)
        q = torch.arange(0, 6000, 7)
        sd = hs.shape_diameter(p, n, q, spacing, 0.18, 3, 0.5)
        hit = torch.isfinite(sd)
        self.assertGreater(float(hit.float().mean()), 0.8)
        self.assertLess(float((sd[hit] - 0.04).abs().median()), 0.01)


    def test_inscribed_ball_gives_a_rim_the_plate_thickness(self):
        p, n, rim = plate(20000, 0.06)
        q = torch.arange(0, 20000, 5)        # spacing about 0.01
        rays = hs.shape_diameter(p, n, q, 0.01, 0.18, 3, 0.5)
        balls = hs.inscribed_diameter(p, n, q, 0.01, 3, 4.0)
        on_rim = rim[q]
        self.assertGreater(int(on_rim.sum()), 50)
        # faces and rims alike: about the thickness
        self.assertLess(float((balls[~on_rim] - 0.06).abs().median()), 0.02)
        self.assertLess(float((balls[on_rim] - 0.06).abs().median()), 0.03)
        # a ray from a rim crosses the plate's width instead
        self.assertGreater(float(rays[on_rim][torch.isfinite(rays[on_rim])].median()), 0.3)

    def test_a_ray_far_longer_than_the_inscribed_ball_says_nothing(self):
        p, n, rim = plate(20000, 0.06)
        q = torch.arange(0, 20000, 5)
        rays = hs.shape_diameter(p, n, q, 0.01, 0.18, 3, 0.5, 4.0, 4.0)
        on_rim = rim[q]
        # rims: no thickness (before, the plate's width); faces: the thickness, as before
        self.assertLess(float(torch.isfinite(rays[on_rim]).float().mean()), 0.1)
        face = rays[~on_rim]
        self.assertGreater(float(torch.isfinite(face).float().mean()), 0.8)
        self.assertLess(float((face[torch.isfinite(face)] - 0.06).abs().median()), 0.01)


class Segmenter(unittest.TestCase):
    def test_thin_plate_is_one_part(self):
        p, n = slab(12000, 0.02)
        masks, scores = torch.jit.script(hs.Segmenter().eval())(p, n, torch.zeros(0, 3))
        self.assertEqual(masks.shape, (1, 12000))
        self.assertEqual(scores.shape, (1,))

    def test_a_plate_with_its_rims_is_one_part(self):
        # rim rays cross the plate's width: without the ball check (rim=0) the
        # thickness jump at the rims cut the faces apart (the chair seat in two)
        p, n, _ = plate(20000, 0.06)
        old, _ = hs.Segmenter(rim=0.0)(p, n, torch.zeros(0, 3))
        self.assertGreater(old.shape[0], 2)
        masks, _ = hs.Segmenter()(p, n, torch.zeros(0, 3))
        self.assertEqual(masks.shape[0], 1)

    def test_a_tapering_body_is_not_sliced_and_a_bar_between_balls_is_cut(self):
        old = dict(neck=0.0, cands=1, nvec=1, rim=0.0)
        # three capsules of falling radius, smoothly blended: one tapering body
        # with no crease; its cheapest cut is a "neck" only because it is long
        body = [capsule((0, 0, -0.25), (0, 0, 0.35), 0.28), capsule((0, 0, 0.35), (0, 0, 0.95), 0.19),
                capsule((0, 0, 0.95), (0, 0, 1.5), 0.11)]
        p, n, _ = smooth_union_samples(body, 0.35, 20000)
        sliced, _ = hs.Segmenter(**old)(p, n, torch.zeros(0, 3))
        self.assertEqual(sliced.shape[0], 2)
        whole, _ = hs.Segmenter()(p, n, torch.zeros(0, 3))
        self.assertEqual(whole.shape[0], 1)
        # a waist that widens on both sides (two balls on a thin bar) is still cut
        bar = [capsule((0, 0, -0.2), (0, 0, -0.2), 0.3), capsule((0, 0, 1.45), (0, 0, 1.45), 0.3),
               capsule((0, 0, -0.2), (0, 0, 1.45), 0.07)]
        p, n, lab = smooth_union_samples(bar, 0.1, 20000)
        masks, _ = torch.jit.script(hs.Segmenter().eval())(p, n, torch.zeros(0, 3))
        self.assertEqual(masks.shape[0], 3)
        for k in range(2):
            ball = lab == k
            self.assertGreater(float(masks[:, ball].sum(1).max()) / float(ball.sum()), 0.9)

    def test_prompt_masks_cover_every_sample_once_per_prompt(self):
        p, n = sphere(4000)
        prompts = p[:3] * 1.01
        masks, scores = hs.Segmenter()(p, n, prompts)
        self.assertEqual(masks.shape, (3, 4000))
        self.assertTrue(bool((masks[:, :3].diagonal() == 1).all()))


def two_cliques(a, b, link):
    """A dense patch graph of two cliques (a and b patches, inner weight 1)
    joined by one edge of weight `link`."""
    m = a + b
    w = torch.zeros(m, m, dtype=torch.float64)
    w[:a, :a] = 1.0
    w[a:, a:] = 1.0
    w.fill_diagonal_(0.0)
    w[a - 1, a] = w[a, a - 1] = link
    return w


class GrownCandidates(unittest.TestCase):
    """The click's grown candidates (h3d_prompt): PageRank sweeps on the patch graph."""

    def test_pagerank_is_a_distribution_peaked_at_the_seed(self):
        w = two_cliques(6, 10, 0.05)
        q = hp.patch_ppr(w, torch.tensor([0, 12]), 0.1)
        p = q * w.sum(1).unsqueeze(1)
        self.assertTrue(torch.allclose(p.sum(0), torch.ones(2, dtype=torch.float64), atol=1e-9))
        self.assertEqual(int(p[:, 0].argmax()), 0)
        self.assertEqual(int(p[:, 1].argmax()), 12)
        # the walk stays mostly on the seed's side of the weak link
        self.assertGreater(float(p[:6, 0].sum()), 0.8)

    def test_sweep_stops_at_the_weak_link(self):
        w = two_cliques(6, 30, 0.05)
        size = torch.ones(36, dtype=torch.float64)
        sets = hp.sweep_sets(w, size, hp.patch_ppr(w, torch.tensor([2]), 0.02))
        bounds = hp.sweep_bounds()
        self.assertEqual(sets.shape, (1, len(bounds) - 1, 36))
        # the window holding 6 of 36 patches (0.167) gives exactly the small clique
        win = [i for i in range(len(bounds) - 1) if bounds[i] <= 6 / 36 < bounds[i + 1]][0]
        self.assertTrue(bool(sets[0, win, :6].all()))
        self.assertFalse(bool(sets[0, win, 6:].any()))
        # every set holds the seed
        self.assertTrue(bool(sets[0, :, 2].all()))

    def test_features_of_a_candidate(self):
        w = two_cliques(6, 30, 0.05)
        m = 36
        size = torch.ones(m, dtype=torch.float64)
        deg = w.sum(1) + 2.0                      # 2: each patch's inner edges
        w0 = (w > 0).to(torch.float64)
        deg0 = w0.sum(1) + 2.0
        sets = torch.zeros(2, m, dtype=torch.bool)
        sets[0] = True                            # the whole shape: the automatic part
        sets[1, :6] = True                        # the small clique
        kind = torch.tensor([0, 1])
        dist = torch.arange(m, dtype=torch.float64) * 0.01
        seg = (torch.arange(m) >= 6).long()      # the automatic segmentation: the two cliques
        f = hp.candidate_features(sets, kind, torch.tensor([0.7, 0.0]), 0, w, w0, deg, deg0, size, dist, dist,
                                  seg, 2, hp.seg_edges(w0, seg))
        self.assertEqual(f.shape, (2, hp.n_base() + 1))
        self.assertAlmostEqual(float(f[1, 0]), math.log(6 / 36), places=6)
        vol = float(deg[:6].sum())
        self.assertAlmostEqual(float(f[1, 1]), math.log(0.05 / vol + 1e-3), places=6)
        self.assertAlmostEqual(float(f[1, 2]), (0.05 / vol) / (1.0 / float(deg0[:6].sum())), places=6)
        self.assertAlmostEqual(float(f[1, 4]), 6 / 36, places=6)      # IoU with the automatic part
        self.assertAlmostEqual(float(f[1, 6]), 6 / 36, places=6)      # best overlap with another kind
        self.assertAlmostEqual(float(f[1, 9]), 1.0, places=6)       # IoU with the automatic part under the click
        self.assertAlmostEqual(float(f[0, 9]), 6 / 36, places=6)
        self.assertAlmostEqual(float(f[1, 10]), 1.0, places=6)      # its boundary runs along the automatic one
        self.assertEqual(float(f[0, 10]), 0.0)                      # the whole shape has none
        nb = hp.n_base()
        self.assertAlmostEqual(float(f[0, nb]), math.log(0.7 / 0.3), places=6)
        self.assertEqual(float(f[1, nb]), 0.0)
        x = hp.rank_design(f, kind, hp.n_kinds())
        self.assertEqual(x.shape, (2, hp.N_DESIGN))
        self.assertEqual(len(hp.PROMPT_RANK), 3 * hp.N_DESIGN + 2)

    def test_the_choice_takes_the_candidate_most_like_the_likely_ones(self):
        m = 10
        size = torch.ones(m, dtype=torch.float64)
        sets = torch.zeros(2, 4, m, dtype=torch.bool)
        sets[:, 0, :3] = True                     # the best-scored one
        sets[:, 1, 5:] = True                     # two alike, scored a little lower
        sets[:, 2, 5:] = True
        sets[:, 2, 4] = True
        sets[:, 3, :] = True                      # padding in the first click
        pair = hp.candidate_pairs(sets, size)
        self.assertAlmostEqual(float(pair[0, 1, 2]), 5 / 6, places=9)
        self.assertEqual(float(pair[0, 0, 1]), 0.0)
        z = torch.tensor([[1.0, 0.9, 0.9, 50.0], [9.0, 0.0, 0.0, 0.0]], dtype=torch.float64)
        valid = torch.tensor([[True, True, True, False], [True, True, True, True]])
        chosen, u = hp.rank_choose(z, valid, pair)
        self.assertIn(int(chosen[0]), (1, 2))     # not the padded one, nor the lone best score
        self.assertEqual(int(chosen[1]), 0)       # a clear winner stays the choice
        q = torch.softmax(z[0, :3] / hp.choice_temp(), 0)
        self.assertAlmostEqual(float(u[0]), float(pair[0, int(chosen[0]), :3] @ q), places=9)
        self.assertTrue(bool(((u > 0) & (u <= 1)).all()))


class Prompts(unittest.TestCase):
    """Clicks on a smooth-joined capsule figure (no crease where the limbs join)."""

    @classmethod
    def setUpClass(cls):
        cls.p, cls.n, cls.lab = smooth_union_samples(capsule_figure(), 0.16, 20000)
        cls.model = torch.jit.script(hs.Segmenter().eval())

    def test_a_click_on_a_limb_returns_that_limb(self):
        p, lab = self.p, self.lab
        limbs = [2, 3, 4, 5]
        # a click near each limb's far end (arms: hands, legs: feet)
        body = torch.tensor([0.0, 0.0, 0.8])
        clicks = torch.stack([p[lab == k][(p[lab == k] - body).norm(dim=1).argmax()] for k in limbs])
        masks, scores = self.model(p, self.n, clicks)
        self.assertEqual(masks.shape, (4, p.shape[0]))
        self.assertEqual(scores.shape, (4,))
        self.assertEqual(scores.dtype, torch.float32)                 # as the package manifest declares
        self.assertTrue(bool(((masks == 0) | (masks == 1)).all()))
        self.assertTrue(bool(((scores > 0) & (scores <= 1)).all()))
        for row, k in enumerate(limbs):
            mk = masks[row] > 0.5
            g = lab == k
            iou = float((mk & g).sum()) / float((mk | g).sum())
            self.assertGreater(iou, 0.6, f"limb {k}: IoU {iou:.3f}")
            # the mask holds the click
            self.assertTrue(bool(mk[torch.cdist(clicks[row:row + 1], p).argmin()]))

    def test_a_click_on_a_small_feature_returns_it_not_its_part(self):
        # a short stub (about 1 % of the area) on the figure's body, smooth-joined
        prims = capsule_figure() + [capsule((0, 0.2, 0.8), (0, 0.55, 0.8), 0.05)]
        p, n, lab = smooth_union_samples(prims, 0.04, 20000, seed=1)
        stub = lab == 6
        body = lab == 0
        tip = p[stub][p[stub][:, 1].argmax()].unsqueeze(0)
        masks, scores = self.model(p, n, tip)
        mk = masks[0] > 0.5
        iou = float((mk & stub).sum()) / float((mk | stub).sum())
        self.assertGreater(iou, 0.6, f"stub: IoU {iou:.3f}")
        self.assertLess(float((mk & body).sum()) / float(body.sum()), 0.05)

    def test_every_click_gets_candidates_of_each_kind(self):
        clicks = self.p[torch.tensor([0, 5000, 10000])]
        sets, kinds, valid, feats, lab, sub = self.model.prompt_candidates(self.p, self.n, clicks)
        self.assertEqual(sets.shape[0], 3)
        self.assertEqual(lab.shape[0], sub.shape[0])
        seed_patch = lab[torch.cdist(clicks, self.p[sub]).argmin(dim=1)]
        for c in range(3):
            k = kinds[c][valid[c]]
            for kind in range(hp.n_kinds()):
                self.assertTrue(bool((k == kind).any()))
            # the grown candidates hold the click's patch
            grown = sets[c][valid[c] & (kinds[c] > 0)]
            self.assertTrue(bool(grown[:, seed_patch[c]].all()))
            self.assertTrue(bool(torch.isfinite(feats[c][valid[c]]).all()))

    def test_click_scores_are_expected_ious(self):
        plab, anc, parent, bval, bratio, cval, nsize = self.model.prompt_tree(self.p, self.n)
        k = anc.shape[0]
        on_path = anc[torch.arange(k)]
        sc = self.model.click_scores(on_path, anc, parent, bval, bratio, cval, nsize)
        self.assertEqual(sc.shape, (k, parent.shape[0]))
        self.assertTrue(bool(((sc >= 0) & (sc < 1)).all()))
        # every click has a candidate: the automatic part under it or a node under that
        self.assertTrue(bool(((sc > 0) & on_path).any(1).all()))
        # every leaf's path starts at the root, and the root holds every sample
        self.assertTrue(bool(anc[:, 0].all()))
        self.assertAlmostEqual(float(nsize[0]), 1.0, places=5)
        self.assertEqual(int(plab.max()) + 1, k)


if __name__ == "__main__":
    torch.set_num_threads(1)
    unittest.main()
