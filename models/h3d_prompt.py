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
and with the other kinds' candidates, how deep the click lies inside it, its
IoU with the automatic segmentation's part under the click and the share of
its boundary on that segmentation's boundaries, the tree score) and a linear
score of them and their squares, one weight set per kind (PROMPT_RANK,
fitted by models/tune_prompt.py rank: the softmax of the scores over each
click's candidates against the softmax of their IoUs, a listwise
cross-entropy); the best-scored candidate is the mask, its score mapped to
an expected IoU by a fitted logistic (the last two
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
    return 11


N_DESIGN = (1 + 2 * n_base() + 2) + len(ppr_alpha()) * (1 + 2 * n_base())
# The ranking model (models/tune_prompt.py rank): the design columns' means,
# spreads and weights, then the logistic map of the best score to an expected IoU.
PROMPT_RANK = [
    # mu
    0.0952873, -0.230422, -0.420469, 0.0464081, -0.0584862, 0.0642991, -0.171936, 0.0718265, 0.00977069, -0.146081,
    0.06374, 0.058233, 0.656555, 1.91996, 0.027357, 0.0968617, 0.0539653, 0.394738, 0.0584969, 0.00150537,
    0.310586, 0.0533251, 0.0494248, -0.0262281, 0.0975505, 0.301571, -0.806411, -1.10052, 0.210755, -0.162409,
    0.0906881, -0.644002, 0.278758, 0.0360046, -0.264648, 0.0913251, 0.0671477, 3.1076, 4.43238, 0.160993,
    1.30874, 0.0499479, 1.66046, 0.260993, 0.00520275, 0.334216, 0.0504792, 0.0373907, 0.301571, -0.806574,
    -1.13288, 0.201234, -0.162572, 0.0945239, -0.644002, 0.290115, 0.0384087, -0.279443, 0.095221, 0.0799833,
    3.10572, 4.71752, 0.150186, 1.30583, 0.0548708, 1.66046, 0.2803, 0.00569087, 0.368658, 0.0554943,
    0.0497085, 0.301571, -0.805985, -1.15782, 0.19579, -0.161983, 0.0962477, -0.644002, 0.280915, 0.0367319,
    -0.295658, 0.0969743, 0.089217, 3.10364, 4.95368, 0.144719, 1.30704, 0.0574646, 1.66046, 0.264998,
    0.00537743, 0.408633, 0.0581526, 0.0597489,
    # sd
    0.293613, 0.77683, 1.32029, 0.158757, 0.305683, 0.22323, 0.6043, 0.230951, 0.0375498, 0.537818,
    0.221953, 0.214556, 2.55318, 6.34043, 0.110984, 0.728409, 0.207975, 1.66246, 0.203383, 0.0079283,
    1.45714, 0.20623, 0.200361, 0.311229, 0.624408, 0.458942, 1.56758, 1.79478, 0.341433, 1.13242,
    0.204265, 1.11612, 0.428122, 0.0625025, 0.513984, 0.205279, 0.181335, 7.56584, 8.17768, 0.286059,
    3.62639, 0.161277, 3.4314, 0.40838, 0.012109, 0.931808, 0.162386, 0.14605, 0.458942, 1.5669,
    1.85314, 0.331198, 1.13111, 0.214328, 1.11612, 0.442872, 0.0649291, 0.539047, 0.215471, 0.208115,
    7.55162, 8.73677, 0.275806, 3.62567, 0.175201, 3.4314, 0.430929, 0.0126455, 1.01559, 0.176517,
    0.174709, 0.458942, 1.56654, 1.90083, 0.32617, 1.13173, 0.219549, 1.11612, 0.431377, 0.0634693,
    0.566765, 0.220792, 0.227574, 7.55043, 9.23724, 0.271834, 3.62597, 0.183024, 3.4314, 0.414243,
    0.0123425, 1.11447, 0.184527, 0.196553,
    # w
    0.0194656, -0.0209917, -3.01764, 0.308347, 0.0419168, -0.447328, -0.0481884, 1.044, -0.104532, -0.304605,
    -0.813855, -0.558813, 0.169466, -0.973835, -0.463415, -0.0437106, 0.13584, -0.196842, -0.674304, 0.0213808,
    -0.326084, 0.765727, 0.37219, 0.17231, -0.0622429, 0.0167455, -0.539107, -3.32329, 0.376914, -0.737659,
    -0.34907, -0.00874077, -0.182583, 0.311682, 0.10466, 0.00168977, -0.400386, -0.258027, -0.93193, -1.12427,
    -0.259979, 0.233842, 0.0217158, 0.00373935, -0.141995, -0.0302809, 0.196392, 0.176297, -0.148878, -0.544292,
    -3.58545, 0.318152, -0.738285, -0.396392, -0.0159202, -0.0397206, 0.343635, 0.0327759, -0.0532407, -0.531091,
    -0.304892, -1.0467, -1.06718, -0.251556, 0.279548, -0.00248323, -0.0011997, -0.176764, -0.0759166, 0.273243,
    0.238052, 0.11968, -0.556433, -4.6896, 0.459001, -0.820266, -0.566747, 0.0507515, -0.376519, -0.259836,
    -0.105772, -0.167111, -0.55066, -0.367471, -1.45539, -1.10096, -0.281649, 0.392693, 0.0761344, -0.215877,
    0.0848756, -0.160291, 0.38199, 0.234918,
    # score map
    0.579967, -1.26713,
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


def seg_edges(w0: Tensor, seg: Tensor) -> Tensor:
    """The patch graph `w0` on the edges between different parts of `seg` only."""
    return w0 * (seg.unsqueeze(1) != seg.unsqueeze(0)).to(w0.dtype)


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
                       deg: Tensor, deg0: Tensor, size: Tensor, pmin: Tensor, pmax: Tensor, seg: Tensor,
                       seed: int, w0_seg: Tensor) -> Tensor:
    """The features of one click's candidates (patch sets [C,m], their kind,
    the tree score of the tree ones, the index of the automatic part (the
    tree candidate), the patch graphs, the click's least and greatest
    distance to each patch's points, every patch's part in the automatic
    segmentation, the click's patch, w0 on the edges between those parts
    (seg_edges)): [C, n_base() + 1] (the last one the tree score's logit)."""
    s = sets.to(torch.float64)
    n = size.sum()
    cnt = s @ size
    ls = torch.log((cnt / n).clamp_min(1e-4))
    feats: List[Tensor] = [ls]
    rat_num = torch.zeros_like(cnt)
    lpa = torch.zeros_like(cnt)
    cut0 = torch.zeros_like(cnt)
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
            cut0 = cut
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
    # agreement with the automatic segmentation: IoU with its part under the click, and the
    # share of the candidate's boundary (edge counts) that runs along its parts' boundaries
    a = (seg == seg[seed]).to(torch.float64)
    ca = a @ size
    ia = (s * a.unsqueeze(0)) @ size
    feats.append(ia / (cnt + ca - ia).clamp_min(1.0))
    feats.append(((s @ w0_seg) * (1.0 - s)).sum(1) / cut0.clamp_min(1e-9))
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
