"""Local thickness of the default segmenter's surface samples: the ray depth
to the opposite wall (shape_diameter) and the largest inscribed ball
(inscribed_diameter). See h3d_segmenter.py, step 2."""
from typing import List

import torch
from torch import Tensor


def shape_diameter(points: Tensor, normals: Tensor, queries: Tensor, spacing: float,
                   cone: float, stride: int, min_depth: float, rim: float = 0.0, ball_min: float = 4.0) -> Tensor:
    """Depth along -normal of each query to the nearest opposite-wall sample in a cone; +inf if none.
    With `rim` > 0, also +inf where the depth is over `rim` times the
    diameter of the largest inscribed ball touching the query (as
    inscribed_diameter, samples within `ball_min` spacings ignored): there the
    ray runs along a plate from its rim (or along a flat end) and measures the
    plate's width, not its thickness; such a ray says nothing."""
    n = points.shape[0]
    tgt = torch.arange(0, n, stride, device=points.device)
    tol = 1.5 * spacing * float(stride) ** 0.5
    tp = points[tgt]
    tn = normals[tgt]
    tp2 = tp.pow(2).sum(1)
    out: List[Tensor] = []
    m = queries.shape[0]
    for s in range(0, m, 512):
        qi = queries[s:s + 512]
        q = points[qi]
        d = -normals[qi]                                   # inward rays [B,3]
        t = tp @ d.t() - (q * d).sum(1).unsqueeze(0)       # [T,B] depth along the ray
        dd = tp2.unsqueeze(1) + q.pow(2).sum(1).unsqueeze(0) - 2.0 * (tp @ q.t())
        perp2 = (dd - t * t).clamp_min(0.0)
        facing = (tn @ d.t()) > 0.2
        ok = (t > min_depth * spacing) & facing & (perp2 < (cone * t).pow(2) + tol * tol)
        depth = torch.where(ok, t, torch.full_like(t, float("inf"))).min(dim=0).values
        if rim > 0.0:
            inside = (t > 1e-9) & (dd > (ball_min * spacing) ** 2)
            ball = torch.where(inside, dd / t.clamp_min(1e-12), torch.full_like(t, float("inf"))).min(dim=0).values
            depth = torch.where(depth > rim * ball, torch.full_like(depth, float("inf")), depth)
        out.append(depth)
    if len(out) == 0:
        return torch.zeros(0, device=points.device)
    return torch.cat(out, 0)


def inscribed_diameter(points: Tensor, normals: Tensor, queries: Tensor, spacing: float, stride: int,
                       min_dist: float) -> Tensor:
    """Twice the radius of the largest ball inside the surface that touches
    each query point (tangent there, on its inward side) and holds no sample
    (every `stride`-th one; those within `min_dist` spacings of the point are
    ignored): the ball touching sample q has radius |q - p|^2 / (2 (q - p) .
    inward normal). Unlike a ray, it gives a plate's rim the plate's
    thickness. +inf if no sample bounds it."""
    n = points.shape[0]
    tgt = torch.arange(0, n, stride, device=points.device)
    tp = points[tgt]
    tp2 = tp.pow(2).sum(1)
    out: List[Tensor] = []
    m = queries.shape[0]
    near = (min_dist * spacing) ** 2
    for s in range(0, m, 512):
        qi = queries[s:s + 512]
        q = points[qi]
        d = -normals[qi]
        t = tp @ d.t() - (q * d).sum(1).unsqueeze(0)       # [T,B] depth along the inward normal
        dd = (tp2.unsqueeze(1) + q.pow(2).sum(1).unsqueeze(0) - 2.0 * (tp @ q.t())).clamp_min(0.0)
        ok = (t > 1e-9) & (dd > near)
        r = torch.where(ok, dd / (2.0 * t).clamp_min(1e-12), torch.full_like(t, float("inf")))
        out.append(2.0 * r.min(dim=0).values)
    if len(out) == 0:
        return torch.zeros(0, device=points.device)
    return torch.cat(out, 0)
