#!/usr/bin/python3
"""Point-prompt tuning of the default segmenter on a PSB-layout folder.

  /usr/bin/python3 models/tune_prompt.py dump PSB_DIR "NAME=VALUE,..." IDS|"" OUT.npz
  /usr/bin/python3 models/tune_prompt.py score OUT.npz [OUT2.npz ...]
  /usr/bin/python3 models/tune_prompt.py fit PSB_DIR OUT.npz [OUT2.npz ...]
  /usr/bin/python3 models/tune_prompt.py rank-dump PSB_DIR IDS|"" OUT.npz
  /usr/bin/python3 models/tune_prompt.py rank PSB_DIR OUT.npz [OUT2.npz ...]

`dump` samples every mesh as models/tune_inprocess.py does (20k samples,
numpy seed 0) and draws the same clicks (one random face per human segment,
numpy seed = mesh id); it builds the segmenter's prompt tree (prompt_tree:
thresholds times prompt_scale) and stores, for every click, every node of
the tree on the path from the whole shape down to the leaf under the click
with its features (boundary Ncut, its ratio to the plain-count Ncut, the
node's own lowest Ncut, its share of the samples, its depth) and the mask's
area-weighted IoU with the clicked human segment.

`score` prints the mean prompt IoU (averaged over a mesh's segments per
human, then humans, then meshes, as run_psb.py) of the leaf under each click
and of the best node on its path (an oracle: the ceiling of any choice).

`fit` fits the segmenter's node scorer (PROMPT_MODEL in h3d_segmenter.py:
a logistic least-squares fit of each candidate's IoU on its node features
and their squares), first on one half of the categories and tested on the
other (both ways), then on all, and prints the weights to paste.

`rank-dump` stores, for every click (the same clicks), every candidate of
the segmenter's prompt_candidates (the tree nodes from the automatic part
down and the grown PageRank sweep sets, h3d_prompt.py) with its kind, its
features, its area-weighted IoU with the clicked human segment (`iou`), its
consensus IoU (`cons`: the mean of its IoUs with the segment under the
clicked face of every human of the mesh, each human weighted by the chance
that a benchmark click on that face is theirs, 1 / (their segments x the
faces of their segment there)), and the IoUs between the click's candidates
(`pair`, h3d_prompt.candidate_pairs, flattened per click). `rank` fits the
ranking model (PROMPT_RANK in h3d_prompt.py: per kind, a linear score of the
features and their squares; loss: the cross-entropy of the softmax of the
scores over each click's candidates against the softmax of their consensus
IoUs / 0.01, clicks weighted as the benchmark averages them, L-BFGS, torch
seed 0, l2 1e-4) on one half of the categories and tests it on the other
(both ways: the held-out figures, of the best-scored candidate and of the
segmenter's choice, h3d_prompt.rank_choose), then fits on all, fits the
logistic map of the chosen candidate's expected IoU to its IoU, and prints
the numbers to paste. Run log: models/tune_segmenter.log.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse(text):
    kw = {}
    for item in (text.split(',') if text else []):
        name, _, value = item.partition('=')
        kw[name] = int(value) if value.lstrip('-').isdigit() else float(value)
    return kw


def dump(psb, variant, ids, out):
    os.environ['PSB_DIR'] = psb
    import tune_inprocess as T
    import h3d_segmenter
    torch.set_num_threads(1)
    kw = parse(variant)
    m = torch.jit.script(h3d_segmenter.Segmenter(**kw).eval())
    ids = [int(x) for x in ids.split(',')] if ids else T.S.ids_of(psb, None)
    rows = []
    for i in ids:
        V, F, area = T.S.read_off(f"{psb}/off/{i}.off")
        hs = [T.S.read_labels(h, len(F)) for h in T.S.humans(psb, i)]
        P, N, fi, ctr, sc = T.sample(V, F, 20000)
        cen = (V[F].mean(1) - ctr) * sc
        from scipy.spatial import cKDTree
        tree = cKDTree(P)
        Pt = torch.tensor(P, dtype=torch.float32)
        Nt = torch.tensor(N, dtype=torch.float32)
        with torch.jit.optimized_execution(False), torch.no_grad():
            plab, anc, _, bval, bratio, cval, nsize = m.prompt_tree(Pt, Nt)
        plab = plab.numpy()
        anc = anc.numpy()
        K, NV = anc.shape
        # every face's vote: the samples on it, else its nearest sample
        votes = np.zeros((len(F), K), np.int32)
        np.add.at(votes, (fi, plab), 1)
        empty = votes.sum(1) == 0
        _, j = tree.query(cen[empty])
        votes[np.nonzero(empty)[0], plab[j]] = 1
        nv = votes @ anc.astype(np.int32)                 # [F,V] votes inside the node
        inside = 2 * nv > votes.sum(1, keepdims=True)
        # depth: node v's ancestors are the nodes on every leaf path through it
        depth = np.zeros(NV, int)
        for v in range(NV):
            leaves = np.nonzero(anc[:, v])[0]
            if len(leaves):
                above = anc[leaves].all(0)
                depth[v] = above.sum() - 1
        rng = np.random.default_rng(i)
        cur = T.S.category(i)
        for (hi, s), f in T.draw_clicks(hs, rng):
            h = hs[hi]
            _, js = tree.query(cen[f])
            leaf = plab[js]
            g = h == s
            for v in np.nonzero(anc[leaf])[0]:
                fl = inside[:, v]
                u = area[fl | g].sum()
                iou = area[fl & g].sum() / u if u > 0 else 0.0
                rows.append((i, hi, s, v, float(bval[v]), float(bratio[v]), float(cval[v]),
                             float(nsize[v]), depth[v], iou))
        print(i, cur, K, NV, flush=True)
    a = np.array(rows, dtype=np.float64)
    np.savez(out, rows=a, variant=variant)


def evaluate(a, choose):
    """Mean IoU when `choose(rows of one click)` gives the index of the node taken."""
    keys = a[:, :3]
    _, start = np.unique(keys, axis=0, return_index=True)
    start = np.sort(start)
    ends = list(start[1:]) + [len(a)]
    per = {}
    for s, e in zip(start, ends):
        c = a[s:e]
        j = choose(c)
        per.setdefault(int(c[0, 0]), {}).setdefault(int(c[0, 1]), []).append(c[j, 9])
    return np.mean([np.mean([np.mean(v) for v in hs.values()]) for hs in per.values()]), per


def features(c, tau=0.08, tau_neck=0.055, max_ratio=0.7):
    """The segmenter's node features (node_features in h3d_segmenter.py) of
    one click's path rows, in depth order (the order, the [V,22] matrix)."""
    o = np.argsort(c[:, 8])
    c = c[o]
    n = len(c)
    bval, brat, cval, ns, dep = c[:, 4], c[:, 5], c[:, 6], c[:, 7], c[:, 8]
    own = np.append(brat[1:], 2.0)
    acc = (cval < tau) & ((cval < tau_neck) | (own < max_ratio))
    acc[-1] = False
    rel = np.arange(n) - int(np.argmax(~acc))
    pns = np.append(1.0, ns[:-1])
    f = np.stack([np.log(bval + 1e-3), np.log(cval + 1e-3), np.clip(brat, 0, 2), np.log(ns), np.log(ns / pns),
                  np.clip(rel, -3, 4), (rel == 0).astype(float), (rel > 0).astype(float),
                  np.log(ns[-1]) * np.ones(n), np.clip(own, 0, 2), np.log1p(dep)], 1)
    return o, np.concatenate([f, f * f], 1)


def fit(a, test=None, l2=1e-4, seed=0):
    """Least squares of sigmoid(w . standardized features + b) on the
    candidates' IoU (L-BFGS, torch seed `seed`), over the clicks of the meshes
    not in `test`; the candidates are the automatic part under the click and
    the nodes under it. Returns (mu, sd, w, b)."""
    torch.manual_seed(seed)
    keys = a[:, :3]
    _, start = np.unique(keys, axis=0, return_index=True)
    start = np.sort(start)
    ends = list(start[1:]) + [len(a)]
    xs, ys = [], []
    for s, e in zip(start, ends):
        if test is not None and int(a[s, 0]) in test:
            continue
        o, f = features(a[s:e])
        keep = f[:, 5] >= 0          # the automatic part and the nodes under it
        xs.append(f[keep])
        ys.append(a[s:e][o, 9][keep])
    x = torch.tensor(np.concatenate(xs), dtype=torch.float64)
    y = torch.tensor(np.concatenate(ys), dtype=torch.float64)
    mu = x.mean(0)
    sd = x.std(0) + 1e-6
    xn = (x - mu) / sd
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=300)

    def closure():
        opt.zero_grad()
        loss = ((torch.sigmoid(xn @ w + b) - y) ** 2).mean() + l2 * (w * w).sum()
        loss.backward()
        return loss
    opt.step(closure)
    return mu.numpy(), sd.numpy(), w.detach().numpy(), float(b.item())


def chooser(model):
    mu, sd, w, b = model

    def choose(c):
        o, f = features(c)
        z = np.where(f[:, 5] >= 0, ((f - mu) / sd) @ w + b, -1e9)
        return int(o[int(np.argmax(z))])
    return choose


def score(paths):
    os.environ.setdefault('PSB_DIR', '')
    a = np.concatenate([np.load(p)['rows'] for p in paths])
    leaf, _ = evaluate(a, lambda c: int(np.argmax(c[:, 8])))
    oracle, _ = evaluate(a, lambda c: int(np.argmax(c[:, 9])))
    print(f"leaf {leaf:.3f} oracle {oracle:.3f}")
    return a


def cross_fit(paths, psb):
    """Fit on the categories of one half, test on the other (and back),
    then fit on all and print the weights for h3d_segmenter.PROMPT_MODEL."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("psb_score", os.path.join(psb, "score.py"))
    S = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(S)
    a = np.concatenate([np.load(p)['rows'] for p in paths])
    ids = sorted(set(int(i) for i in a[:, 0]))
    cats = sorted(set(S.category(i) for i in ids))
    tot = 0.0
    for half in (cats[0::2], cats[1::2]):
        test = {i for i in ids if S.category(i) in half}
        model = fit(a, test)
        held = a[np.isin(a[:, 0], list(test))]
        v, _ = evaluate(held, chooser(model))
        tot += v * len(test)
        print(f"held-out {','.join(half)}: {v:.3f}")
    print(f"cross-validated (category halves) {tot / len(ids):.3f}")
    model = fit(a)
    v, _ = evaluate(a, chooser(model))
    print(f"fit on all: {v:.3f}")
    mu, sd, w, b = model
    print("PROMPT_MODEL = [")
    for name, vals in (("mu", mu), ("sd", sd), ("w", w), ("b", [b])):
        print(f"    # {name}")
        print("    " + ", ".join(f"{x:.6g}" for x in vals) + ",")
    print("]")


def rank_dump(psb, ids, out):
    os.environ['PSB_DIR'] = psb
    import tune_inprocess as T
    import h3d_prompt
    import h3d_segmenter
    from scipy import sparse
    from scipy.spatial import cKDTree
    torch.set_num_threads(1)
    m = torch.jit.script(h3d_segmenter.Segmenter().eval())
    ids = [int(x) for x in ids.split(',')] if ids else T.S.ids_of(psb, None)
    rows = {k: [] for k in ('key', 'kind', 'feat', 'iou', 'cons', 'pair')}
    for i in ids:
        V, F, area = T.S.read_off(f"{psb}/off/{i}.off")
        hs = [T.S.read_labels(h, len(F)) for h in T.S.humans(psb, i)]
        H = np.stack(hs)
        P, N, fi, ctr, sc = T.sample(V, F, 20000)
        cen = (V[F].mean(1) - ctr) * sc
        rng = np.random.default_rng(i)
        clicks, pts, faces = [], [], []
        for click, f in T.draw_clicks(hs, rng):
            clicks.append(click)
            pts.append(cen[f])
            faces.append(f)
        with torch.jit.optimized_execution(False), torch.no_grad():
            sets, kinds, valid, feats, lab, sub = m.prompt_candidates(
                torch.tensor(P, dtype=torch.float32), torch.tensor(N, dtype=torch.float32),
                torch.tensor(np.array(pts), dtype=torch.float32))
        pair = h3d_prompt.candidate_pairs(sets, torch.bincount(lab, minlength=sets.shape[2])).numpy()
        sets, kinds, valid, feats = sets.numpy(), kinds.numpy(), valid.numpy(), feats.numpy()
        lab, sub = lab.numpy(), sub.numpy()
        _, near = cKDTree(P[sub]).query(P)            # every sample's subsample point
        # a face is inside a mask when more than half of its samples are (else its nearest sample decides)
        tree = cKDTree(P)
        has = np.zeros(len(F), bool)
        has[fi] = True
        emp = np.nonzero(~has)[0]
        _, j = tree.query(cen[emp])
        fr = np.concatenate([fi, emp])
        sc_ = np.concatenate([np.arange(len(P)), j])
        cnt = np.bincount(fr, minlength=len(F))
        # every face's sample count in every patch
        fp = sparse.csr_matrix((np.ones(len(fr)), (fr, lab[near[sc_]])), shape=(len(F), sets.shape[2]))
        nseg = np.array([len(np.unique(h)) for h in hs])
        for c, (hi, s) in enumerate(clicks):
            k = int(valid[c].sum())
            fv = np.asarray(fp @ sets[c, :k].T.astype(np.float64))    # [F, k] samples inside
            fm = (2 * fv > cnt[:, None]).astype(np.float64) * area[:, None]
            # every human's segment under the clicked face, and each one's IoU with every candidate
            g = (H == H[:, faces[c]][:, None]).T.astype(np.float64)  # [F, humans]
            inter = fm.T @ g
            uni = fm.sum(0)[:, None] + (area @ g)[None] - inter
            iou = np.where(uni > 0, inter / np.maximum(uni, 1e-30), 0.0)
            # the chance that the benchmark's click on this face is each human's: 1 / (their segments x
            # the faces of their segment here)
            dens = 1.0 / nseg / g.sum(0)
            rows['key'].append(np.tile([i, hi, s, c], (k, 1)))
            rows['kind'].append(kinds[c, :k])
            rows['feat'].append(feats[c, :k])
            rows['iou'].append(iou[:, hi])
            rows['cons'].append(iou @ (dens / dens.sum()))
            rows['pair'].append(pair[c, :k, :k].reshape(-1))
        print(i, T.S.category(i), len(clicks), flush=True)
    np.savez(out, **{k: np.concatenate(v) for k, v in rows.items()})


def rank_groups(d):
    key = d['key']
    _, start = np.unique(key[:, [0, 3]], axis=0, return_index=True)
    start = np.sort(start)
    return start, np.append(start[1:], len(key))


def rank_fit(d, train, l2=1e-4, seed=0, y_temp=0.01):
    """The ranking model fitted on the clicks of the meshes in `train`. The
    target of a click's candidates: the softmax of their consensus IoU / y_temp
    (`cons`: the IoU with the segment under the clicked face of every human,
    each weighted by the chance that the click is theirs), not of the clicked
    human's IoU alone: people split the same shape differently, and the
    benchmark gives a face to whichever of them drew it."""
    import h3d_prompt
    torch.manual_seed(seed)
    sel = np.isin(d['key'][:, 0], list(train))
    key = d['key'][sel]
    x = h3d_prompt.rank_design(torch.tensor(d['feat'][sel]), torch.tensor(d['kind'][sel]),
                               h3d_prompt.n_kinds())
    y = torch.tensor(d['cons'][sel])
    _, grp = np.unique(key[:, [0, 3]], axis=0, return_inverse=True)
    ng = int(grp.max()) + 1
    # a click's weight: 1 / its human's segments / its mesh's humans (then meshes alike)
    ck = np.zeros((ng, 3))
    ck[grp] = key[:, :3]
    wc = np.zeros(ng)
    for i in np.unique(ck[:, 0]):
        on = ck[:, 0] == i
        humans = np.unique(ck[on, 1])
        for h in humans:
            hh = on & (ck[:, 1] == h)
            wc[hh] = 1.0 / hh.sum() / len(humans)
    wc = torch.tensor(wc / wc.sum())
    g = torch.tensor(grp)
    mu = x.mean(0)
    sd = x.std(0) + 1e-6
    xn = (x - mu) / sd
    ymax = torch.zeros(ng, dtype=y.dtype).scatter_reduce(0, g, y, 'amax', include_self=False)
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=500)

    def closure():
        opt.zero_grad()
        z = xn @ w
        zmax = torch.zeros(ng, dtype=z.dtype).scatter_reduce(0, g, z.detach(), 'amax', include_self=False)
        e = torch.exp(z - zmax[g])
        den = torch.zeros(ng, dtype=z.dtype).index_add(0, g, e)
        # listwise cross-entropy: the target puts softmax(IoU / y_temp) on a click's candidates,
        # so near-best ones share the credit (held out better than the expected IoU of a softmax choice)
        t = torch.exp((y - ymax[g]) / y_temp)
        tden = torch.zeros(ng, dtype=z.dtype).index_add(0, g, t)
        logq = z - zmax[g] - torch.log(den)[g]
        loss = -(wc[g] * t / tden[g] * logq).sum() + l2 * (w * w).sum()
        loss.backward()
        return loss
    opt.step(closure)
    return mu.numpy(), sd.numpy(), w.detach().numpy()


def rank_pairs(d):
    """Every click's candidate_pairs block (the dump's `pair`, flattened per click)."""
    start, end = rank_groups(d)
    k = end - start
    off = np.concatenate([[0], np.cumsum(k * k)])
    return [d['pair'][off[c]:off[c + 1]].reshape(k[c], k[c]) for c in range(len(k))]


def rank_eval(d, ids, model, pairs=None):
    """Mean IoU of the chosen candidates of the clicks of `ids` (as the
    benchmark averages; h3d_prompt.rank_choose, or the best-scored one without
    `pairs`) and the (chosen one's expected IoU, its IoU) pairs."""
    import h3d_prompt
    mu, sd, w = model
    start, end = rank_groups(d)
    per = {}
    pairs_out = []
    x = h3d_prompt.rank_design(torch.tensor(d['feat']), torch.tensor(d['kind']),
                               h3d_prompt.n_kinds()).numpy()
    z = ((x - mu) / sd) @ w
    for c, (s, e) in enumerate(zip(start, end)):
        i, hi = int(d['key'][s, 0]), int(d['key'][s, 1])
        if i not in ids:
            continue
        if pairs is None:
            j, u = s + int(np.argmax(z[s:e])), float(z[s:e].max())
        else:
            ch, ub = h3d_prompt.rank_choose(torch.tensor(z[s:e]).unsqueeze(0), torch.ones(1, e - s, dtype=torch.bool),
                                            torch.tensor(pairs[c], dtype=torch.float64).unsqueeze(0))
            j, u = s + int(ch[0].item()), float(ub[0].item())
        per.setdefault(i, {}).setdefault(hi, []).append(d['iou'][j])
        pairs_out.append((u, d['iou'][j]))
    return (float(np.mean([np.mean([np.mean(v) for v in hs.values()]) for hs in per.values()])),
            np.array(pairs_out))


def rank_cross(psb, paths):
    import importlib.util
    spec = importlib.util.spec_from_file_location("psb_score", os.path.join(psb, "score.py"))
    S = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(S)
    parts = [dict(np.load(p)) for p in paths]
    d = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    ids = sorted(set(int(i) for i in d['key'][:, 0]))
    cats = sorted(set(S.category(i) for i in ids))
    start, end = rank_groups(d)
    pairs = rank_pairs(d)

    def base(pick):
        per = {}
        for s, e in zip(start, end):
            per.setdefault(int(d['key'][s, 0]), {}).setdefault(int(d['key'][s, 1]), []).append(pick(s, e))
        return float(np.mean([np.mean([np.mean(v) for v in hs.values()]) for hs in per.values()]))
    tree_best = base(lambda s, e: d['iou'][s:e][d['kind'][s:e] == 0].max())
    oracle = base(lambda s, e: d['iou'][s:e].max())
    consensus = base(lambda s, e: d['iou'][s + int(np.argmax(d['cons'][s:e]))])
    # the tree scorer alone (the previous rule): the tree candidate of the highest tree score
    prev = base(lambda s, e: d['iou'][s + int(np.argmax(np.where(d['kind'][s:e] == 0, d['feat'][s:e, -1], -1e9)))])
    print(f"{len(ids)} meshes: tree scorer alone {prev:.3f}, best tree candidate {tree_best:.3f}, "
          f"best candidate (oracle) {oracle:.3f}, best consensus IoU (not knowing the human) {consensus:.3f}")
    tot = np.zeros(2)
    for half in (cats[0::2], cats[1::2]):
        test = {i for i in ids if S.category(i) in half}
        model = rank_fit(d, set(ids) - test)
        v = np.array([rank_eval(d, test, model)[0], rank_eval(d, test, model, pairs)[0]])
        tot += v * len(test)
        print(f"held-out {','.join(half)}: best score {v[0]:.4f}, rank_choose {v[1]:.4f}")
    tot /= len(ids)
    print(f"cross-validated (category halves): best score {tot[0]:.4f}, rank_choose {tot[1]:.4f}")
    model = rank_fit(d, set(ids))
    v, pr = rank_eval(d, set(ids), model, pairs)
    # the logistic map of the chosen candidate's expected IoU to its IoU (least squares)
    a = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    zt = torch.tensor(pr[:, 0])
    yt = torch.tensor(pr[:, 1])
    opt = torch.optim.LBFGS([a], max_iter=200)

    def closure():
        opt.zero_grad()
        loss = ((torch.sigmoid(a[0] * zt + a[1]) - yt) ** 2).mean()
        loss.backward()
        return loss
    opt.step(closure)
    print(f"fit on all: {v:.4f}; score map sigmoid({a[0].item():.4g} u + {a[1].item():.4g})")
    mu, sd, w = model
    print("PROMPT_RANK = [")
    for name, vals in (("mu", mu), ("sd", sd), ("w", w), ("score map", a.detach().numpy())):
        print(f"    # {name}")
        for s in range(0, len(vals), 10):
            print("    " + ", ".join(f"{x:.6g}" for x in vals[s:s + 10]) + ",")
    print("]")


if __name__ == '__main__':
    if sys.argv[1] == 'rank-dump':
        rank_dump(sys.argv[2], sys.argv[3], sys.argv[4])
        sys.exit(0)
    if sys.argv[1] == 'rank':
        rank_cross(sys.argv[2], sys.argv[3:])
        sys.exit(0)
    if sys.argv[1] == 'dump':
        dump(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif sys.argv[1] == 'fit':
        cross_fit(sys.argv[3:], sys.argv[2])
    else:
        score(sys.argv[2:])
