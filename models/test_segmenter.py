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
import h3d_segmenter as hs  # noqa: E402
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


class ShapeDiameter(unittest.TestCase):
    def test_slab_thickness_and_misses(self):
        p, n = slab(6000, 0.04)
        spacing = 1.0 / math.sqrt(3000.0)
        q = torch.arange(0, 6000, 7)
        sd = hs.shape_diameter(p, n, q, spacing, 0.18, 3, 0.5)
        hit = torch.isfinite(sd)
        self.assertGreater(float(hit.float().mean()), 0.8)
        self.assertLess(float((sd[hit] - 0.04).abs().median()), 0.01)


class Segmenter(unittest.TestCase):
    def test_thin_plate_is_one_part(self):
        p, n = slab(12000, 0.02)
        masks, scores = torch.jit.script(hs.Segmenter().eval())(p, n, torch.zeros(0, 3))
        self.assertEqual(masks.shape, (1, 12000))
        self.assertEqual(scores.shape, (1,))

    def test_prompt_masks_cover_every_sample_once_per_prompt(self):
        p, n = sphere(4000)
        prompts = p[:3] * 1.01
        masks, scores = hs.Segmenter()(p, n, prompts)
        self.assertEqual(masks.shape, (3, 4000))
        self.assertTrue(bool((masks[:, :3].diagonal() == 1).all()))


if __name__ == "__main__":
    torch.set_num_threads(1)
    unittest.main()
