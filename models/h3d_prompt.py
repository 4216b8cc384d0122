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
    hangs off a big one (Andersen, Chung and Lang's local partitioning);
  - part unions (kind n_kinds() - 3): the automatic segmentation's part under
    the click alone and joined with each of its most-touching adjacent parts
    (adjacent_unions): where a person's part spans two automatic ones;
  - leaf unions (kind n_kinds() - 2): the same on the leaves of the finer
    prompt tree;
  - annulus cuts (kind n_kinds() - 1): for each radius of annulus_radii()
    (shares of the shape's extent), the patches within it of the click on one
    side, those beyond 1.5 times it on the other, the random walker's
    harmonic potential between them and its level set of least conductance
    (annulus_cuts): the weakest boundary at that distance from the click,
    which the walks' sweeps miss where it is weak at every scale.
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


def annulus_radii() -> List[float]:
    """The inner radii of the annulus cuts (shares of the shape's extent)."""
    return [0.03, 0.05, 0.08, 0.12, 0.2, 0.3, 0.45, 0.7, 1.0]


def n_kinds() -> int:
    """The candidate kinds: 0 tree, 1.. the ppr_alpha() walks, then part
    unions, leaf unions and annulus cuts."""
    return 1 + len(ppr_alpha()) + 3


# features of one candidate (before squares)
def n_base() -> int:
    """The number of base features of a candidate (before squares)."""
    return 11


N_DESIGN = (1 + 2 * n_base() + 2) + (n_kinds() - 1) * (1 + 2 * n_base())
# The ranking model (models/tune_prompt.py rank): the design columns' means,
# spreads and weights, then the logistic map of the best score to an expected IoU.
PROMPT_RANK = [
    # mu
    0.0615326, -0.148797, -0.271521, 0.0299684, -0.0377679, 0.0415217, -0.111029, 0.0581125, 0.00733828, -0.0943332,
    0.0411912, 0.0377931, 0.423976, 1.23983, 0.017666, 0.0625493, 0.0348485, 0.254905, 0.0558817, 0.00125834,
    0.200563, 0.0344794, 0.0321287, -0.016937, 0.0629941, 0.194742, -0.520747, -0.71067, 0.136097, -0.104877,
    0.0585626, -0.41587, 0.181524, 0.0186989, -0.170899, 0.0589337, 0.0436073, 2.00676, 2.86225, 0.103963,
    0.845132, 0.0322543, 1.07226, 0.170968, 0.00245195, 0.215823, 0.0325812, 0.0243, 0.194742, -0.520852,
    -0.731567, 0.129949, -0.104982, 0.0610396, -0.41587, 0.187714, 0.0199977, -0.180453, 0.0614364, 0.051888,
    2.00555, 3.04638, 0.0969838, 0.843252, 0.0354333, 1.07226, 0.181645, 0.00269942, 0.238064, 0.0358002,
    0.0322591, 0.194742, -0.520472, -0.74767, 0.126433, -0.104602, 0.0621528, -0.41587, 0.18271, 0.0194023,
    -0.190924, 0.0625528, 0.0578517, 2.0042, 3.19888, 0.0934537, 0.844033, 0.0371082, 1.07226, 0.173237,
    0.00263222, 0.263879, 0.0374989, 0.0387378, 0.0791732, -0.111576, -0.407015, 0.0280591, 0.0443876, 0.0534716,
    -0.155963, 0.0676849, 0.00841518, -0.120311, 0.054253, 0.0783458, 0.222538, 2.11567, 0.0122783, 0.071431,
    0.0439535, 0.381176, 0.0600815, 0.00151956, 0.260155, 0.0447421, 0.0783458, 0.107992, -0.261776, -0.442846,
    0.0554073, -0.0519203, 0.0528922, -0.209856, 0.087679, 0.00944101, -0.188191, 0.0536876, 0.0533654, 0.723797,
    1.87771, 0.0329883, 0.13749, 0.0363716, 0.505638, 0.0756185, 0.00161075, 0.419142, 0.0370535, 0.0378203,
    0.167076, -0.395829, -0.67062, 0.114204, -0.0374561, 0.0579826, -0.358373, 0.135032, 0.0136511, -0.0769315,
    0.0582879, 0.0442647, 1.27518, 2.87127, 0.0865601, 0.445619, 0.0318349, 0.927042, 0.113332, 0.00190129,
    0.0528334, 0.0321373, 0.0282698,
    # sd
    0.240306, 0.633907, 1.07987, 0.129492, 0.247232, 0.182003, 0.492524, 0.22914, 0.0347068, 0.437797,
    0.181061, 0.175217, 2.0756, 5.1772, 0.0901409, 0.587173, 0.169108, 1.34921, 0.223799, 0.00787861,
    1.18033, 0.167847, 0.16338, 0.250415, 0.503933, 0.396004, 1.31742, 1.53532, 0.292303, 0.913311,
    0.16978, 0.948322, 0.371508, 0.045852, 0.431993, 0.170612, 0.149662, 6.25888, 6.90498, 0.242428,
    2.9806, 0.131784, 2.86953, 0.35467, 0.00900807, 0.765664, 0.132721, 0.119144, 0.396004, 1.31692,
    1.58468, 0.283016, 0.912269, 0.178067, 0.948322, 0.382636, 0.0479543, 0.453324, 0.178959, 0.171951,
    6.24757, 7.37444, 0.232985, 2.97974, 0.143216, 2.86953, 0.372357, 0.00952371, 0.834951, 0.144228,
    0.14277, 0.396004, 1.31655, 1.62477, 0.278333, 0.91274, 0.182334, 0.948322, 0.373972, 0.047496,
    0.476894, 0.183266, 0.188126, 6.2464, 7.7919, 0.229148, 2.9801, 0.149622, 2.86953, 0.359314,
    0.00954574, 0.916658, 0.15074, 0.160832, 0.27001, 0.458356, 1.39643, 0.107197, 0.263555, 0.202718,
    0.597372, 0.235586, 0.0380634, 0.495663, 0.204449, 0.268716, 1.19766, 7.39314, 0.0593294, 0.634853,
    0.184104, 1.74028, 0.217452, 0.00945733, 1.38748, 0.186048, 0.268716, 0.310372, 0.80949, 1.29677,
    0.17297, 0.367144, 0.183233, 0.679413, 0.260637, 0.039009, 0.619458, 0.184856, 0.187011, 2.51808,
    5.81205, 0.119348, 0.824484, 0.15402, 1.94118, 0.238593, 0.0100043, 1.69642, 0.155464, 0.156835,
    0.373045, 1.05759, 1.55613, 0.271143, 0.666498, 0.16874, 0.893653, 0.308382, 0.0414128, 0.2166,
    0.16953, 0.162206, 4.03634, 7.26241, 0.225012, 1.75577, 0.1279, 2.69953, 0.271494, 0.00856204,
    0.259413, 0.128796, 0.136029,
    # w
    0.110265, -0.0210577, -2.11891, 0.336143, 0.0946205, -0.166634, -0.0745991, 0.633742, -0.0153503, -0.324871,
    -0.856741, -0.36909, 0.0999263, -0.550647, -0.461194, 0.0177895, -0.0487009, -0.172701, -0.415769, -0.0123107,
    -0.299364, 0.697906, 0.231054, 0.0973679, -0.0339153, 0.102853, -0.456065, -2.31753, 0.403123, -0.689787,
    -0.452438, 0.0307511, -0.155401, 0.2964, -0.0715529, 0.202271, -0.291393, -0.239231, -0.463562, -1.11493,
    -0.215245, 0.314937, 0.0153318, -0.0313508, -0.123947, -0.0919744, -0.016319, 0.0954471, -0.127877, -0.501877,
    -2.5599, 0.347393, -0.734984, -0.362022, 0.0100956, -0.0469029, 0.25197, -0.127589, 0.0751505, -0.380176,
    -0.323612, -0.531518, -1.04313, -0.215108, 0.272012, -0.000319905, 0.00665767, -0.115729, -0.126072, 0.0863688,
    0.133875, -0.164121, -0.549773, -3.53097, 0.487954, -0.83782, -0.460552, 0.0431358, -0.0571123, -0.142723,
    -0.213655, -0.0849439, -0.410372, -0.44029, -0.85473, -1.07868, -0.248846, 0.334396, 0.0805797, -0.291934,
    0.0489214, -0.185338, 0.210961, 0.147476, 0.726532, -0.0825389, -2.28362, 0.0926703, -0.301878, -0.648979,
    0.069855, -1.84926, -0.0389746, -0.253349, -0.659064, 0.179186, -0.180191, -0.485516, -0.201977, -0.226685,
    0.36741, 0.232712, 0.997184, -0.013937, -0.26539, 0.702447, 0.179186, -0.954202, -0.159781, -3.34018,
    0.478884, -0.331242, -0.526334, -0.0113745, 0.102145, 0.0719921, -0.567965, -0.409, -0.337951, -0.0318365,
    -0.902483, -0.646852, -0.123622, 0.385278, -0.0610039, 0.0399339, -0.0410975, -0.528535, 0.406792, 0.125789,
    0.397783, -0.427668, -2.75601, 0.420216, -0.56324, -0.606271, -0.0860536, -0.506108, 0.156911, -0.0341916,
    0.0136003, -0.402354, -0.136962, -0.713628, -0.985954, -0.250223, 0.417668, -0.12145, 0.0583383, -0.0545139,
    -0.0378116, 0.0654328, 0.19914,
    # score map
    0.447027, -0.770916,
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


def adjacent_unions(parts: Tensor, w0: Tensor, seed: int, most: int) -> Tensor:
    """The part (of `parts`, every patch's) under the seed patch alone and
    joined with each of its `most` adjacent parts sharing the most edges
    (w0) with it. [1 + at most `most`, m] bool."""
    k = int(parts.max().item()) + 1
    m = parts.shape[0]
    pm = torch.zeros(m, k, dtype=w0.dtype, device=w0.device)
    pm[torch.arange(m, device=w0.device), parts] = 1.0
    a = int(parts[seed].item())
    touch = pm.t() @ (w0 @ pm[:, a])
    touch[a] = 0.0
    order = torch.argsort(-touch)
    own = parts == a
    out: List[Tensor] = [own]
    for j in range(min(most, k - 1)):
        b = int(order[j].item())
        if float(touch[b].item()) <= 0.0:
            break
        out.append(own | (parts == b))
    return torch.stack(out, 0)


def annulus_cuts(w: Tensor, pmin: Tensor, pmax: Tensor, seed: int, extent: float) -> Tensor:
    """For every radius r of annulus_radii() (times `extent`): the harmonic
    potential of the random walk on `w` that is 1 on the patches within r of
    the click (pmax < r, and the seed patch) and 0 on those beyond 1.5 r
    (pmin), and its level set of least conductance holding the first and
    none of the second (radii with no patch beyond are left out). [<= R, m] bool."""
    m = w.shape[0]
    dev = w.device
    dg = w.sum(1)
    tot = dg.sum()
    lap = torch.diag(dg) - w
    eps = 1e-9 * float(dg.mean().item()) + 1e-12
    ar = torch.arange(m, device=dev)
    out: List[Tensor] = []
    for r in annulus_radii():
        src = pmax < r * extent
        src[seed] = True
        snk = (pmin > 1.5 * r * extent) & ~src
        ns = int(src.sum().item())
        nt = int(snk.sum().item())
        if nt == 0 or ns + nt >= m:
            continue
        free = torch.nonzero(~(src | snk)).reshape(-1)
        q = torch.zeros(m, dtype=w.dtype, device=dev)
        q[src] = 2.0
        q[snk] = -1.0
        luu = lap[free][:, free] + eps * torch.eye(free.shape[0], dtype=w.dtype, device=dev)
        b = w[free][:, src].sum(1, keepdim=True)
        q[free] = torch.linalg.solve(luu, b).reshape(-1)
        o = torch.argsort(-q)
        wo = w[o][:, o]
        cut = torch.cumsum(dg[o] - 2.0 * torch.tril(wo, -1).sum(1), 0)
        vol = torch.cumsum(dg[o], 0)
        phi = cut / torch.minimum(vol, tot - vol).clamp_min(1e-12)
        ok = (ar >= ns - 1) & (ar < m - nt)
        j = int(torch.where(ok, phi, torch.full_like(phi, 1e9)).argmin().item())
        s = torch.zeros(m, dtype=torch.bool, device=dev)
        s[o[ar <= j]] = True
        out.append(s)
    if len(out) == 0:
        return torch.zeros(0, m, dtype=torch.bool, device=dev)
    return torch.stack(out, 0)


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
