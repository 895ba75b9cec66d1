"""Benchmark: the near-copy check at the province's size — one new report against 5,000,000 stored ones.

Run from the repository root:

    .venv/bin/python bench/quality_scale.py          # SQLite: bench/out/quality.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/quality_scale.py
                                                     # PostgreSQL: database duban_bench_quality on that server
    BENCH_SCALE=0.01 .venv/bin/python bench/quality_scale.py   # 50,000 reports (its own corpus and database)

The stored reports. The province data set (duban/demo/province.py) writes its ~5.1M reports from 7 fixed
sentences: every LSH bucket would hold ~700,000 reports, which says nothing about real reports. So the
reports here are written by bench/quality/corpus.py's writer (ten subjects, their sentence stock, figures,
dates and names drawn afresh for each report), with facts from wider name lists (~700 counties, towns and
villages), seeded per chunk of 50,000 so that the corpus is the same on every run and every machine; 10 % of
them are near-copies of an earlier report (figures changed, a few words edited), as a unit's next report
on the same work often is. Texts, MinHash signatures and band keys are made once, by 2 processes, and kept
in bench/out/quality-corpus/ for both databases.

Signatures and band keys in bulk. `similarity.keys_of` costs ~220 µs a report, mostly SHA-1 per shingle in
Python; here the shingle hashes are cached (the same trigrams recur across reports), the affine32
permutations of a block of reports are one numpy operation with a min-reduce per report, and the band hash
is the product's (BLAKE2b personalised with SCHEME). A sample of every chunk is checked against
`similarity.signature` and `similarity.band_keys`: a difference stops the run.

The bench database (built when missing, then kept): migrate, the unit tree and assignments of the province
generator at scale 0.01 (its templated reports deleted), then the stored reports spread over those
assignments (a copy on its original's assignment), then one ReportBand row per band per report — N × 20 rows.
SQLite: executemany in big transactions, rows sorted by (key, report_id), journal off and foreign keys off
during the load (the rows are right by construction). PostgreSQL: the band table's primary key and foreign
key dropped, binary COPY in report order, both added back (the foreign key validated in one join), then
VACUUM ANALYZE, what autovacuum would do after such a load.

The build (`--build`) and the measuring (`--measure`) each run in a process of their own, both started by
this script. Measured, on the bench database through the Django models:

- check: `duban.quality.services.check_text`, the product's own path (signature, band lookup, candidate
  texts, exact Jaccard, padding advice), for BENCH_QUERIES (default 200) new reports: half near-copies of
  stored reports (words edited, figures changed, sentences swapped; exact Jaccard 0.8–0.99 with their
  source), half freshly written ones. p50 and p95, and the parts (signature, band lookup), the band rows
  each lookup reads, the largest bucket. Recall: the near-copies whose best match is their source.
- the limits, brute force on the same data: (1) the exact Jaccard of the new report against every stored
  report's text — measured on a random sample of 50,000 stored reports and extrapolated linearly to N;
  (2) a numpy scan of all N stored signatures (160 values each), estimating every report's similarity at
  once — a faster brute force, but an estimate, not exact.
- index: inserting a new report's ReportQuality row and its 20 band keys, committed; and the whole of
  `report_quality_record` (check + index), what submitting adds. The reports made for it are deleted after.
- memory: peak RSS of the checking process (getrusage) and the tracemalloc peak of one check.

Prints BENCH lines. Environment: BENCH_SCALE (1.0 = 5,000,000 reports), BENCH_QUERIES, BENCH_REBUILD=1
(build the corpus and the database again).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import multiprocessing
import os
import random
import re
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from _db import OUT, ROOT, SCALE, SUFFIX, database_url, django_setup, on_postgres

sys.path.insert(0, str(ROOT))
from quality import corpus  # noqa: E402  (bench/quality/corpus.py)

from duban.quality import similarity  # noqa: E402

FULL = 5_000_000
N = max(1000, round(FULL * SCALE))
CHUNK = min(50_000, N)
CHUNKS = math.ceil(N / CHUNK)
WORKERS = 2
SEED = 20260601
COPY_SHARE = 0.10  # stored reports that are a near-copy of an earlier one
ORG_SCALE = 0.01  # the province generator's unit tree and assignments, at this scale
QUERIES = int(os.environ.get("BENCH_QUERIES", "200"))
INDEXED = 100  # new reports indexed (and as many checked and indexed by report_quality_record)
EXACT_SAMPLE = 50_000  # stored reports the exact brute force is measured on
BRUTE_QUERIES = 20
REBUILD = os.environ.get("BENCH_REBUILD") == "1"
GOAL_MS = 20
# Bump when the generator changes: a corpus or database made by another version is built again.
VERSION = f"1-{similarity.SCHEME}-n{N}-s{SEED}"

CORPUS_DIR = OUT / f"quality-corpus{SUFFIX}"
NAME = f"duban_bench_quality{SUFFIX}" if on_postgres() else f"quality{SUFFIX}"
BANDS, ROWS, NUM_PERM = similarity.BANDS, similarity.ROWS, similarity.NUM_PERM


def say(line: str) -> None:
    print(line, flush=True)


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# ---- the reports: corpus.py's writer, with wider name lists ----

# The syllables of duban/demo/province.py's place names (importing it needs Django set up).
PLACE_FIRST = "安宁平清长永和兴丰泰新乐康明瑞福嘉盛源远华德昌隆阜宜同顺"
PLACE_SECOND = "山河川林泉溪阳原江湖岭水城峰坪石桥湾口台屯庄坝沟"
_PAIRS = [a + b for a in PLACE_FIRST for b in PLACE_SECOND]
COUNTIES = [p + "县" for p in _PAIRS]
TOWNS = [p[1] + p[0] + ("镇" if i % 3 else "乡") for i, p in enumerate(_PAIRS)]
VILLAGES = [a + b + ("社区" if i % 5 == 0 else "村") for i, (a, b) in enumerate(
    (a, b) for a in PLACE_SECOND for b in PLACE_FIRST)]
VILLAGES += [a + b + "村" for a in PLACE_SECOND for b in PLACE_SECOND if a != b]
COMPANY_HEADS = corpus.COMPANY_HEADS + [a + b for a in PLACE_FIRST[:12] for b in PLACE_FIRST[12:24]]
SUBJECTS = list(corpus.SUBJECTS)
_SENTENCE = re.compile(r"[^。；]*[。；]|[^。；]+$")


def _facts(rng: random.Random, subject: str) -> dict:
    county = rng.choice(COUNTIES)
    town = rng.choice(TOWNS)
    unit = county + rng.choice(corpus.SUBJECTS[subject]["units"] + ["人民政府", town])
    company = f"{county[:2]}{rng.choice(COMPANY_HEADS)}{rng.choice(corpus.COMPANY_TRADES)}有限公司"
    facts = {"unit": unit, "town": town, "village": rng.choice(VILLAGES), "company": company,
             "project": town + rng.choice(corpus.PROJECT_KINDS)}
    facts["task"] = corpus._fill(rng.choice(corpus.SUBJECTS[subject]["task"]), rng, facts)
    return facts


def write_report(rng: random.Random, writer) -> tuple[list[str], str]:
    """A report written independently: (sentences, separator)."""
    subject = rng.choice(SUBJECTS)
    report = writer.write(0, subject, writer.plan(subject), _facts(rng, subject))
    return report.sentences, report.sep


def copy_sentences(rng: random.Random, sentences: list[str]) -> list[str]:
    """A near-copy, the way a unit re-sends its last report: figures changed, a few words edited."""
    how = rng.random()
    if how < 0.5:
        return corpus._change_numbers(rng, sentences, rng.choice([1, 2, 3, None]))
    if how < 0.8:
        return corpus._edit(rng, sentences, rng.choice([1, 2, 3, 4]))
    return corpus._change_numbers(rng, corpus._edit(rng, sentences, rng.choice([1, 2])), rng.choice([1, 2]))


def chunk_reports(index: int) -> tuple[list[str], np.ndarray]:
    """The texts of chunk `index` (report ids index*CHUNK+1 …) and, per report, the id it copies (0: none)."""
    rng = random.Random(f"quality-{SEED}-{index}")  # a str seed is hashed with SHA-512: the same everywhere
    writer = corpus._Writer(rng)
    first = index * CHUNK + 1
    size = min(CHUNK, N - index * CHUNK)
    written: list[tuple[list[str], str]] = []
    origins = np.zeros(size, dtype=np.int64)
    for i in range(size):
        if i and rng.random() < COPY_SHARE:
            j = rng.randrange(max(0, i - 5000), i)
            sentences, sep = written[j]
            written.append((copy_sentences(rng, sentences), sep))
            origins[i] = first + j
        else:
            written.append(write_report(rng, writer))
    return [sep.join(sentences) for sentences, sep in written], origins


# ---- signatures and band keys in bulk (the product's, computed faster; checked against it) ----

_M1, _M2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """datasketch's MurmurHash3 finalizer for the affine32 scheme, on a uint32 array."""
    h = h ^ (h >> np.uint32(16))
    h = h * _M1
    h = h ^ (h >> np.uint32(13))
    h = h * _M2
    return h ^ (h >> np.uint32(16))


class BulkSigner:
    """MinHash signatures of many texts at once, equal to `similarity.signature(text).hashvalues`."""

    BLOCK = 64  # texts per numpy operation: 160 permutations × ~10,000 shingles, within the CPU cache

    def __init__(self):
        a, b = similarity._PERMUTATIONS
        self.a = np.asarray(a, dtype=np.uint32)[:, None]
        self.b = np.asarray(b, dtype=np.uint32)[:, None]
        self.hashes: dict[str, int] = {}  # shingle -> sha1_hash32: the same trigrams recur across reports

    def _shingle_hashes(self, text: str) -> list[int]:
        shingles = list(similarity.shingles(text))
        if not shingles:
            raise ValueError("a stored report with no content")
        out = list(map(self.hashes.get, shingles))
        if None in out:
            for i, h in enumerate(out):
                if h is None:
                    s = shingles[i]
                    out[i] = self.hashes[s] = int.from_bytes(hashlib.sha1(s.encode("utf-8")).digest()[:4], "little")
        return out

    def signatures(self, texts: list[str]) -> np.ndarray:
        if len(self.hashes) > 4_000_000:
            self.hashes.clear()
        out = np.empty((len(texts), NUM_PERM), dtype=np.uint32)
        for start in range(0, len(texts), self.BLOCK):
            flat: list[int] = []
            starts = []
            for text in texts[start:start + self.BLOCK]:
                starts.append(len(flat))
                flat.extend(self._shingle_hashes(text))
            hv = _fmix32(np.array(flat, dtype=np.uint32))
            permuted = self.a * hv + self.b  # (permutation, shingle), uint32: wraps, as datasketch's affine32 does
            out[start:start + len(starts)] = np.minimum.reduceat(permuted, starts, axis=1).T
        return out


def band_keys_bulk(signatures: np.ndarray) -> np.ndarray:
    """`similarity.band_keys` of each signature row: an (n, BANDS) int64 array."""
    raw = np.ascontiguousarray(signatures[:, :BANDS * ROWS], dtype="<u4").tobytes()
    width, stride = ROWS * 4, BANDS * ROWS * 4
    blake, person = hashlib.blake2b, similarity._PERSON
    bits, mask = similarity._HASH_BITS, similarity._HASH_MASK
    keys = [(band << bits) | (int.from_bytes(blake(raw[o:o + width], digest_size=8, person=person).digest(), "big")
                              & mask)
            for row in range(0, len(raw), stride) for band, o in enumerate(range(row, row + stride, width))]
    return np.array(keys, dtype=np.int64).reshape(len(signatures), BANDS)


_signer: BulkSigner | None = None


def _make_chunk(index: int):
    global _signer
    if _signer is None:
        _signer = BulkSigner()
    started = time.process_time()
    texts, origins = chunk_reports(index)
    written = time.process_time()
    sigs = _signer.signatures(texts)
    keys = band_keys_bulk(sigs)
    signed = time.process_time()
    for i in random.Random(index).sample(range(len(texts)), min(20, len(texts))):  # the product's own, on a sample
        product = similarity.signature(texts[i])
        if not np.array_equal(product.hashvalues, sigs[i]) or similarity.band_keys(product) != keys[i].tolist():
            raise RuntimeError(f"bulk signature differs from similarity.signature for report {index * CHUNK + i + 1}")
    with open(CORPUS_DIR / f"texts-{index:04d}.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(t, ensure_ascii=False) + "\n" for t in texts)
    return index, sigs, keys, origins, written - started, signed - written


def corpus_meta() -> dict | None:
    path = CORPUS_DIR / "meta.json"
    if REBUILD or not path.exists():
        return None
    meta = json.loads(path.read_text())
    return meta if meta.get("version") == VERSION else None


def build_corpus() -> dict:
    """Texts, signatures, band keys and copy origins of the N stored reports, in CORPUS_DIR."""
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    for old in CORPUS_DIR.iterdir():
        old.unlink()
    say(f"# writing {N:,} reports and their signatures in {CHUNKS} chunks, {WORKERS} processes")
    started = time.perf_counter()
    sigs = np.lib.format.open_memmap(CORPUS_DIR / "signatures.npy", mode="w+", dtype=np.uint32, shape=(N, NUM_PERM))
    keys = np.lib.format.open_memmap(CORPUS_DIR / "keys.npy", mode="w+", dtype=np.int64, shape=(N, BANDS))
    origins = np.lib.format.open_memmap(CORPUS_DIR / "origins.npy", mode="w+", dtype=np.int64, shape=(N,))
    write_cpu = sign_cpu = 0.0
    done = 0
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        for index, s, k, o, w, g in pool.imap_unordered(_make_chunk, range(CHUNKS)):
            lo = index * CHUNK
            sigs[lo:lo + len(s)], keys[lo:lo + len(k)], origins[lo:lo + len(o)] = s, k, o
            write_cpu, sign_cpu, done = write_cpu + w, sign_cpu + g, done + 1
            if done % 10 == 0 or done == CHUNKS:
                say(f"#   {done}/{CHUNKS} chunks, {time.perf_counter() - started:.0f} s")
    for array in (sigs, keys, origins):
        array.flush()
    meta = {"version": VERSION, "reports": N, "copies": int(np.count_nonzero(origins)),
            "wall_s": round(time.perf_counter() - started, 1), "write_cpu_s": round(write_cpu, 1),
            "sign_cpu_s": round(sign_cpu, 1)}
    (CORPUS_DIR / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def stored_texts():
    """The N stored texts in id order (read back from the corpus)."""
    for index in range(CHUNKS):
        with open(CORPUS_DIR / f"texts-{index:04d}.jsonl", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


# ---- the bench database ----

STATE = OUT / f"quality{SUFFIX}-{'postgresql' if on_postgres() else 'sqlite'}.json"
ASSIGNMENT_SEED = 7


def store_state(url: str) -> dict | None:
    """The figures recorded when the bench database was built, if it is still the one built from this corpus."""
    if REBUILD or not STATE.exists():
        return None
    state = json.loads(STATE.read_text())
    if state.get("version") != VERSION or state.get("url") != url:
        return None
    if not on_postgres() and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    return state


def report_assignments(assignment_ids: list[int], origins: np.ndarray) -> np.ndarray:
    """The assignment of each stored report: random, a copy on its original's."""
    rng = np.random.default_rng(ASSIGNMENT_SEED)
    ids = np.asarray(assignment_ids, dtype=np.int64)[rng.integers(0, len(assignment_ids), N)]
    for i in np.flatnonzero(origins):
        ids[i] = ids[origins[i] - 1]
    return ids


def report_rows(assignments: np.ndarray, tz: str):
    """(id, assignment, text, progress, submitted_at) of each stored report, over a year in id order."""
    for i, text in enumerate(stored_texts()):
        day = i * 365 // N
        yield (i + 1, int(assignments[i]), text, (i * 7) % 101,
               f"2025-{1 + day // 31 % 12:02d}-{1 + day % 28:02d} {i % 10:02d}:00:00{tz}")


def build_store(url: str, meta: dict) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from duban.demo.province import build_province
    from duban.supervision.models import Assignment

    state = {"version": VERSION, "url": url, "reports": N}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    build_province(seed=SEED, password="Duban-Bench-2026", out=io.StringIO(), scale=ORG_SCALE)
    assignment_ids = list(Assignment.objects.order_by("id").values_list("id", flat=True))
    connection.close()
    state["org_s"] = round(time.perf_counter() - started, 1)
    say(f"# migrate and the province's units and {len(assignment_ids):,} assignments (scale {ORG_SCALE}): "
        f"{state['org_s']} s")
    origins = np.load(CORPUS_DIR / "origins.npy")
    assignments = report_assignments(assignment_ids, origins)
    keys = np.load(CORPUS_DIR / "keys.npy")
    loader = _load_postgres if on_postgres() else _load_sqlite
    state.update(loader(url, assignments, keys))
    signatures_s = meta["sign_cpu_s"] / WORKERS
    state["signatures_s"] = round(signatures_s, 1)
    state["build_s"] = round(signatures_s + state["bands_s"], 1)
    STATE.write_text(json.dumps(state, indent=1) + "\n")
    return state


def _load_sqlite(url: str, assignments: np.ndarray, keys: np.ndarray) -> dict:
    import sqlite3

    path = url.removeprefix("sqlite:///")
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-1000000",
                   "temp_store=MEMORY"):
        db.execute(f"PRAGMA {pragma}")
    out = {}
    t0 = time.perf_counter()
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                         "AND tbl_name = 'supervision_report'").fetchall()
    db.execute("BEGIN")
    db.execute("DELETE FROM supervision_report")  # the province generator's templated reports
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    insert = ('INSERT INTO supervision_report (id, assignment_id, author_id, text, progress, is_final, state, '
              'submitted_at, unit_reviewed_by_id, reviewed_by_id, reviewed_at, review_comment) '
              "VALUES (?, ?, NULL, ?, ?, 0, 'accepted', ?, NULL, NULL, NULL, '')")
    rows = report_rows(assignments, "")
    while batch := [row for _, row in zip(range(100_000), rows, strict=False)]:
        db.executemany(insert, batch)
    for _, sql in indexes:
        db.execute(sql)
    db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'supervision_report'", [N])
    db.execute("COMMIT")
    out["reports_s"] = round(time.perf_counter() - t0, 1)
    say(f"# {N:,} reports stored: {out['reports_s']} s")

    t0 = time.perf_counter()
    flat = keys.reshape(-1)
    order = np.argsort(flat, kind="stable")  # by key, then report id: both B-trees grow at their right edge
    sorted_keys, report_ids = flat[order], order // BANDS + 1
    del order
    sort_s = time.perf_counter() - t0
    db.execute("BEGIN")
    step = 1_000_000
    for lo in range(0, len(flat), step):
        db.executemany("INSERT INTO quality_reportband (key, report_id) VALUES (?, ?)",
                       zip(sorted_keys[lo:lo + step].tolist(), report_ids[lo:lo + step].tolist(), strict=True))
    db.execute("COMMIT")
    insert_s = time.perf_counter() - t0 - sort_s
    t1 = time.perf_counter()
    db.execute("PRAGMA analysis_limit=2000")  # as the worker's daily ANALYZE does on SQLite
    db.execute("ANALYZE")
    analyze_s = time.perf_counter() - t1
    out["bands_s"] = round(time.perf_counter() - t0, 1)
    out["bands_parts"] = f"sort {sort_s:.0f} s, insert {insert_s:.0f} s, ANALYZE {analyze_s:.0f} s"
    sizes = dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat WHERE name IN "
                            "('quality_reportband', 'sqlite_autoindex_quality_reportband_1') GROUP BY name"))
    out["band_table_mb"] = round(sizes.get("quality_reportband", 0) / 2**20)
    out["band_index_mb"] = round(sizes.get("sqlite_autoindex_quality_reportband_1", 0) / 2**20)
    out["band_rows"] = int(len(flat))
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    out["file_mb"] = round(Path(path).stat().st_size / 2**20)
    return out


def _pg_connect(url: str):
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    return psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname=cfg["NAME"],
                           password=cfg["PASSWORD"] or None)


def _pg_drop_constraints(cur, table: str, kinds: str) -> list[tuple[str, str]]:
    """Drop the table's constraints of the given kinds ('p', 'f') and its other indexes; their definitions."""
    cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = ANY(%s) ORDER BY contype DESC", [table, list(kinds)])
    constraints = cur.fetchall()
    cur.execute("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
                "WHERE indrelid = %s::regclass AND NOT indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", [table])
    indexes = cur.fetchall()
    for name, _ in constraints:
        cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    return [(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}', name) for name, definition in
            constraints] + [(definition, name) for name, definition in indexes]


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_BAND_ROW = np.dtype([("n", ">i2"), ("l1", ">i4"), ("key", ">i8"), ("l2", ">i4"), ("report", ">i8")])


def _load_postgres(url: str, assignments: np.ndarray, keys: np.ndarray) -> dict:
    out = {}
    with _pg_connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        t0 = time.perf_counter()
        cur.execute("DELETE FROM supervision_report")  # the province generator's templated reports
        conn.commit()  # its deferred foreign-key checks, before the table is altered
        restore = _pg_drop_constraints(cur, "supervision_report", "f")
        with cur.copy('COPY supervision_report (id, assignment_id, text, progress, submitted_at, is_final, state, '
                      'review_comment) FROM STDIN') as copy:
            for row in report_rows(assignments, "+00"):
                copy.write_row((*row, False, "accepted", ""))
        for sql, _ in restore:
            cur.execute(sql)
        cur.execute("SELECT setval(pg_get_serial_sequence('supervision_report', 'id'), %s)", [N])
        conn.commit()
        out["reports_s"] = round(time.perf_counter() - t0, 1)
        say(f"# {N:,} reports stored: {out['reports_s']} s")

        t0 = time.perf_counter()
        restore = _pg_drop_constraints(cur, "quality_reportband", "pf")
        flat = keys.reshape(-1)
        step = 2_000_000
        with cur.copy("COPY quality_reportband (key, report_id) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(_COPY_HEADER)
            for lo in range(0, len(flat), step):  # in report order, as reports arrive
                part = flat[lo:lo + step]
                rows = np.empty(len(part), dtype=_BAND_ROW)
                rows["n"], rows["l1"], rows["l2"] = 2, 8, 8
                rows["key"] = part
                rows["report"] = np.arange(lo, lo + len(part)) // BANDS + 1
                copy.write(rows.tobytes())
            copy.write((-1).to_bytes(2, "big", signed=True))
        parts = [f"COPY {time.perf_counter() - t0:.0f} s"]
        for sql, name in restore:
            t1 = time.perf_counter()
            cur.execute(sql)
            parts.append(f"{name} {time.perf_counter() - t1:.0f} s")
        conn.commit()
        conn.autocommit = True
        t1 = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) quality_reportband")
        cur.execute("VACUUM (ANALYZE) supervision_report")
        parts.append(f"VACUUM ANALYZE {time.perf_counter() - t1:.0f} s")
        out["bands_s"] = round(time.perf_counter() - t0, 1)
        out["bands_parts"] = ", ".join(parts)
        cur.execute("SELECT pg_table_size('quality_reportband'), pg_indexes_size('quality_reportband'), "
                    "pg_database_size(current_database())")
        table, index, database = cur.fetchone()
        out["band_table_mb"], out["band_index_mb"] = round(table / 2**20), round(index / 2**20)
        out["band_rows"] = int(len(flat))
        out["file_mb"] = round(database / 2**20)
    return out


# ---- measuring (a fresh process) ----

def _queries(rng: random.Random):
    """(kind, text, source id or None, assignment id, exact Jaccard with the source) for QUERIES new reports."""
    from duban.supervision.models import Assignment, Report

    origins = np.load(CORPUS_DIR / "origins.npy")
    copied = set(origins[origins > 0].tolist())
    # Sources: stored reports that are nobody's copy and have none, long enough to be edited and stay ≥ 0.8.
    pool = [i for i in rng.sample(range(1, N + 1), min(N, QUERIES * 10)) if origins[i - 1] == 0 and i not in copied]
    rows = {r["pk"]: r for r in Report.objects.filter(pk__in=pool).values("pk", "text", "assignment_id")}
    near = []
    for pk in pool:
        text = rows[pk]["text"]
        if len(text) < 80:
            continue
        sentences = _SENTENCE.findall(text)
        for _ in range(20):
            edited = corpus._edit(rng, sentences, rng.choice([1, 2, 3, 4, 6]))
            if rng.random() < 0.5:
                edited = corpus._change_numbers(rng, edited, rng.choice([1, 2, 3]))
            if rng.random() < 0.3 and len(edited) >= 3:
                i, j = rng.sample(range(len(edited)), 2)
                edited[i], edited[j] = edited[j], edited[i]
            new = "".join(edited)
            j = similarity.jaccard(text, new)
            if 0.8 <= j < 0.99:
                near.append(("near", new, pk, rows[pk]["assignment_id"], j))
                break
        if len(near) == QUERIES // 2:
            break
    writer = corpus._Writer(rng)
    assignments = list(Assignment.objects.order_by("id").values_list("id", flat=True))
    fresh = []
    while len(fresh) < QUERIES - len(near):
        sentences, sep = write_report(rng, writer)
        fresh.append(("fresh", sep.join(sentences), None, rng.choice(assignments), None))
    queries = near + fresh
    rng.shuffle(queries)
    return queries


def _lookup(keys: list[int]) -> list[int]:
    """The band lookup of check_text, alone."""
    from django.db.models import Count

    from duban.quality.models import ReportBand

    return [h["report_id"] for h in ReportBand.objects.filter(key__in=keys).values("report_id")
            .annotate(n=Count("key")).order_by("-n", "-report_id")[:50]]


def forget(made: list[tuple[int, list[int]]]) -> None:
    """Delete the reports made while measuring, with their quality rows and band keys, so that the store is
    the N reports again. Band rows go by (key, report), through the primary key, and the foreign-key checks
    are off meanwhile: the band table has no index on report_id, so checking that a deleted report has no
    band rows left would read all N × 20 of them, once per report, on both databases."""
    from django.db import connection, transaction

    if not made:
        return
    ids = [pk for pk, _ in made]
    marks = ", ".join(["%s"] * len(ids))
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        if sqlite:
            cursor.execute("PRAGMA foreign_keys = OFF")  # outside a transaction, or SQLite ignores it
        with transaction.atomic():
            if not sqlite:
                cursor.execute("SET LOCAL session_replication_role = replica")  # no foreign-key triggers
            for pk, keys in made:
                if keys:
                    cursor.execute(f"DELETE FROM quality_reportband WHERE report_id = %s AND key IN "
                                   f"({', '.join(['%s'] * len(keys))})", [pk, *keys])
            cursor.execute(f"DELETE FROM quality_reportquality WHERE report_id IN ({marks})", ids)
            cursor.execute(f"DELETE FROM supervision_report WHERE id IN ({marks})", ids)
        if sqlite:
            cursor.execute("PRAGMA foreign_keys = ON")
        else:
            cursor.execute("SELECT setval(pg_get_serial_sequence('supervision_report', 'id'), %s)", [N])


def measure(url: str, state: dict, meta: dict) -> None:
    django_setup(url)
    logging.getLogger("duban.quality").setLevel(logging.WARNING)  # a line per copied report otherwise
    from django.db import connection, transaction

    from duban.core import clock
    from duban.quality.models import ReportBand, ReportQuality
    from duban.quality.services import check_text, report_quality_record
    from duban.supervision.models import Assignment, Report

    vendor = connection.vendor
    forget([(pk, similarity.keys_of(text)) for pk, text in Report.objects.filter(pk__gt=N).values_list("pk", "text")])
    rng = random.Random(f"queries-{SEED}")
    queries = _queries(rng)
    context = {a.pk: (a.task_id, a.unit) for a in Assignment.objects.filter(
        pk__in={q[3] for q in queries}).select_related("unit")}

    def check(q):
        task_id, unit = context[q[3]]
        return check_text(q[1], task_id=task_id, unit=unit, values_given=False, expects_values=False)

    for q in queries[:5]:  # warm-up
        check(q)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times, results = [], []
    for q in queries:
        t = time.perf_counter()
        results.append(check(q))
        times.append((time.perf_counter() - t) * 1e3)
    # The parts, on the same queries: the signature and keys, the band lookup; and the rows it reads.
    sig_ms, lookup_ms, exact_part_ms, band_rows, candidates = [], [], [], [], []
    for q in queries:
        t = time.perf_counter()
        keys = similarity.band_keys(similarity.signature(q[1]))
        t1 = time.perf_counter()
        ids = _lookup(keys)
        t2 = time.perf_counter()
        texts = Report.objects.filter(pk__in=ids).values_list("pk", "text", "assignment__task_id",
                                                              "assignment__unit_id")
        similarity.near_duplicates(q[1], ((row[0], row[1]) for row in texts), 0.0)
        exact_part_ms.append((time.perf_counter() - t2) * 1e3)
        sig_ms.append((t1 - t) * 1e3)
        lookup_ms.append((t2 - t1) * 1e3)
        candidates.append(len(ids))
        band_rows.append(ReportBand.objects.filter(key__in=keys).count())
    tracemalloc.start()
    peaks = []
    for q in queries[:50]:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        check(q)
        peaks.append((tracemalloc.get_traced_memory()[1] - base) / 1024)
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The largest bucket: the band key shared by the most stored reports, and a check of a text that hits it.
    keys = np.load(CORPUS_DIR / "keys.npy", mmap_mode="r")
    column = np.asarray(keys[:, 0])
    values, counts = np.unique(column, return_counts=True)
    top = int(np.argmax(counts))
    hot_size = int(counts[top])
    hot_id = int(np.flatnonzero(column == values[top])[0]) + 1
    del keys, column, values, counts
    hot = Report.objects.filter(pk=hot_id).values("text", "assignment_id").get()
    hot_assignment = Assignment.objects.select_related("unit").get(pk=hot["assignment_id"])
    context[hot_assignment.pk] = (hot_assignment.task_id, hot_assignment.unit)
    hot_q = ("hot", hot["text"], hot_id, hot_assignment.pk, 1.0)
    check(hot_q)
    hot_ms = []
    for _ in range(10):
        t = time.perf_counter()
        check(hot_q)
        hot_ms.append((time.perf_counter() - t) * 1e3)
    hot_rows = ReportBand.objects.filter(key__in=similarity.keys_of(hot["text"])).count()

    # Indexing: new reports' quality row and band keys, committed; then report_quality_record whole.
    made: list[tuple[int, list[int]]] = []  # (report, its band keys), deleted afterwards
    index_ms, record_ms = [], []
    indexed = min(INDEXED, len(queries) // 2)
    try:
        for q, result in list(zip(queries, results, strict=True))[:indexed]:
            report = Report.objects.create(assignment_id=q[3], text=q[1], progress=50, state="submitted",
                                           submitted_at=clock.now())
            made.append((report.pk, result.keys))
            t = time.perf_counter()
            with transaction.atomic():
                ReportQuality.objects.create(
                    report=report, similarity=result.similarity, match_id=result.match_id,
                    match_kind=result.match_kind, copied=result.copied, padded=result.padded,
                    missing_values=result.missing_values, stock_share=round(result.stock_share, 4),
                    facts=result.facts, flags=result.flags, checked_at=clock.now())
                ReportBand.objects.bulk_create([ReportBand(key=k, report=report) for k in dict.fromkeys(result.keys)])
            index_ms.append((time.perf_counter() - t) * 1e3)
        for q in queries[indexed:2 * indexed]:
            report = Report.objects.create(assignment_id=q[3], text=q[1], progress=50, state="submitted",
                                           submitted_at=clock.now())
            made.append((report.pk, similarity.keys_of(q[1])))
            t = time.perf_counter()
            with transaction.atomic():
                report_quality_record(report)
            record_ms.append((time.perf_counter() - t) * 1e3)
    finally:
        forget(made)

    # The limits. (1) Exact Jaccard against every stored text: measured on a sample, extrapolated.
    brute = queries[:BRUTE_QUERIES]
    sample_ids = random.Random(3).sample(range(1, N + 1), min(N, EXACT_SAMPLE))
    sample = list(Report.objects.filter(pk__in=sample_ids).values_list("text", flat=True))
    exact_ms = []
    for q in brute:
        t = time.perf_counter()
        mine = similarity.shingles(q[1])
        hits = [j for text in sample if (j := similarity.jaccard_sets(mine, similarity.shingles(text))) >= 0.8]
        hits.sort(reverse=True)
        exact_ms.append((time.perf_counter() - t) * 1e3 * N / len(sample))
    # (2) Every stored signature compared at once (numpy), the estimated similarity of each.
    signatures = np.load(CORPUS_DIR / "signatures.npy", mmap_mode="r")
    block = 250_000

    def scan(text: str) -> list[int]:
        mine = np.asarray(similarity.signature(text).hashvalues, dtype=np.uint32)
        found = []
        for lo in range(0, N, block):
            equal = np.count_nonzero(signatures[lo:lo + block] == mine, axis=1)
            found.extend((np.flatnonzero(equal >= similarity.DEFAULT_THRESHOLD * NUM_PERM) + lo + 1).tolist())
        return found

    scan(brute[0][1])  # from disk into the page cache
    scan_ms = []
    for q in brute:
        t = time.perf_counter()
        scan(q[1])
        scan_ms.append((time.perf_counter() - t) * 1e3)

    # ---- the figures ----
    near = [(q, r) for q, r in zip(queries, results, strict=True) if q[0] == "near"]
    fresh = [(q, r) for q, r in zip(queries, results, strict=True) if q[0] == "fresh"]
    found = sum(r.match_id == q[2] for q, r in near)
    say(f"# {N:,} stored reports ({meta['copies']:,} near-copies of earlier ones), {state['band_rows']:,} band rows; "
        f"{len(queries)} queries: {len(near)} near-copies (exact Jaccard with their source "
        f"{min(q[4] for q, _ in near):.2f}–{max(q[4] for q, _ in near):.2f}), {len(fresh)} fresh")
    say(f"BENCH quality_reports_{vendor} {N} reports")
    say(f"BENCH quality_signatures {meta['sign_cpu_s'] / WORKERS:.1f} s")
    say(f"# signatures + band keys of {N:,} reports: {meta['sign_cpu_s']:.0f} CPU s over {WORKERS} processes "
        f"({meta['sign_cpu_s'] / N * 1e6:.0f} µs a report; similarity.keys_of takes ~220); writing the texts "
        f"{meta['write_cpu_s']:.0f} CPU s; corpus wall time {meta['wall_s']:.0f} s (made once for both databases)")
    say(f"BENCH quality_build_{vendor} {state['build_s']:.1f} s")
    say(f"# build = signatures {state['signatures_s']:.0f} s + band rows {state['bands_s']:.0f} s "
        f"({state['bands_parts']}); beside it, untimed in the build: the reports themselves {state['reports_s']:.0f} s, "
        f"units and assignments {state['org_s']:.0f} s")
    say(f"BENCH quality_band_rows_{vendor} {state['band_rows']} rows")
    say(f"BENCH quality_band_size_{vendor} {state['band_table_mb'] + state['band_index_mb']} MB")
    say(f"# band table {state['band_table_mb']} MB + its primary-key index {state['band_index_mb']} MB; "
        f"database {state['file_mb']} MB in all")
    e50, e95 = percentile(exact_ms, 0.5), percentile(exact_ms, 0.95)
    s50, s95 = percentile(scan_ms, 0.5), percentile(scan_ms, 0.95)
    c50, c95 = percentile(times, 0.5), percentile(times, 0.95)
    say(f"BENCH quality_check_p50_{vendor} {c50:.2f} ms limit={e50:.4g} ratio={c50 / e50:.2g}")
    say(f"BENCH quality_check_p95_{vendor} {c95:.2f} ms limit={e95:.4g} ratio={c95 / e95:.2g}")
    say(f"# limit: exact Jaccard against every stored report, measured on {len(sample):,} of them and "
        f"extrapolated ×{N / len(sample):.0f} ({len(brute)} queries)")
    say(f"BENCH quality_check_p50_vs_scan_{vendor} {c50:.2f} ms limit={s50:.3g} ratio={c50 / s50:.2g}")
    say(f"BENCH quality_check_p95_vs_scan_{vendor} {c95:.2f} ms limit={s95:.3g} ratio={c95 / s95:.2g}")
    say(f"# limit: numpy comparison of the new signature with all {N:,} stored signatures "
        f"({N * NUM_PERM * 4 / 2**30:.1f} GiB, in the page cache; an estimate, not exact)")
    say(f"# parts, p50/p95: signature + keys {percentile(sig_ms, 0.5):.2f}/{percentile(sig_ms, 0.95):.2f} ms, "
        f"band lookup {percentile(lookup_ms, 0.5):.2f}/{percentile(lookup_ms, 0.95):.2f} ms, "
        f"candidates' texts + exact Jaccard {percentile(exact_part_ms, 0.5):.2f}/{percentile(exact_part_ms, 0.95):.2f} "
        f"ms; "
        f"band rows read {percentile(band_rows, 0.5):.0f}/{percentile(band_rows, 0.95):.0f} (max {max(band_rows)}), "
        f"candidates {percentile(candidates, 0.5):.0f}/{percentile(candidates, 0.95):.0f}")
    say(f"BENCH quality_check_hot_{vendor} {percentile(hot_ms, 0.5):.2f} ms")
    say(f"# the largest bucket holds {hot_size:,} reports; checking a stored text of it ({len(hot['text'])} "
        f"characters: {hot['text'][:24]}…) reads {hot_rows:,} band rows")
    say(f"BENCH quality_index_p50_{vendor} {percentile(index_ms, 0.5):.2f} ms")
    say(f"BENCH quality_index_p95_{vendor} {percentile(index_ms, 0.95):.2f} ms")
    say(f"BENCH quality_record_p50_{vendor} {percentile(record_ms, 0.5):.2f} ms")
    say(f"BENCH quality_record_p95_{vendor} {percentile(record_ms, 0.95):.2f} ms")
    say(f"# index: ReportQuality row + {BANDS} band rows, committed ({len(index_ms)} reports); record: "
        f"report_quality_record, check + index, committed ({len(record_ms)} reports)")
    say(f"BENCH quality_check_rss_{vendor} {rss:.0f} MB")
    say(f"BENCH quality_check_tracemalloc_p95_{vendor} {percentile(peaks, 0.95):.0f} KB")
    say(f"# peak RSS {rss:.0f} MB after the checks ({rss_before:.0f} MB after Django and the queries were set up); "
        f"tracemalloc peak of one check p50/max {percentile(peaks, 0.5):.0f}/{max(peaks):.0f} KB")
    say(f"BENCH quality_recall_{vendor} {found / len(near):.3f} ratio")
    flagged_fresh = sum(r.copied for _, r in fresh)
    for q, r in near:
        if r.match_id != q[2]:
            say(f"# missed: a near-copy at {q[4]:.3f} of report {q[2]}; best match {r.match_id} at "
                f"{r.similarity if r.similarity is None else round(r.similarity, 3)}")
    say(f"# near-copies: {found}/{len(near)} found their source, {sum(r.copied for _, r in near)} flagged copied; "
        f"fresh reports flagged copied: {flagged_fresh}/{len(fresh)}")
    ok = c95 < GOAL_MS
    say(f"# goal: p95 of a check under {GOAL_MS} ms at {N:,} reports: {'met' if ok else 'NOT met'}")


def build() -> None:
    """The corpus and the bench database, each when missing (or BENCH_REBUILD=1)."""
    meta = corpus_meta()
    if meta is None:
        meta = build_corpus()
        say(f"# corpus: {meta['wall_s']:.0f} s")
    if store_state(database_url(NAME)) is None:
        url = database_url(NAME, fresh=True)
        django_setup(url)
        build_store(url, meta)


def main() -> int:
    url = database_url(NAME)
    if "--build" in sys.argv:
        build()
        return 0
    if "--measure" in sys.argv:
        meta, state = corpus_meta(), store_state(url)
        if meta is None or state is None:
            raise SystemExit("FAIL: no bench database for this corpus; run without --measure first")
        measure(url, state, meta)
        return 0
    # Building and measuring each run in a process of their own, started from this small one: Linux keeps
    # the peak RSS (getrusage) across exec, so a checking process started by the builder would report its
    # peak, not its own.
    say(f"# load average: {os.getloadavg()[0]:.2f}; {N:,} stored reports; database {NAME}")
    if corpus_meta() is None or store_state(url) is None:
        if subprocess.run([sys.executable, __file__, "--build"], cwd=ROOT, check=False).returncode != 0:
            return 1
    else:
        say(f"# corpus ({CORPUS_DIR.relative_to(ROOT)}) and bench database kept from an earlier run: the build "
            f"figures are those recorded then ({STATE.name})")
    done = subprocess.run([sys.executable, __file__, "--measure"], cwd=ROOT, check=False,
                          env={**os.environ, "BENCH_REBUILD": "0"})
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
