"""Evaluate the similar-clue suggestion (duban.voice.similar) on the hand-written pairs of bench/voice/.

bench/voice/pairs.json holds pairs of citizens' clues: duplicates (the same incident reported again by
someone else in other words) and different incidents that look alike (same category and town, same place
and another problem, the same wording about another place). The store is every clue of the set plus
--distractors clues written by bench/voice/distractors.py (seeded; the same towns, categories and
phrasing, never a place that a test pair names with its town). Each pair's second clue is the query, as
if it had just come in; the store's other clues are the earlier ones.

Printed:
- voice_recall_at3: duplicate queries whose earlier clue is among the top 3 suggestions (above the
  threshold). limit = the same scoring over every stored clue (no inverted index): what the candidate
  step loses.
- voice_precision_top1: of the queries (duplicates and different incidents) whose top suggestion is
  above the threshold, the share where it is the query's duplicate.
- voice_false_suggestion_rate: different-incident queries whose look-alike partner is suggested.
- voice_query_p50/p95: suggest() on the store. limit = brute force: the cosine of the query with every
  stored clue, from a TF-IDF matrix of all stored clues built beforehand (one sparse matrix-vector
  product and a top-k) — the fastest scan there is, without the place and category reranking.
- the same figures per split (dev: looked at while choosing the method; holdout: not), and a threshold
  table.

With --scale N: N generated clues (wider place lists) plus the set's clues; the intake rate (clues
indexed per second), the duplicates' recall at that size, suggest() p50/p95, and the brute-force scan
measured on a sample of --sample stored clues and extrapolated linearly to N (said so in the line), and
the process's peak memory.

    .venv/bin/python bench/voice_eval.py [--distractors 5000] [--seed 20260601]
    .venv/bin/python bench/voice_eval.py --scale 1000000
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from voice.distractors import Writer  # noqa: E402

from duban.voice import similar  # noqa: E402
from duban.voice.index import MemoryIndex  # noqa: E402

PAIRS = HERE / "voice" / "pairs.json"
SEED = 20260601


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def load():
    """(clues by id, pairs as (id, kind, split, a id, b id))."""
    doc = json.loads(PAIRS.read_text(encoding="utf-8"))
    clues, pairs = {}, []
    for p in doc["pairs"]:
        for side in "ab":
            if isinstance(p[side], dict):
                clues[p[side]["id"]] = p[side]
        a = p["a"] if isinstance(p["a"], str) else p["a"]["id"]
        pairs.append((p["id"], p["kind"], p["split"], a, p["b"]["id"]))
    return clues, pairs


def pair_texts(clues, pairs) -> list[tuple[str, str]]:
    """(category, place and text of both clues) for each pair; a pair of two categories gives one of each."""
    out = []
    for _, _, _, a, b in pairs:
        text = clues[a]["place"] + clues[a]["text"] + clues[b]["place"] + clues[b]["text"]
        out += [(category, text) for category in {clues[a]["category"], clues[b]["category"]}]
    return out


def add_clue(index, clue) -> None:
    index.add(clue["id"], clue["text"], {"place": clue["place"], "category": clue["category"]})


def query(index, clue, **kw):
    return similar.suggest(index, clue["text"], clue["category"], clue["place"], k=3, exclude=[clue["id"]], **kw)


def metrics(results, pairs, threshold):
    """recall@3, precision of the top suggestion, false-suggestion rate, from unthresholded top-3 lists."""
    dup = [(r, a) for (_, kind, _, a, _), r in zip(pairs, results, strict=True) if kind == "duplicate"]
    diff = [(r, a) for (_, kind, _, a, _), r in zip(pairs, results, strict=True) if kind == "different"]
    recall = sum(any(s.doc_id == a and s.score >= threshold for s in r[:3]) for r, a in dup) / max(1, len(dup))
    topped = [(r[0].doc_id == a if kind == "duplicate" else False)
              for (_, kind, _, a, _), r in zip(pairs, results, strict=True) if r and r[0].score >= threshold]
    precision = sum(topped) / len(topped) if topped else 1.0
    false = sum(any(s.doc_id == a and s.score >= threshold for s in r[:3]) for r, a in diff) / max(1, len(diff))
    any_false = sum(bool(r) and r[0].score >= threshold for r, _ in diff) / max(1, len(diff))
    return recall, precision, false, any_false


class Matrix:
    """Brute force: every stored clue's TF-IDF vector (L2-normalised) in one CSR matrix."""

    def __init__(self, index, ids):
        docs = index.documents(ids)
        per_doc = [similar.terms(d.text, d.place) for d in docs]
        all_terms = np.concatenate([t for t, _ in per_doc])
        self.vocab, cols = np.unique(all_terms, return_inverse=True)
        counts = np.concatenate([c for _, c in per_doc])
        df = index.document_frequencies(self.vocab)
        self.n = len(index)
        w = similar.weights(counts, df[cols], self.n)
        lengths = [len(t) for t, _ in per_doc]
        rows = np.repeat(np.arange(len(docs)), lengths)
        norms = np.sqrt(np.bincount(rows, weights=w**2))
        self.m = sparse.csr_matrix((w / norms[rows], (rows, cols)), shape=(len(docs), len(self.vocab)))
        self.ids = list(ids)
        self.index = index

    def top(self, clue, k=3):
        q = similar.Query(self.index, clue["text"], clue["place"])
        pos = np.minimum(np.searchsorted(self.vocab, q.terms), len(self.vocab) - 1)
        hit = self.vocab[pos] == q.terms
        vec = np.zeros(len(self.vocab))
        vec[pos[hit]] = q.weights[hit] / q.norm2
        scores = self.m @ vec
        best = np.argpartition(-scores, k)[: k + 1]
        return [self.ids[i] for i in best[np.argsort(-scores[best])]]


def evaluate(args) -> None:
    clues, pairs = load()
    writer = Writer(seed=args.seed, avoid=pair_texts(clues, pairs))
    index = MemoryIndex()
    for clue in clues.values():
        add_clue(index, clue)
    for i in range(args.distractors):
        category, place, text = writer.clue()
        index.add(f"x{i}", text, {"place": place, "category": category})
    ids = index.all_ids()
    print(f"# store: {len(clues)} clues of the set + {args.distractors} distractors = {len(index)}; "
          f"{sum(k == 'duplicate' for _, k, *_ in pairs)} duplicate and {sum(k == 'different' for _, k, *_ in pairs)} "
          "different-incident pairs")

    query(index, clues[pairs[0][4]])  # warm up
    results, brute, times = [], [], []
    for _, _, _, _, b in pairs:
        t = time.perf_counter()
        results.append(query(index, clues[b], threshold=-1.0))
        times.append((time.perf_counter() - t) * 1000)
        brute.append(similar.brute_force(index, clues[b]["text"], clues[b]["category"], clues[b]["place"], k=3,
                                         threshold=-1.0, ids=ids, exclude=[b]))
    matrix = Matrix(index, ids)
    scan = []
    for _, _, _, _, b in pairs:
        t = time.perf_counter()
        matrix.top(clues[b])
        scan.append((time.perf_counter() - t) * 1000)

    th = similar.DEFAULT_THRESHOLD
    for split in ("dev", "holdout"):
        sel = [i for i, p in enumerate(pairs) if p[2] == split and p[1] == "duplicate"]
        at1 = sum(results[i][0].doc_id == pairs[i][3] for i in sel if results[i]) / len(sel)
        at3 = sum(any(s.doc_id == pairs[i][3] for s in results[i]) for i in sel) / len(sel)
        print(f"# ranking alone ({split}): the earlier clue first {at1:.3f}, among the top 3 {at3:.3f}")
    print("# threshold  split    recall@3  precision@1  false-suggestion  any-suggestion-on-different")
    for threshold in (0.10, 0.125, 0.15, 0.175, 0.20, 0.25, 0.30):
        for split in ("dev", "holdout"):
            sel = [i for i, p in enumerate(pairs) if p[2] == split]
            r, p, f, a = metrics([results[i] for i in sel], [pairs[i] for i in sel], threshold)
            mark = " <- default" if threshold == th else ""
            print(f"#  {threshold:.3f}     {split:8} {r:8.3f}  {p:11.3f}  {f:16.3f}  {a:8.3f}{mark}")
    for split in ("dev", "holdout"):
        sel = [i for i, p in enumerate(pairs) if p[2] == split]
        r, p, f, _ = metrics([results[i] for i in sel], [pairs[i] for i in sel], th)
        print(f"# {split}: recall@3 {r:.3f}, precision@1 {p:.3f}, false suggestions {f:.3f} ({len(sel)} pairs)")
    if args.show:
        for (pid, kind, split, a, b), r in zip(pairs, results, strict=True):
            hit = any(s.doc_id == a and s.score >= th for s in r[:3])
            if (kind == "duplicate") != hit and (args.show == "all" or split == args.show):
                print(f"# MISS {pid} {kind} {split}: {clues[b]['text'][:40]}")
                print(f"#   want {a}: {clues[a]['text'][:40]}")
                for s in r:
                    text = clues[s.doc_id]["text"] if s.doc_id in clues else index.documents([s.doc_id])[0].text
                    print(f"#   got {s.doc_id} {s.score:.3f} {s.why} | {text[:40]}")

    r, p, f, _ = metrics(results, pairs, th)
    br, _, _, _ = metrics(brute, pairs, th)
    dup_topped = [res[0].doc_id == a for (_, kind, _, a, _), res in zip(pairs, results, strict=True)
                  if kind == "duplicate" and res and res[0].score >= th]
    print(f"# of the duplicate queries with a suggestion, the top one is the earlier clue: "
          f"{sum(dup_topped) / len(dup_topped):.3f}; different-incident queries with any suggestion: "
          f"{metrics(results, pairs, th)[3]:.3f}")
    print(f"BENCH voice_pairs {len(pairs)} pairs")
    print(f"BENCH voice_recall_at3 {r:.3f} ratio limit={br:.3f} ratio={r / br if br else 0:.3f}")
    print(f"BENCH voice_precision_top1 {p:.3f} ratio")
    print(f"BENCH voice_false_suggestion_rate {f:.3f} ratio")
    for q in (0.5, 0.95):
        name = "p50" if q == 0.5 else "p95"
        ours, lim = percentile(times, q), percentile(scan, q)
        print(f"BENCH voice_query_{name} {ours:.2f} ms limit={lim:.2f} ratio={ours / lim:.2f}")


def scale(args) -> None:
    clues, pairs = load()
    writer = Writer(seed=args.seed, avoid=pair_texts(clues, pairs), wide=True)
    n = args.scale
    generated = []
    t = time.perf_counter()
    for _ in range(n):
        generated.append(writer.clue())
    print(f"# {n} clues written in {time.perf_counter() - t:.1f} s")
    index = MemoryIndex()
    t = time.perf_counter()
    for i, (category, place, text) in enumerate(generated):
        index.add(i, text, {"place": place, "category": category})
    index.document_frequencies(np.zeros(1, dtype=np.int64))  # seal the last segment
    intake = time.perf_counter() - t
    del generated
    for clue in clues.values():
        add_clue(index, clue)
    label = f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"
    postings = sum(seg.docs.nbytes + seg.terms.nbytes + seg.offsets.nbytes for seg in index._segments)
    print(f"# index: {len(index._segments)} segments, {sum(len(seg.docs) for seg in index._segments):,} postings, "
          f"{postings / 2**20:.0f} MiB of arrays, built in {intake:.1f} s")
    print(f"BENCH voice_intake_rate {n / intake:.0f} clues/s")

    queries = [clues[b] for _, kind, _, _, b in pairs if kind == "duplicate"]
    wanted = [a for _, kind, _, a, _ in pairs if kind == "duplicate"]
    query(index, queries[0])
    times, hits = [], 0
    for clue, a in zip(queries, wanted, strict=True):
        t = time.perf_counter()
        r = query(index, clue)
        times.append((time.perf_counter() - t) * 1000)
        hits += any(s.doc_id == a for s in r)
    for _, kind, _, _, b in pairs:
        if kind == "different":
            t = time.perf_counter()
            query(index, clues[b])
            times.append((time.perf_counter() - t) * 1000)
    print(f"BENCH voice_recall_at3_{label} {hits / len(queries):.3f} ratio (the set's {len(queries)} duplicates among "
          f"{len(index)} stored clues)")

    sample = min(args.sample, n)
    ids = list(range(0, n, max(1, n // sample)))[:sample]
    matrix = Matrix(index, ids)
    scan = []
    for clue in queries[:50]:
        t = time.perf_counter()
        matrix.top(clue)
        scan.append((time.perf_counter() - t) * 1000 * n / len(ids))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for q in (0.5, 0.95):
        name = "p50" if q == 0.5 else "p95"
        ours, lim = percentile(times, q), percentile(scan, q)
        print(f"BENCH voice_suggest_{label}_{name} {ours:.1f} ms limit={lim:.1f} ratio={ours / lim:.3f} "
              f"(limit: brute-force scan of a TF-IDF matrix of {len(ids)} stored clues, extrapolated linearly to {n})")
    print(f"BENCH voice_peak_memory {peak:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distractors", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--scale", type=int, default=0, help="stored generated clues for the scale run")
    parser.add_argument("--sample", type=int, default=100_000, help="stored clues the brute force is timed on")
    parser.add_argument("--show", choices=["dev", "holdout", "all"], help="print the pairs judged wrongly")
    args = parser.parse_args()
    if args.scale:
        scale(args)
    else:
        evaluate(args)


if __name__ == "__main__":
    main()
