"""Evaluate the copied-report detector (duban.quality.similarity) on the planted corpus of bench/quality.

The corpus (bench/quality/corpus.py, seeded) holds independent reports on ten supervision subjects and
planted copies of them: edited, reordered, figures changed, a sentence added or removed, templates
passed between units, re-punctuated, a mix; and same-subject reports that are not copies.

1. Shingle size: for k = 2…5, how many planted copies stay at Jaccard ≥ 0.8, how close the same-subject
   non-copies come, and how similar unrelated reports are (what fills the candidate lists at scale).
2. Band parameters: for several (bands, rows), the chance that a pair at 0.8 / 0.85 becomes a candidate
   and the false candidates expected per query among 5,000,000 stored reports, from the measured
   similarity of unrelated reports.
3. The detector as the product runs it: every report in turn is checked against the reports before it
   through an in-memory copy of the band table (key -> report ids) and the exact check on candidates;
   its pairs are compared with the brute-force truth, every pair of reports with exact Jaccard ≥ 0.8.
4. Time per query: signature + band lookup + exact check on candidates, against the exact check of
   every stored report (the limit: what a detector without an index must do).

    .venv/bin/python bench/quality_eval.py [--seed N]
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

STORED = 5_000_000


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def clusters(corpus) -> dict[int, int]:
    """Each report's family: the report it was (ultimately) copied from, itself for an original."""
    origin = {r.id: r.origin for r in corpus.reports}
    root = {}
    for r in corpus.reports:
        x = r.id
        while origin[x] is not None and corpus.reports[x].kind != "same_subject":
            x = origin[x]
        root[r.id] = x
    return root


def unrelated_similarities(corpus, family, sets, queries):
    """For each query report, its exact Jaccard with every report of another family (an array each)."""
    from duban.quality.similarity import jaccard_sets

    return [
        np.array([jaccard_sets(sets[q.id], sets[r.id]) for r in corpus.reports if family[r.id] != family[q.id]])
        for q in queries
    ]


def false_candidates(similarities, bands, rows):
    """(p50, p95) over queries of the false candidates expected among STORED reports: a query meets
    reports whose similarity to it is distributed like its similarity to the unrelated reports of the
    corpus, and each becomes a candidate with probability 1 - (1 - J^rows)^bands."""
    per_query = [STORED * float(np.mean(1 - (1 - js**rows) ** bands)) for js in similarities]
    return percentile(per_query, 0.5), percentile(per_query, 0.95)


def measure_k(corpus, family, queries, sim):
    print("# shingle size: planted copies at J>=0.8, same-subject non-copies, unrelated reports")
    print("#  k  copies>=0.8  copy-median  same-subject max  unrelated p50/p99/max  false cand. @5M p50/p95")
    positive = [p for p in corpus.pairs if p["kind"] != "same_subject"]
    negative = [p for p in corpus.pairs if p["kind"] == "same_subject"]
    for k in (2, 3, 4, 5):
        sets = {r.id: sim.shingles(r.text, k) for r in corpus.reports}
        pos = [sim.jaccard_sets(sets[p["a"]], sets[p["b"]]) for p in positive]
        neg = [sim.jaccard_sets(sets[p["a"]], sets[p["b"]]) for p in negative]
        unrelated = unrelated_similarities(corpus, family, sets, queries)
        bg = np.concatenate(unrelated)
        p50, p95 = false_candidates(unrelated, sim.BANDS, sim.ROWS)
        print(f"#  {k}  {sum(j >= 0.8 for j in pos) / len(pos):11.3f}  {statistics.median(pos):11.3f}"
              f"  {max(neg):16.3f}  {np.quantile(bg, 0.5):.3f}/{np.quantile(bg, 0.99):.3f}/{bg.max():.3f}"
              f"  {p50:13.0f}/{p95:<6.0f}{'   <- K' if k == sim.K else ''}")


def measure_bands(unrelated, sim):
    print("# band parameters: P(candidate) at J=0.8/0.85, false candidates per query among 5M stored")
    print("#  bands rows perms  (1/b)^(1/r)  P(.8)   P(.85)  false cand. @5M p50/p95  key rows @5M")
    options = [(9, 13), (14, 9), (16, 6), (16, 7), (16, 8), (18, 7), (20, 7), (20, 8), (24, 8), (32, 8),
               (32, 9), (40, 9)]
    for b, r in options:
        p50, p95 = false_candidates(unrelated, b, r)
        mark = "   <- BANDS, ROWS" if (b, r) == (sim.BANDS, sim.ROWS) else ""
        print(f"#  {b:5} {r:4} {b * r:5}  {(1 / b) ** (1 / r):11.3f}  {sim.candidate_probability(0.8, b, r):.3f}"
              f"  {sim.candidate_probability(0.85, b, r):.3f}  {p50:17.0f}/{p95:<6.0f}"
              f"  {b * STORED / 1e6:9.0f}M{mark}")


def truth_pairs(sets, threshold):
    """Every pair (a, b), a < b, with exact Jaccard >= threshold: all pairs, brute force."""
    ids = sorted(sets)
    found = {}
    for i, a in enumerate(ids):
        sa, la = sets[a], len(sets[a])
        if not la:
            continue
        for b in ids[i + 1:]:
            sb = sets[b]
            lb = len(sb)
            # |A∩B|/|A∪B| ≥ t needs min/max size ≥ t: skip without intersecting.
            if not lb or min(la, lb) < threshold * max(la, lb):
                continue
            inter = len(sa & sb)
            j = inter / (la + lb - inter)
            if j >= threshold:
                found[(a, b)] = j
    return found


def main() -> int:
    from quality.corpus import build_corpus

    from duban.quality import similarity as sim

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="corpus seed (default: the corpus's own)")
    parser.add_argument("--timed", type=int, default=300, help="queries timed against brute force")
    parser.add_argument("--queries", type=int, default=150, help="queries for the estimates at scale")
    args = parser.parse_args()

    corpus = build_corpus(args.seed) if args.seed is not None else build_corpus()
    reports = corpus.reports
    texts = {r.id: r.text for r in reports}
    threshold = sim.DEFAULT_THRESHOLD
    print(f"# scheme {sim.SCHEME}, threshold {threshold}")
    print(f"BENCH quality_corpus_reports {len(reports)} reports")

    rng = random.Random(1)
    family = clusters(corpus)
    queries = rng.sample(reports, args.queries)
    measure_k(corpus, family, queries, sim)
    sets = {r.id: sim.shingles(r.text) for r in reports}
    unrelated = unrelated_similarities(corpus, family, sets, queries)
    measure_bands(unrelated, sim)

    t0 = time.perf_counter()
    truth = truth_pairs(sets, threshold)
    brute_s = time.perf_counter() - t0
    print(f"BENCH quality_pairs_true {len(truth)} pairs")
    print(f"# brute force over {len(reports) * (len(reports) - 1) // 2} pairs: {brute_s:.1f} s")

    # The detector: reports arrive in order; each is checked against the band table of those before it.
    table: dict[int, list[int]] = {}
    found: dict[tuple[int, int], float] = {}
    candidates_total = true_candidates = 0
    times = []
    for r in reports:
        t = time.perf_counter()
        keys = sim.keys_of(r.text)
        cands = {i for key in keys for i in table.get(key, ())}
        hits = sim.near_duplicates(r.text, ((i, texts[i]) for i in cands), threshold)
        times.append(time.perf_counter() - t)
        candidates_total += len(cands)
        true_candidates += sum((min(i, r.id), max(i, r.id)) in truth for i in cands)
        for i, j in hits:
            found[(min(i, r.id), max(i, r.id))] = j
        for key in keys:
            table.setdefault(key, []).append(r.id)

    tp = len(found.keys() & truth.keys())
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    print(f"BENCH quality_dup_precision {precision:.3f} ratio")
    print(f"BENCH quality_dup_recall {recall:.3f} ratio")
    print(f"BENCH quality_candidates_per_query {candidates_total / len(reports):.2f} candidates")
    print(f"BENCH quality_candidate_precision "
          f"{true_candidates / candidates_total if candidates_total else 1.0:.3f} ratio")
    p50, p95 = false_candidates(unrelated, sim.BANDS, sim.ROWS)
    print(f"BENCH quality_false_candidates_5m_p50 {p50:.0f} candidates")
    print(f"BENCH quality_false_candidates_5m_p95 {p95:.0f} candidates")
    print(f"# (estimated per query among {STORED:,} stored reports, from {len(queries)} queries' similarity "
          f"to the unrelated reports of the corpus)")

    bins = [(0.8, 0.85), (0.85, 0.9), (0.9, 0.95), (0.95, 1.01)]
    for lo, hi in bins:
        inbin = [p for p, j in truth.items() if lo <= j < hi]
        got = sum(p in found for p in inbin)
        print(f"# recall at J in [{lo:.2f}, {min(hi, 1):.2f}): {got}/{len(inbin)}"
              f"  (expected {sim.candidate_probability(lo):.3f}+)")

    print("# planted kind      pairs  J>=0.8  found/J>=0.8  found(all)")
    kinds: dict[str, list] = {}
    for p in corpus.pairs:
        kinds.setdefault(p["kind"], []).append((min(p["a"], p["b"]), max(p["a"], p["b"])))
    for kind, pairs in kinds.items():
        above = [p for p in pairs if p in truth]
        got = sum(p in found for p in above)
        name = kind.replace("_", "-")
        if above:
            print(f"BENCH quality_recall_{kind} {got / len(above):.3f} ratio")
        print(f"#   {name:16} {len(pairs):5}  {len(above):6}  {got:5}/{len(above):<6}"
              f"  {sum(p in found for p in pairs):5}")

    # Time per query: ours (signature + lookup + check) against checking every stored report.
    timed = rng.sample(reports, min(args.timed, len(reports)))
    brute = []
    for r in timed:
        mine = sets[r.id]
        t = time.perf_counter()
        hits = [(i, j) for i, s in sets.items() if i != r.id and (j := sim.jaccard_sets(mine, s)) >= threshold]
        hits.sort(key=lambda h: -h[1])
        brute.append(time.perf_counter() - t)
    p50, p95 = percentile(times, 0.5) * 1e3, percentile(times, 0.95) * 1e3
    b50, b95 = percentile(brute, 0.5) * 1e3, percentile(brute, 0.95) * 1e3
    print(f"BENCH quality_query_p50 {p50:.3f} ms limit={b50:.3f} ratio={p50 / b50:.3f}")
    print(f"BENCH quality_query_p95 {p95:.3f} ms limit={b95:.3f} ratio={p95 / b95:.3f}")
    print(f"# brute force: exact Jaccard against all {len(reports) - 1} stored reports' shingle sets "
          f"(precomputed); ours shingles each candidate's text, as the service will")
    ok = precision >= 0.95 and recall >= 0.95
    print(f"# goal precision >= 0.95 and recall >= 0.95 at J >= {threshold}: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
