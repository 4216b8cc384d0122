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
click's candidates against the softmax of their consensus IoUs, over all
the people who segmented the shape, a listwise cross-entropy). The mask is
the candidate of the greatest expected IoU with the candidates under the
scores' softmax (rank_choose), that expectation mapped to an expected IoU
with the part meant by a fitted logistic (the last two numbers of
PROMPT_RANK).
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


def n_kinds() -> int:
    """The candidate kinds: 0 tree, 1.. the ppr_alpha() walks."""
    return 1 + len(ppr_alpha())


def choice_temp() -> float:
    """The temperature of the scores' softmax in the choice (rank_choose)."""
    return 0.5


N_DESIGN = (1 + 2 * n_base() + 2) + (n_kinds() - 1) * (1 + 2 * n_base())
# The ranking model (models/tune_prompt.py rank): the design columns' means,
# spreads and weights, then the logistic map of the chosen candidate's expected IoU (rank_choose) to its IoU.
PROMPT_RANK = [
    # mu
    0.0952873, -0.230422, -0.420469, 0.0464081, -0.0584862, 0.0642991, -0.171936, 0.0718265, 0.00977069, -0.146081,
    0.0636769, 0.0589978, 0.656555, 1.91996, 0.027357, 0.0968617, 0.0539653, 0.394738, 0.0584969, 0.00150537,
    0.310586, 0.0532491, 0.050236, -0.0262281, 0.0975505, 0.301571, -0.806411, -1.10052, 0.210755, -0.162409,
    0.0906881, -0.644002, 0.278758, 0.0360046, -0.264648, 0.0910932, 0.0682127, 3.1076, 4.43238, 0.160993,
    1.30874, 0.0499479, 1.66046, 0.260993, 0.00520275, 0.334216, 0.0503019, 0.0381226, 0.301571, -0.806574,
    -1.13288, 0.201234, -0.162572, 0.0945239, -0.644002, 0.290115, 0.0384087, -0.279443, 0.0949505, 0.0810494,
    3.10572, 4.71752, 0.150186, 1.30583, 0.0548708, 1.66046, 0.2803, 0.00569087, 0.368658, 0.0552684,
    0.0504936, 0.301571, -0.805985, -1.15782, 0.19579, -0.161983, 0.0962477, -0.644002, 0.280915, 0.0367319,
    -0.295658, 0.0966756, 0.0902689, 3.10364, 4.95368, 0.144719, 1.30704, 0.0574646, 1.66046, 0.264998,
    0.00537743, 0.408633, 0.0578981, 0.0605278,
    # sd
    0.293613, 0.77683, 1.32029, 0.158757, 0.305683, 0.22323, 0.6043, 0.230951, 0.0375498, 0.537818,
    0.2218, 0.216231, 2.55318, 6.34043, 0.110984, 0.728409, 0.207975, 1.66246, 0.203383, 0.0079283,
    1.45714, 0.205954, 0.202218, 0.311229, 0.624408, 0.458942, 1.56758, 1.79478, 0.341433, 1.13242,
    0.204265, 1.11612, 0.428122, 0.0625025, 0.513984, 0.20495, 0.182948, 7.56584, 8.17768, 0.286059,
    3.62639, 0.161277, 3.4314, 0.40838, 0.012109, 0.931808, 0.161979, 0.147551, 0.458942, 1.5669,
    1.85314, 0.331198, 1.13111, 0.214328, 1.11612, 0.442872, 0.0649291, 0.539047, 0.215066, 0.209583,
    7.55162, 8.73677, 0.275806, 3.62567, 0.175201, 3.4314, 0.430929, 0.0126455, 1.01559, 0.175971,
    0.176134, 0.458942, 1.56654, 1.90083, 0.32617, 1.13173, 0.219549, 1.11612, 0.431377, 0.0634693,
    0.566765, 0.220347, 0.228867, 7.55043, 9.23724, 0.271834, 3.62597, 0.183024, 3.4314, 0.414243,
    0.0123425, 1.11447, 0.183943, 0.197802,
    # w
    0.0374734, 0.0458485, -4.00003, 0.56148, 0.0278253, -0.738382, 0.044863, 1.09998, -0.0478561, -0.486257,
    -1.05593, -0.766176, 0.256233, -1.14932, -0.693551, -0.0682125, 0.334732, -0.247781, -0.6692, -0.00448056,
    -0.477155, 0.881433, 0.490601, 0.186118, -0.0534263, -0.134832, -0.973187, -3.73628, 0.848779, -1.23552,
    -0.619654, -0.113275, -0.47529, 0.668449, 0.0721861, 0.148623, -0.576457, -0.623826, -0.582411, -1.73947,
    -0.239159, 0.474645, -0.0208951, -0.046797, -0.30253, -0.0814877, 0.0341191, 0.280251, -0.291237, -0.961999,
    -4.02351, 0.726996, -1.23852, -0.536492, -0.0953739, -0.167102, 0.452689, 0.00168064, -0.0305771, -0.749104,
    -0.696961, -0.707547, -1.63986, -0.232051, 0.439551, -0.0341798, 0.0140571, -0.223252, -0.122475, 0.196735,
    0.372036, 0.402095, -0.818663, -5.5086, 0.691169, -1.31501, -0.922642, 0.184359, -0.175498, -0.200888,
    -0.163242, -0.159522, -0.728404, -0.797089, -1.41523, -1.51208, -0.325827, 0.689075, 0.175121, -0.544812,
    0.0615976, -0.231976, 0.333847, 0.322637,
    # score map
    4.92556, -4.05004,
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


def candidate_pairs(sets: Tensor, size: Tensor) -> Tensor:
    """The IoU (on the patches' point counts `size`) of every two candidates of
    each click (sets [P,C,M] bool): [P,C,C] float64."""
    s = sets.to(torch.float64)
    cnt = s @ size.to(torch.float64)
    inter = torch.bmm(s * size.to(torch.float64), s.transpose(1, 2))
    return inter / (cnt.unsqueeze(2) + cnt.unsqueeze(1) - inter).clamp_min(1.0)


def rank_choose(z: Tensor, valid: Tensor, pair: Tensor) -> Tuple[Tensor, Tensor]:
    """The choice among each click's candidates (scores z [P,C], `valid` [P,C],
    candidate_pairs [P,C,C]): the softmax of the scores over the valid ones
    (temperature choice_temp()) as the chance that each is the part meant, and
    the candidate of the greatest expected IoU with it (a minimum Bayes risk
    choice: among near-equal scores it takes the one most like the others).
    The chosen candidates [P] and their expected IoUs [P]."""
    zt = torch.where(valid, z.to(torch.float64) / choice_temp(), torch.full_like(z, -1e30, dtype=torch.float64))
    q = torch.softmax(zt, dim=1) * valid.to(torch.float64)
    u = torch.bmm(pair, q.unsqueeze(2)).squeeze(2)
    u = torch.where(valid, u, torch.full_like(u, -1.0))
    best, chosen = u.max(dim=1)
    return chosen, best
