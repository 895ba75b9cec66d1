"""The similar-clue index in the database: clues and open tasks, found again by what a new clue names.

duban.voice.similar ranks; this module stores. Three tables (duban.voice.models):

    voice_voicedoc      (id, kind clue|task, ref_id, text, place, category, office_id)   one row a text
    voice_voiceterm     (term BIGINT PRIMARY KEY, df)       every term's document frequency, characters too
    voice_voiceposting  (term, doc_id) PRIMARY KEY          the bigrams and trigrams: the inverted index

Row term = 0 of voice_voiceterm counts the documents (the empty term is in every one): the store's size is
one primary-key read, not a count over the documents.

Writing (`index_add`, `index_remove`) is set-based: one statement for a document's postings and one for
its terms' frequencies (INSERT … ON CONFLICT (term) DO UPDATE SET df = df + excluded.df), arrays on
PostgreSQL, executemany on SQLite. Re-adding a (kind, ref_id) updates the row in place and writes only the
difference of terms, so a task whose title changes costs a few rows. Postings are deleted by their whole
key (term, doc_id), never by doc_id alone: that column has no index of its own, which is why documents are
not deleted through the ORM (its cascade would scan every posting).

Terms are upserted in ascending order, so two transactions adding documents lock the term rows they share
in the same order and wait for each other instead of deadlocking. Every clue holds common characters (的,
了), so concurrent submissions serialise on those rows until each commits: index_add is meant for the
submit transaction, which is short.

Reading (DbIndex, the Index protocol of duban.voice.index) is one query per step of suggest(): the size, the
frequencies of the query's terms, the candidates (the postings of the query's rarest terms, summed per
document in SQL), the candidates' rows, the frequencies of the candidates' terms — five queries whatever
the store's size. Lists of terms go as one array (PostgreSQL) or one JSON text (SQLite, json_each), so no
query is split to stay under SQLite's limit of bound variables.

Scope: `similar_for(office_ids=…)` restricts the candidates in SQL (the summed postings joined to their
documents' office) before the best CANDIDATES are taken, so a county office is suggested the best of its
own clues, not what is left of the province's best. Frequencies and the store's size stay the whole
store's: a term's weight does not depend on who asks.

State: closed or merged clues and finished tasks are the caller's to drop (ask for more than it shows,
up to similar.RERANKED, and filter); a closed task can also be taken out with index_remove.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Sequence
from typing import NamedTuple

import numpy as np
from django.db import connection, transaction
from django.db.models import Q

from duban.org.models import Unit
from duban.supervision.models import Assignment, AssignmentRole, Task, TaskPlan, TaskState
from duban.voice.index import Document
from duban.voice.models import Clue, DocKind, VoiceDoc, VoicePosting, VoiceTerm
from duban.voice.similar import _FIRST_BIGRAM, DEFAULT_THRESHOLD, suggest, terms, terms_of

DOCS = 0  # the voice_voiceterm row that counts the documents
CLOSED_TASK_STATES = (TaskState.CLOSED, TaskState.CANCELLED)  # not indexed: a new clue cannot join them

DOC_TABLE = VoiceDoc._meta.db_table
TERM_TABLE = VoiceTerm._meta.db_table
POSTING_TABLE = VoicePosting._meta.db_table


class Match(NamedTuple):
    kind: str  # DocKind: "clue" or "task"
    ref_id: int  # the clue's or the task's id
    score: float
    why: str  # in Chinese, for the office: what both name


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _ints(values) -> list[int]:
    return np.asarray(values, dtype=np.int64).tolist()


# ---- writing ----


def _postings_insert(cursor, doc_ids, grams) -> None:
    if not len(grams):
        return
    if _postgres():
        cursor.execute(f"INSERT INTO {POSTING_TABLE} (term, doc_id) SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
                       [_ints(grams), _ints(doc_ids)])
    else:
        cursor.executemany(f"INSERT INTO {POSTING_TABLE} (term, doc_id) VALUES (%s, %s)",
                           list(zip(_ints(grams), _ints(doc_ids), strict=True)))


def _postings_delete(cursor, doc_id: int, grams) -> None:
    if not len(grams):
        return
    if _postgres():
        cursor.execute(f"DELETE FROM {POSTING_TABLE} WHERE doc_id = %s AND term = ANY(%s::bigint[])",
                       [doc_id, _ints(grams)])
    else:
        cursor.executemany(f"DELETE FROM {POSTING_TABLE} WHERE term = %s AND doc_id = %s",
                           [(t, doc_id) for t in _ints(grams)])


def _df_add(cursor, found, counts) -> None:
    """Add counts to the frequencies of terms (ascending, unique), creating the rows not there yet."""
    if not len(found):
        return
    if _postgres():
        cursor.execute(f"INSERT INTO {TERM_TABLE} AS t (term, df) SELECT * FROM unnest(%s::bigint[], %s::int[]) "
                       "ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df", [_ints(found), _ints(counts)])
    else:
        cursor.executemany(f"INSERT INTO {TERM_TABLE} (term, df) VALUES (%s, %s) "
                           "ON CONFLICT (term) DO UPDATE SET df = df + excluded.df",
                           list(zip(_ints(found), _ints(counts), strict=True)))


def _df_sub(cursor, found) -> None:
    """Take one from the frequencies of terms (rows at 0 stay: a later document may hold the term again)."""
    if not len(found):
        return
    if _postgres():
        cursor.execute(f"UPDATE {TERM_TABLE} SET df = df - 1 WHERE term = ANY(%s::bigint[])", [_ints(found)])
    else:
        cursor.execute(f"UPDATE {TERM_TABLE} SET df = df - 1 WHERE term IN (SELECT value FROM json_each(%s))",
                       [json.dumps(_ints(found))])


def _grams(found: np.ndarray) -> np.ndarray:
    return found[np.searchsorted(found, _FIRST_BIGRAM):]


@transaction.atomic
def index_add(*, kind: str, ref_id: int, text: str, place: str = "", category: str = "",
              office_id: int | None = None) -> VoiceDoc:
    """Index a clue's or a task's text (or index it again: only the difference of terms is written)."""
    if kind not in DocKind.values:
        raise ValueError(f"unknown kind {kind!r}")
    place, category = place or "", category or ""
    new, _ = terms(text, place)
    doc = VoiceDoc.objects.select_for_update().filter(kind=kind, ref_id=ref_id).first()
    with connection.cursor() as cursor:
        if doc is None:
            doc = VoiceDoc.objects.create(kind=kind, ref_id=ref_id, text=text, place=place, category=category,
                                          office_id=office_id)
            added, removed = np.r_[np.int64(DOCS), new], new[:0]
        else:
            old, _ = terms(doc.text, doc.place)
            added, removed = np.setdiff1d(new, old), np.setdiff1d(old, new)
            if (doc.text, doc.place, doc.category, doc.office_id) != (text, place, category, office_id):
                doc.text, doc.place, doc.category, doc.office_id = text, place, category, office_id
                doc.save(update_fields=["text", "place", "category", "office"])
        _postings_delete(cursor, doc.pk, _grams(removed))
        _df_sub(cursor, removed)
        _postings_insert(cursor, np.full(len(_grams(added)), doc.pk), _grams(added))
        _df_add(cursor, added, np.ones(len(added), dtype=np.int64))
    return doc


@transaction.atomic
def index_remove(*, kind: str, ref_id: int) -> bool:
    """Take a clue or a task out of the index (a task closed or cancelled); False when it was not there."""
    doc = VoiceDoc.objects.select_for_update().filter(kind=kind, ref_id=ref_id).first()
    if doc is None:
        return False
    old, _ = terms(doc.text, doc.place)
    with connection.cursor() as cursor:
        _postings_delete(cursor, doc.pk, _grams(old))
        _df_sub(cursor, np.r_[np.int64(DOCS), old])
        cursor.execute(f"DELETE FROM {DOC_TABLE} WHERE id = %s", [doc.pk])
    return True


def index_bulk(entries: Sequence[dict], *, clear: bool = False) -> int:
    """Index many new documents at once (the caller holds a transaction): rows, postings and frequencies
    in a few statements. `entries` are index_add's keyword arguments; none may be indexed already.
    With clear=True the index is emptied first."""
    with connection.cursor() as cursor:
        if clear:
            if _postgres():  # checks pending from earlier in the transaction first: TRUNCATE refuses them
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {POSTING_TABLE}, {TERM_TABLE}, {DOC_TABLE}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for table in (POSTING_TABLE, TERM_TABLE, DOC_TABLE):
                    cursor.execute(f"DELETE FROM {table}")
        if not entries:
            return 0
        docs = VoiceDoc.objects.bulk_create([
            VoiceDoc(kind=e["kind"], ref_id=e["ref_id"], text=e["text"], place=e.get("place") or "",
                     category=e.get("category") or "", office_id=e.get("office_id")) for e in entries])
        owner, found, _ = terms_of([(d.text, d.place) for d in docs])
        ids = np.array([d.pk for d in docs], dtype=np.int64)
        grams = found >= _FIRST_BIGRAM
        order = np.argsort(found[grams], kind="stable")  # in key order: the primary key's pages fill in turn
        _postings_insert(cursor, ids[owner[grams]][order], found[grams][order])
        unique, counts = np.unique(found, return_counts=True)  # each (document, term) once: counts are df
        _df_add(cursor, np.r_[np.int64(DOCS), unique], np.r_[np.int64(len(docs)), counts])
    return len(docs)


# ---- reading ----


class DbIndex:
    """The Index of duban.voice.index over the database; `offices` (unit ids) restricts the candidates."""

    def __init__(self, offices: Iterable[int] | None = None):
        self.offices = None if offices is None else sorted(set(offices))
        self.refs: dict[int, tuple[str, int]] = {}  # (kind, ref_id) of each document read

    def __len__(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT df FROM {TERM_TABLE} WHERE term = %s", [DOCS])
            row = cursor.fetchone()
        return row[0] if row else 0

    def document_frequencies(self, found: np.ndarray) -> np.ndarray:
        df = np.zeros(len(found), dtype=np.int64)
        if not len(found):
            return df
        if _postgres():
            # IN (SELECT unnest): the planner probes the primary key per term; = ANY(array) scans the table.
            sql = f"SELECT term, df FROM {TERM_TABLE} WHERE term IN (SELECT unnest(%s::bigint[]))"
            param = _ints(found)
        else:
            sql = f"SELECT term, df FROM {TERM_TABLE} WHERE term IN (SELECT value FROM json_each(%s))"
            param = json.dumps(_ints(found))
        with connection.cursor() as cursor:
            cursor.execute(sql, [param])
            rows = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 2)
        if len(rows):
            order = np.argsort(found, kind="stable")
            pos = order[np.searchsorted(found[order], rows[:, 0])]
            df[pos] = rows[:, 1]
        return df

    def candidates(self, found: np.ndarray, weights: np.ndarray, limit: int) -> list[Hashable]:
        """The documents holding the most weight of the query's terms: postings summed per document in SQL,
        best first, ties to the earlier document."""
        if not len(found):
            return []
        if _postgres():
            summed = (f"SELECT p.doc_id, SUM(q.w) AS s FROM unnest(%s::bigint[], %s::float8[]) AS q(term, w) "
                      f"JOIN {POSTING_TABLE} p ON p.term = q.term GROUP BY p.doc_id")
            params: list = [_ints(found), [float(w) for w in weights]]
            in_scope = "d.office_id = ANY(%s::bigint[])"
        else:
            values = ", ".join(["(%s, %s)"] * len(found))
            summed = (f"SELECT p.doc_id, SUM(q.w) AS s FROM (SELECT column1 AS term, column2 AS w FROM "
                      f"(VALUES {values})) AS q JOIN {POSTING_TABLE} p ON p.term = q.term GROUP BY p.doc_id")
            params = [x for pair in zip(_ints(found), (float(w) for w in weights), strict=True) for x in pair]
            in_scope = "d.office_id IN (SELECT value FROM json_each(%s))"
        if self.offices is None:
            sql = f"{summed} ORDER BY 2 DESC, 1 LIMIT %s"
        else:
            sql = (f"WITH c AS ({summed}) SELECT c.doc_id, c.s FROM c JOIN {DOC_TABLE} d ON d.id = c.doc_id "
                   f"WHERE {in_scope} ORDER BY c.s DESC, c.doc_id LIMIT %s")
            params.append(self.offices if _postgres() else json.dumps(self.offices))
        params.append(limit)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]

    def documents(self, doc_ids: Sequence[Hashable]) -> list[Document]:
        rows = {row[0]: row for row in VoiceDoc.objects.filter(id__in=doc_ids).values_list(
            "id", "text", "place", "category", "kind", "ref_id")}
        out = []
        for doc_id in doc_ids:
            if doc_id not in rows:  # removed since the candidates were read
                continue
            _, text, place, category, kind, ref_id = rows[doc_id]
            self.refs[doc_id] = (kind, ref_id)
            out.append(Document(doc_id, text, place, category))
        return out


def similar_for(*, text: str, place: str = "", category: str | None = None, k: int = 3,
                exclude: Iterable[tuple[str, int]] = (), office_ids: Iterable[int] | None = None,
                threshold: float = DEFAULT_THRESHOLD) -> list[Match]:
    """The k indexed clues and tasks most likely to be the incident `text` reports, best first.

    `exclude`: (kind, ref_id) pairs never to suggest (the clue itself). `office_ids`: only documents
    whose office is one of these (the triage office's subtree); None: the whole store. Closed and merged
    clues are suggested too: ask for more (k up to similar.RERANKED) and drop what should not be shown.
    """
    index = DbIndex(offices=office_ids)
    skip: list[int] = []
    exclude = list(exclude)
    if exclude:
        which = Q()
        for kind, ref_id in exclude:
            which |= Q(kind=kind, ref_id=ref_id)
        skip = list(VoiceDoc.objects.filter(which).values_list("id", flat=True))
    found = suggest(index, text, category, place, k=k, threshold=threshold, exclude=skip)
    return [Match(*index.refs[s.doc_id], s.score, s.why) for s in found]


# ---- what is indexed ----


def clue_entry(clue: Clue, place_name: str | None = None) -> dict:
    """index_add's arguments for a clue: its description, the place chosen and typed in the form, its
    category and triage office. `place_name`: the place unit's name, when the caller has it already."""
    if place_name is None:
        place_name = clue.place_unit.name if clue.place_unit_id else ""
    return {"kind": DocKind.CLUE, "ref_id": clue.pk, "text": clue.description,
            "place": " ".join(p for p in (place_name, clue.place_text) if p), "category": clue.category,
            "office_id": clue.office_id}


def task_entries(tasks: Sequence[Task]) -> list[dict]:
    """index_add's arguments for tasks: title and requirements, the lead units' names as the place, the
    category, the supervising unit as the office. One query for the lead units of them all."""
    leads: dict[int, list[str]] = {}
    ids = [t.pk for t in tasks]
    rows = (Assignment.objects.filter(task_id__in=ids, role=AssignmentRole.LEAD).values_list("task_id", "unit__name")
            .union(TaskPlan.objects.filter(task_id__in=ids, role=AssignmentRole.LEAD)
                   .values_list("task_id", "unit__name")))
    for task_id, name in sorted(rows):
        leads.setdefault(task_id, []).append(name)
    return [{"kind": DocKind.TASK, "ref_id": t.pk, "text": "\n".join(p for p in (t.title, t.requirements) if p),
             "place": " ".join(leads.get(t.pk, [])), "category": t.category, "office_id": t.owner_unit_id}
            for t in tasks]


def index_rebuild(*, batch: int = 2000, progress=None) -> tuple[int, int]:
    """Index again every clue and every open task (not closed, not cancelled), in one transaction, in
    batches of `batch` rows; (clues, tasks) indexed. On PostgreSQL the index's tables are truncated:
    suggestions wait for the rebuild to commit rather than read a half-built index; on SQLite they read
    the old index until then."""
    counts = []
    with transaction.atomic():
        index_bulk([], clear=True)
        units = dict(Unit.objects.values_list("id", "name"))
        for source in ("clue", "task"):
            done, last = 0, 0
            while True:
                if source == "clue":
                    rows = list(Clue.objects.filter(pk__gt=last).order_by("pk").only(
                        "description", "place_unit_id", "place_text", "category", "office_id")[:batch])
                    entries = [clue_entry(c, units.get(c.place_unit_id, "")) for c in rows]
                else:
                    rows = list(Task.objects.filter(pk__gt=last).exclude(state__in=CLOSED_TASK_STATES)
                                .order_by("pk").only("title", "requirements", "category", "owner_unit_id")[:batch])
                    entries = task_entries(rows)
                if not rows:
                    break
                done += index_bulk(entries)
                last = rows[-1].pk
                if progress:
                    progress(source, done)
            counts.append(done)
        if _postgres():  # the planner's statistics of the new tables now, not when autovacuum comes by
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {POSTING_TABLE}, {TERM_TABLE}, {DOC_TABLE}")
    return counts[0], counts[1]


__all__ = ["DbIndex", "Match", "clue_entry", "index_add", "index_bulk", "index_rebuild", "index_remove",
           "similar_for", "task_entries"]
