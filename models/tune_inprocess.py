#!/usr/bin/python3
"""In-process tuning driver for the default segmenter on a PSB-layout folder.

  /usr/bin/python3 models/tune_inprocess.py PSB_DIR "NAME=VALUE,..." [IDS|""] [prompt|noprompt] [OUT.json]

Faster than the CLI route (models/tune_segmenter.py): samples 20k points per
mesh as the host does (area-weighted, numpy seed 0, outward normals by the
signed volume, the bounding box scaled to extent 1), runs the scripted
Segmenter(**variant) in this process (one thread), gives every face the
vote of its samples or else its nearest sample's label (the host's rule,
without its connectivity clean-up), and scores with the folder's score.py.
Prompt clicks: one random face per human segment (numpy seed = mesh id).
Prints the overall figures and the Rand index error per category. Figures
are close to, not equal to, bench/segmentation/run_psb.py's; the README's
come from run_psb.py.
"""
import sys, os, time, importlib.util, json
import numpy as np, torch
from scipy.spatial import cKDTree
sys.path.insert(0, os.environ.get('SEGDIR', os.path.dirname(os.path.abspath(__file__))))
import h3d_segmenter
PSB = sys.argv[1] if __name__ == '__main__' else os.environ.get('PSB_DIR', '')
spec = importlib.util.spec_from_file_location("psb_score", os.path.join(PSB, "score.py"))
S = importlib.util.module_from_spec(spec)
spec.loader.exec_module(S)

def sample(V, F, n, seed=0):
    rng = np.random.default_rng(seed)
    a, b, c = V[F[:,0]], V[F[:,1]], V[F[:,2]]
    cr = np.cross(b-a, c-a); ar = np.linalg.norm(cr, axis=1)
    vol = (a * np.cross(b, c)).sum()
    fi = rng.choice(len(F), n, p=ar/ar.sum())
    r1, r2 = rng.random(n), rng.random(n); s = np.sqrt(r1)
    p = (1-s)[:,None]*a[fi] + (s*(1-r2))[:,None]*b[fi] + (s*r2)[:,None]*c[fi]
    nr = cr[fi] / np.maximum(ar[fi], 1e-12)[:,None]
    if vol < 0: nr = -nr
    lo, hi = V.min(0), V.max(0); ctr = (lo+hi)/2; sc = 1.0/(hi-lo).max()
    return (p-ctr)*sc, nr, fi, ctr, sc

def faces_from(lab, fi, nf, tree, cen):
    out = np.full(nf, -1)
    K = lab.max() + 1
    votes = np.zeros((nf, K), np.int32)
    np.add.at(votes, (fi, lab), 1)
    has = votes.sum(1) > 0
    out[has] = votes[has].argmax(1)
    _, j = tree.query(cen[~has])
    out[~has] = lab[j]
    return out

def draw_clicks(hs, rng):
    """The benchmark's clicks: for each human segmentation and each of its
    segments, one face drawn at random inside it. Yields ((human, segment),
    face) in a fixed order, so a seeded rng gives the same clicks everywhere."""
    for hi, h in enumerate(hs):
        for s in np.unique(h):
            faces = np.nonzero(h == s)[0]
            yield (hi, s), faces[rng.integers(len(faces))]


def run(kw, ids, prompt=True, n=20000, verbose=False):
    torch.set_num_threads(1)
    m = torch.jit.script(h3d_segmenter.Segmenter(**kw).eval())
    rows = []
    t0 = time.process_time()
    for i in ids:
        V, F, area = S.read_off(f"{PSB}/off/{i}.off")
        hs = [S.read_labels(h, len(F)) for h in S.humans(PSB, i)]
        P, N, fi, ctr, sc = sample(V, F, n)
        cen = (V[F].mean(1) - ctr) * sc
        tree = cKDTree(P)
        clicks, pts = [], []
        rng = np.random.default_rng(i)
        if prompt:
            for click, f in draw_clicks(hs, rng):
                clicks.append(click); pts.append(cen[f])
        Pt = torch.tensor(P, dtype=torch.float32); Nt = torch.tensor(N, dtype=torch.float32)
        with torch.jit.optimized_execution(False), torch.no_grad():
            masks, _ = m(Pt, Nt, torch.zeros(0, 3))
            lab = masks.argmax(0).numpy()
            pred = faces_from(lab, fi, len(F), tree, cen)
            met = np.mean([S.metrics(pred, h, area) for h in hs], axis=0)
            row = dict(id=i, cat=S.category(i), RI=met[0], HD=met[1], parts=len(np.unique(pred)),
                       human_parts=float(np.mean([len(np.unique(h)) for h in hs])))
            if prompt:
                pm, _ = m(Pt, Nt, torch.tensor(np.array(pts), dtype=torch.float32))
                pm = (pm > 0.5).numpy().astype(int)
                per = {}
                for (hi, s), mk in zip(clicks, pm):
                    fl = faces_from(mk, fi, len(F), tree, cen) == 1
                    g = hs[hi] == s
                    u = area[fl | g].sum()
                    per.setdefault(hi, []).append(area[fl & g].sum() / u if u > 0 else 0)
                row['prompt'] = float(np.mean([np.mean(v) for v in per.values()]))
        rows.append(row)
        if verbose: print(row, flush=True)
    cats = sorted(set(r['cat'] for r in rows), key=lambda c: min(r['id'] for r in rows if r['cat'] == c))
    percat = {c: np.mean([r['RI'] for r in rows if r['cat'] == c]) for c in cats}
    inr = np.mean([0.5*r['human_parts'] <= r['parts'] <= 2*r['human_parts'] for r in rows])
    single = [r['id'] for r in rows if r['parts'] == 1]
    summ = dict(RI=np.mean([r['RI'] for r in rows]), HD=np.mean([r['HD'] for r in rows]), inrange=inr,
                single=single, parts=np.mean([r['parts'] for r in rows]), human=np.mean([r['human_parts'] for r in rows]),
                prompt=np.mean([r['prompt'] for r in rows]) if prompt else None, cpu=time.process_time()-t0)
    return summ, percat, rows

if __name__ == '__main__':
    kw = {}
    for item in (sys.argv[2].split(',') if len(sys.argv) > 2 and sys.argv[2] else []):
        name, _, value = item.partition('=')
        kw[name] = int(value) if value.lstrip('-').isdigit() else float(value)
    ids = [int(x) for x in sys.argv[3].split(',')] if len(sys.argv) > 3 and sys.argv[3] else S.ids_of(PSB, None)
    prompt = len(sys.argv) <= 4 or sys.argv[4] != 'noprompt'
    summ, percat, rows = run(kw, ids, prompt)
    print(kw, ' '.join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in summ.items()))
    print('  ', ' '.join(f"{c}:{v:.3f}" for c, v in percat.items()))
    if len(sys.argv) > 5:
        with open(sys.argv[5], 'w') as f:
            json.dump(rows, f, default=float)
