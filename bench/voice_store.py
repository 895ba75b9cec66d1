"""Benchmark: the similar-clue index in the database (duban.voice.store) at 100,000 stored clues.

Run from the repository root (scripts/bench-both.sh runs it on SQLite and PostgreSQL):

    .venv/bin/python bench/voice_store.py                       # SQLite: bench/out/voice_store.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/voice_store.py
                                                                # PostgreSQL: database voice_store there
    BENCH_VOICE_CLUES=10000 .venv/bin/python bench/voice_store.py

The database is made afresh on every run: migrated, 20 supervision offices under a prefecture, and
BENCH_VOICE_CLUES clues (default 100,000) written by bench/voice/distractors.py (wide place lists, seeded,
as bench/voice_eval.py --scale) plus every clue of the hand-written pairs (bench/voice/pairs.json), in
Clue rows, each clue's office chosen by its county. Measured:

- rebuild: `duban voice index` over all of them (one transaction, batches of 2,000): clues indexed per
  second. On PostgreSQL a VACUUM of the index's tables follows, as autovacuum would after such a load
  (index-only scans of the postings need the visibility map); the rebuild itself ANALYZEs.
- suggestions: `similar_for` (k=3, the clue itself excluded) for each pair's later clue: p50 and p95, the
  whole store and scoped to the query's own office (1/20 of the store); recall@3 of the duplicates.
  limit: brute force on the same store in the same run — every stored clue's TF-IDF vector in one sparse
  matrix (built beforehand from the stored texts and the stored frequencies), one matrix-vector product
  and a top-k per query, as bench/voice_eval.py does. Its recall: the exact cosine's best CANDIDATES over
  the whole store, ranked by similar.rank (places, category) — the store without the candidate step.
- the same queries on a MemoryIndex of the same documents in the same order: the share of queries whose
  suggestions (clue, score, reason) are the same (they should all be).
- intake: BENCH_VOICE_INTAKE (default 1,000) new clues submitted one by one, each in its transaction as
  on submission (Clue row, then index_add), committed: index_add's p50/p95, and the whole transaction's
  rate; limit: the same transaction without index_add.
"""

from __future__ import annotations

import math
import os
import resource
import sys
import time
import zlib
from pathlib import Path

import numpy as np
from _db import ROOT, database_url, django_setup, on_postgres
from scipy import sparse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from voice.distractors import Writer  # noqa: E402
from voice_eval import load, pair_texts  # noqa: E402

N = int(os.environ.get("BENCH_VOICE_CLUES", "100000"))
INTAKE = int(os.environ.get("BENCH_VOICE_INTAKE", "1000"))
OFFICES = 20
SEED = 20260601


def say(text: str) -> None:
    print(text, flush=True)


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def office_of(place: str, offices: list[int]) -> int:
    county = place[: place.find("县") + 1] if "县" in place else place[:3]
    return offices[zlib.crc32(county.encode()) % len(offices)]


def build(offices: list[int]) -> tuple[dict, list]:
    """The Clue rows: N generated, then the pairs' clues; (pair clue id → Clue pk, pairs)."""
    from django.db import transaction
    from django.utils import timezone

    from duban.voice.models import Clue

    clues, pairs = load()
    writer = Writer(seed=SEED, avoid=pair_texts(clues, pairs), wide=True)
    now = timezone.now()
    started = time.perf_counter()
    rows = []
    for i in range(N):
        category, place, text = writer.clue()
        rows.append(Clue(code=f"B{i:08d}", category=category, place_text=place, description=text,
                         office_id=office_of(place, offices), submitted_at=now))
    for j, clue in enumerate(clues.values()):
        rows.append(Clue(code=f"P{j:08d}", category=clue["category"], place_text=clue["place"],
                         description=clue["text"], office_id=office_of(clue["place"], offices), submitted_at=now))
    with transaction.atomic():
        made = Clue.objects.bulk_create(rows, batch_size=5000)
    number = {cid: made[N + j].pk for j, cid in enumerate(clues)}
    say(f"# {len(made):,} clues written and stored in {time.perf_counter() - started:.1f} s")
    return clues, pairs, number


class Matrix:
    """Brute force: every stored document's TF-IDF vector (L2-normalised) in one CSR matrix."""

    def __init__(self, index):
        from duban.voice import similar
        from duban.voice.models import VoiceDoc

        rows = list(VoiceDoc.objects.order_by("id").values_list("id", "text", "place"))
        self.ids = np.array([r[0] for r in rows])
        owner, found, counts = similar.terms_of([(t, p) for _, t, p in rows])
        self.vocab, cols = np.unique(found, return_inverse=True)
        df = index.document_frequencies(self.vocab)
        self.n = len(index)
        w = similar.weights(counts, df[cols], self.n)
        norms = np.sqrt(np.bincount(owner, weights=w**2, minlength=len(rows)))
        self.m = sparse.csr_matrix((w / np.maximum(norms[owner], 1e-12), (owner, cols)),
                                   shape=(len(rows), len(self.vocab)))

    def top(self, query, k: int) -> list[int]:
        pos = np.minimum(np.searchsorted(self.vocab, query.terms), len(self.vocab) - 1)
        hit = self.vocab[pos] == query.terms
        vec = np.zeros(len(self.vocab))
        vec[pos[hit]] = query.weights[hit] / max(query.norm2, 1e-12)
        scores = self.m @ vec
        best = np.argpartition(-scores, k)[: k + 1]
        return [int(self.ids[i]) for i in best[np.lexsort((best, -scores[best]))]][:k]


def measure(clues, pairs, number, offices) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from duban.voice import similar
    from duban.voice.index import MemoryIndex
    from duban.voice.models import Clue, VoiceDoc
    from duban.voice.store import DbIndex, clue_entry, index_add, similar_for

    started = time.perf_counter()
    call_command("voice", "index", stdout=open(os.devnull, "w"))  # noqa: SIM115
    rebuild = time.perf_counter() - started
    docs = VoiceDoc.objects.count()
    say(f"# rebuild: {docs:,} clues indexed in {rebuild:.1f} s")
    say(f"BENCH voice_db_rebuild_rate {docs / rebuild:.0f} clues/s")
    if on_postgres():
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM voice_voiceposting, voice_voiceterm, voice_voicedoc")
            cursor.execute("SELECT pg_total_relation_size('voice_voiceposting')")
            size = cursor.fetchone()[0]
    else:
        size = Path(connection.settings_dict["NAME"]).stat().st_size
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM voice_voiceposting")
        postings = cursor.fetchone()[0]
    say(f"# {postings:,} postings; {'postings table with its index' if on_postgres() else 'database file'}: "
        f"{size / 2**20:.0f} MiB")

    queries = [(b, a, kind) for _, kind, _, a, b in pairs]
    dup = [(b, a) for b, a, kind in queries if kind == "duplicate"]

    def ask(b, scoped=False):
        clue = clues[b]
        scope = [office_of(clue["place"], offices)] if scoped else None
        return similar_for(text=clue["text"], place=clue["place"], category=clue["category"], k=3,
                           exclude=[("clue", number[b])], office_ids=scope)

    ask(queries[0][0])  # warm up
    times, scoped_times, results = [], [], {}
    for b, _, _ in queries:
        t = time.perf_counter()
        results[b] = ask(b)
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        ask(b, scoped=True)
        scoped_times.append((time.perf_counter() - t) * 1000)
    recall = sum(any(m.ref_id == number[a] for m in results[b]) for b, a in dup) / len(dup)

    index = DbIndex()
    t = time.perf_counter()
    matrix = Matrix(index)
    say(f"# brute-force matrix of {matrix.m.shape[0]:,} stored clues built in {time.perf_counter() - t:.1f} s")
    scan, brute_hits = [], 0
    by_doc = dict(VoiceDoc.objects.values_list("id", "ref_id"))
    for b, a, kind in queries:
        clue = clues[b]
        query = similar.Query(index, clue["text"], clue["place"], clue["category"])
        t = time.perf_counter()
        matrix.top(query, 3)
        scan.append((time.perf_counter() - t) * 1000)
        if kind == "duplicate":
            own = VoiceDoc.objects.get(kind="clue", ref_id=number[b]).pk
            best = [i for i in matrix.top(query, similar.CANDIDATES + 1) if i != own][: similar.CANDIDATES]
            ranked = similar.rank(index, query, index.documents(best), threshold=similar.DEFAULT_THRESHOLD)[:3]
            brute_hits += any(by_doc[s.doc_id] == number[a] for s in ranked)
    brute_recall = brute_hits / len(dup)
    label = f"{N // 1000}k"
    say(f"BENCH voice_db_recall_at3_{label} {recall:.3f} ratio limit={brute_recall:.3f} "
        f"ratio={recall / brute_recall if brute_recall else 0:.3f} (the set's {len(dup)} duplicates among {docs:,} "
        "stored clues; limit: exact cosine over every stored clue, then the same ranking)")
    for q in (0.5, 0.95):
        name = "p50" if q == 0.5 else "p95"
        ours, lim = percentile(times, q), percentile(scan, q)
        say(f"BENCH voice_db_suggest_{label}_{name} {ours:.1f} ms limit={lim:.1f} ratio={ours / lim:.2f} "
            f"(limit: brute-force scan of a TF-IDF matrix of all {docs:,} stored clues, in memory)")
    for q in (0.5, 0.95):
        name = "p50" if q == 0.5 else "p95"
        say(f"BENCH voice_db_suggest_scoped_{label}_{name} {percentile(scoped_times, q):.1f} ms "
            f"(one office of {OFFICES})")
    del matrix

    memory = MemoryIndex()
    for doc_id, text, place, category in VoiceDoc.objects.order_by("id").values_list("id", "text", "place",
                                                                                     "category").iterator(10_000):
        memory.add(by_doc[doc_id], text, {"place": place, "category": category})
    same = 0
    for b, _, _ in queries:
        clue = clues[b]
        want = similar.suggest(memory, clue["text"], clue["category"], clue["place"], k=3, exclude=[number[b]])
        got = [(m.ref_id, m.score) for m in results[b]]
        if got == [(w.doc_id, w.score) for w in want]:
            same += 1
        else:  # the candidates' sums are added in another order in SQL: a tie at the cut may fall otherwise
            say(f"# differs from memory: {b}: db {got}, memory {[(w.doc_id, w.score) for w in want]}")
    say(f"BENCH voice_db_same_as_memory {same / len(queries):.3f} ratio ({same} of {len(queries)} queries: the same "
        "suggestions from a MemoryIndex of the same clues)")
    del memory

    writer = Writer(seed=SEED + 1, wide=True)
    now = timezone.now()
    adds, with_index, without = [], [], []
    for i in range(INTAKE):
        category, place, text = writer.clue()
        t = time.perf_counter()
        with transaction.atomic():
            clue = Clue.objects.create(code=f"N{i:08d}", category=category, place_text=place, description=text,
                                       office_id=office_of(place, offices), submitted_at=now)
            if i % 2 == 0:
                ta = time.perf_counter()
                index_add(**clue_entry(clue, place_name=""))
                adds.append((time.perf_counter() - ta) * 1000)
        (with_index if i % 2 == 0 else without).append((time.perf_counter() - t) * 1000)
    for q in (0.5, 0.95):
        name = "p50" if q == 0.5 else "p95"
        say(f"BENCH voice_db_index_add_{name} {percentile(adds, q):.2f} ms (one clue, inside its submit transaction)")
    ours, lim = 1000 / (sum(with_index) / len(with_index)), 1000 / (sum(without) / len(without))
    say(f"BENCH voice_db_intake_rate {ours:.0f} clues/s limit={lim:.0f} ratio={ours / lim:.2f} (one clue a "
        "transaction, committed; limit: the same transaction without index_add)")
    say(f"BENCH voice_db_peak_memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    url = database_url("voice_store", fresh=True)
    django_setup(url)
    from django.core.management import call_command

    from duban.org.models import UnitLevel
    from duban.org.services import unit_create

    say(f"# database: {'PostgreSQL' if on_postgres() else 'SQLite'}; {N:,} generated clues")
    call_command("migrate", verbosity=0)
    prefecture = unit_create(actor=None, name="示范州", level=UnitLevel.PREFECTURE)
    offices = [unit_create(actor=None, name=f"第{i + 1}县督查室", level=UnitLevel.COUNTY, parent=prefecture).pk
               for i in range(OFFICES)]
    clues, pairs, number = build(offices)
    measure(clues, pairs, number, offices)


if __name__ == "__main__":
    main()
