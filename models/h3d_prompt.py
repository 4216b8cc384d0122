"""Point-prompt candidates of the default segmenter and their ranking.

A click chooses among patch sets (every candidate is a union of the
over-segmentation's patches):
  - tree candidates: the nodes of the finer cut tree on the click's path, from
    the automatic part down (h3d_segmenter.Segmenter.prompt_tree), each with
    the tree scorer's expected IoU (click_scores);
  - grown candidates: personalized PageRank of the lazy random walk on the
    patch graph from the click's patch, for three restart probabilities
    (ppr_alpha()), and along each the sweep cut (patches by PageRank over
    degree) of least conductance within each window of sizes (sweep_bounds(),
    shares of the samples): local clusters around the click that stop at the
    weakest boundary of each scale, finer than the tree where a small part
    hangs off a big one (Andersen, Chung and Lang's local partitioning).
Every candidate gets scale-free features (its size, its conductance on the
affinities and on plain edge counts, its overlap with the automatic part
and with the other kinds' candidates, how deep the click lies inside it, the
tree score) and a linear score of them and their squares, one weight set per
kind (PROMPT_RANK, fitted by models/tune_prompt.py rank: softmax over each
click's candidates, expected IoU maximized); the best-scored candidate is the
mask, its score mapped to an expected IoU by a fitted logistic (the last two
numbers of PROMPT_RANK).
"""
from typing import List, Tuple

import torch
from torch import Tensor

def ppr_alpha() -> List[float]:
    """The restart probabilities of the grown candidates' walks."""
    return [0.1, 0.02, 0.005]


def sweep_bounds() -> List[float]:
    """The size windows of the sweep cuts (shares of the samples)."""
    return [0.0, 0.005, 0.012, 0.03, 0.07, 0.15, 0.3, 0.6, 1.0]


# features of one candidate (before squares); kinds: 0 tree, 1.. the ppr_alpha() walks
def n_base() -> int:
    """The number of base features of a candidate (before squares)."""
    return 9


N_DESIGN = (1 + 2 * n_base() + 2) + len(ppr_alpha()) * (1 + 2 * n_base())
# The ranking model (models/tune_prompt.py rank): the design columns' means,
# spreads and weights, then the logistic map of the best score to an expected IoU.
PROMPT_RANK = [
    # mu
    0.10962, -0.279471, -0.470685, 0.0561243, -0.0892622, 0.0639127, -0.190209, 0.0803, 0.00963181, -0.169072,
    0.810191, 2.10321, 0.0347886, 0.15378, 0.0503901, 0.421794, 0.0641248, 0.0013479, 0.358033, -0.0483058,
    0.10279, 0.296793, -0.793958, -1.09027, 0.202678, -0.168681, 0.088122, -0.625277, 0.274264, 0.0348254,
    -0.260962, 3.06155, 4.41768, 0.15239, 1.27963, 0.0477546, 1.57746, 0.256719, 0.00494707, 0.329838,
    0.296793, -0.794157, -1.12254, 0.193266, -0.16888, 0.0917398, -0.625277, 0.285412, 0.0372008, -0.276062,
    3.05972, 4.70396, 0.141932, 1.27674, 0.0523746, 1.57746, 0.275666, 0.00541336, 0.364939, 0.296793,
    -0.793547, -1.14732, 0.187798, -0.168271, 0.093657, -0.625277, 0.276541, 0.035552, -0.29179, 3.05755,
    4.93973, 0.136528, 1.27769, 0.0551984, 1.57746, 0.26092, 0.00510235, 0.403916,
    # sd
    0.312418, 0.855623, 1.37174, 0.177874, 0.381855, 0.215188, 0.620981, 0.240161, 0.0354289, 0.573977,
    2.80477, 6.51634, 0.129035, 0.902293, 0.198614, 1.66439, 0.209781, 0.00711495, 1.54834, 0.316951,
    0.640956, 0.456847, 1.55923, 1.79695, 0.333635, 1.11856, 0.199974, 1.08926, 0.426028, 0.0611097,
    0.511604, 7.52024, 8.23347, 0.276201, 3.57204, 0.156271, 3.30662, 0.406256, 0.0116074, 0.927964,
    0.456847, 1.55854, 1.85577, 0.323391, 1.11724, 0.209664, 1.08926, 0.44069, 0.0634792, 0.537337,
    7.50821, 8.80098, 0.266068, 3.57129, 0.169619, 3.30662, 0.428678, 0.0120887, 1.01366, 0.456847,
    1.55815, 1.90353, 0.318216, 1.11776, 0.21547, 1.08926, 0.429473, 0.061956, 0.564603, 7.50444,
    9.30353, 0.262081, 3.57229, 0.178272, 3.30662, 0.412395, 0.0117708, 1.10928,
    # w
    0.489654, -0.426152, -1.55795, -0.557809, -1.25743, -0.0982892, 0.186049, 0.643878, 0.139072, -0.148727,
    -0.379528, 1.99283, -2.22155, -0.171764, 0.410077, -0.576783, 0.516685, -0.129548, -0.455888, 1.44827,
    1.03954, 0.00136974, 0.327865, -0.0986439, 0.0403216, 0.239273, 0.423298, 0.223614, 0.0466083, -0.250494,
    0.227875, -0.261276, 0.119814, 0.050043, -0.315639, 0.264497, -0.245656, 0.0857924, -0.405971, -0.132639,
    -0.149612, 0.149938, 0.102926, -0.179778, 0.105837, -0.0296162, 0.105979, -0.149712, -0.122429, 0.11943,
    -0.131931, -0.0700103, -0.188987, -0.125456, -0.00159304, -0.0670944, -0.149239, -0.0820498, -0.0825851, -0.186611,
    -1.21288, -1.05444, -1.64884, -1.26621, 1.4141, -0.435658, -0.127169, 0.224826, -0.325232, -0.592228,
    1.60548, -2.44132, -1.97989, 0.0575861, 0.603075, -0.115034, 0.41267, 0.539865,
    # score map
    0.0680083, -0.900007,
]


def patch_graphs(lab: Tensor, idx: Tensor, aff: Tensor, m: int) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """From the point graph (neighbours idx [n,k], affinities aff [n,k], 0:
    no edge) and every point's patch: the patch graph of the affinities and
    of the edge counts (cross-patch edges, symmetrized), the patches'
    degrees in the symmetric point graph (intra-patch edges included) for
    both, and the patches' point counts. float64."""
    n, k = idx.shape
    dev = idx.device
    f64 = torch.float64
    a = lab.unsqueeze(1).expand(n, k).reshape(-1)
    b = lab[idx.reshape(-1)]
    wa = aff.reshape(-1).to(f64)
    wc = (aff.reshape(-1) > 0).to(f64)
    cross = a != b
    key = (a * m + b)[cross]
    w = torch.zeros(m * m, dtype=f64, device=dev).index_add_(0, key, wa[cross]).reshape(m, m)
    w0 = torch.zeros(m * m, dtype=f64, device=dev).index_add_(0, key, wc[cross]).reshape(m, m)
    w = (w + w.t()) * 0.5
    w0 = (w0 + w0.t()) * 0.5
    # a directed edge i->j gives half its weight to the degree of i and of j
    deg = torch.zeros(m, dtype=f64, device=dev).index_add_(0, a, wa * 0.5).index_add_(0, b, wa * 0.5)
    deg0 = torch.zeros(m, dtype=f64, device=dev).index_add_(0, a, wc * 0.5).index_add_(0, b, wc * 0.5)
    size = torch.bincount(lab, minlength=m).to(f64)
    return w, w0, deg, deg0, size


def patch_ppr(w: Tensor, seeds: Tensor, alpha: float) -> Tensor:
    """Personalized PageRank of the lazy walk on the patch graph `w` from
    each seed patch (one column per seed), exact (a dense solve), divided by
    the degree [m,P]."""
    m = w.shape[0]
    p = seeds.shape[0]
    dg = w.sum(1).clamp_min(1e-12)
    eye = torch.eye(m, dtype=w.dtype, device=w.device)
    a = eye - (1.0 - alpha) * 0.5 * (eye + w / dg.unsqueeze(0))
    rhs = torch.zeros(m, p, dtype=w.dtype, device=w.device)
    rhs[seeds, torch.arange(p, device=w.device)] = alpha
    return torch.linalg.solve(a, rhs) / dg.unsqueeze(1)


def sweep_sets(w: Tensor, size: Tensor, q: Tensor) -> Tensor:
    """For every column of q: along the patches in decreasing q, the prefix
    of least conductance (cut over the smaller side's degree, on `w`) within
    each window of sweep_bounds() (the prefix's share of the points); a window
    no prefix falls in gives the first patch alone. [P, windows, m] bool."""
    m, p = q.shape
    dev = w.device
    dg = w.sum(1)
    tot = dg.sum()
    frac = size / size.sum()
    bounds = sweep_bounds()
    nb = len(bounds) - 1
    order = torch.argsort(-q, dim=0)
    out = torch.zeros(p, nb, m, dtype=torch.bool, device=dev)
    ar = torch.arange(m, device=dev)
    for c in range(p):
        o = order[:, c]
        wo = w[o][:, o]
        cut = torch.cumsum(dg[o] - 2.0 * torch.tril(wo, -1).sum(1), 0)
        vol = torch.cumsum(dg[o], 0)
        phi = cut / torch.minimum(vol, tot - vol).clamp_min(1e-12)
        phi[m - 1] = 1e9
        sf = torch.cumsum(frac[o], 0)
        for bi in range(nb):
            inw = (sf >= bounds[bi]) & (sf < bounds[bi + 1])
            j = 0
            if bool(inw.any()):
                j = int(torch.where(inw, phi, torch.full_like(phi, 1e9)).argmin().item())
            out[c, bi, o[ar <= j]] = True
    return out


def candidate_features(sets: Tensor, kind: Tensor, tree_score: Tensor, auto: int, w: Tensor, w0: Tensor,
                       deg: Tensor, deg0: Tensor, size: Tensor, pmin: Tensor, pmax: Tensor) -> Tensor:
    """The features of one click's candidates (patch sets [C,m], their kind,
    the tree score of the tree ones, the index of the automatic part, the
    patch graphs, the click's least and greatest distance to each patch's
    points): [C, n_base() + 1] (the last one the tree score's logit)."""
    s = sets.to(torch.float64)
    n = size.sum()
    cnt = s @ size
    ls = torch.log((cnt / n).clamp_min(1e-4))
    feats: List[Tensor] = [ls]
    rat_num = torch.zeros_like(cnt)
    lpa = torch.zeros_like(cnt)
    for gi in range(2):
        g = w if gi == 0 else w0
        dg = deg if gi == 0 else deg0
        cut = ((s @ g) * (1.0 - s)).sum(1)
        vol = s @ dg
        phi = cut / torch.minimum(vol, dg.sum() - vol).clamp_min(1e-12)
        if gi == 0:
            rat_num = phi
            lpa = torch.log(phi + 1e-3)
        else:
            feats.append(lpa)
            feats.append((rat_num / phi.clamp_min(1e-6)).clamp(0.0, 2.0))
    inter = (s * size) @ s.t()
    pair = inter / (cnt.unsqueeze(1) + cnt.unsqueeze(0) - inter).clamp_min(1.0)
    auto_size = cnt[auto] / n
    feats.append(ls - torch.log(auto_size.clamp_min(1e-4)))
    feats.append(pair[:, auto])
    feats.append(torch.log(auto_size.clamp_min(1e-4)).expand(cnt.shape[0]))
    other = kind.unsqueeze(1) != kind.unsqueeze(0)
    feats.append(torch.where(other, pair, torch.zeros_like(pair)).max(1).values)
    feats.append((pair > 0.8).to(torch.float64).sum(1) / float(cnt.shape[0]))
    big = torch.full_like(s, 1e9)
    dout = torch.where(sets, big, pmin.unsqueeze(0).expand_as(s)).min(1).values
    din = torch.where(sets, pmax.unsqueeze(0).expand_as(s), -big).max(1).values
    feats.append(torch.log(dout.clamp(1e-4, 2.0) / din.clamp(1e-4, 2.0)).clamp(-6.0, 3.0))
    t = tree_score.to(torch.float64).clamp(1e-4, 1.0 - 1e-4)
    feats.append(torch.where(kind == 0, torch.log(t / (1.0 - t)), torch.zeros_like(t)))
    return torch.stack(feats, 1)


def rank_design(f: Tensor, kind: Tensor, kinds: int) -> Tensor:
    """The ranking model's inputs: per kind, its indicator and the base
    features and their squares (the tree kind also the tree logit and its
    square) where the candidate is of that kind, else 0."""
    cols: List[Tensor] = []
    nbase = n_base()
    base = f[:, :nbase]
    for k in range(kinds):
        ind = (kind == k).to(f.dtype).unsqueeze(1)
        cols.append(ind)
        cols.append(base * ind)
        cols.append(base * base * ind)
        if k == 0:
            cols.append(f[:, nbase:] * ind)
            cols.append(f[:, nbase:] * f[:, nbase:] * ind)
    return torch.cat(cols, 1)
