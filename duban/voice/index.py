"""The store behind similar-clue suggestions (duban.voice.similar): the Index protocol and MemoryIndex.

suggest() reads a store through Index: its size, the document frequencies of terms, candidates for a
query's weighted terms (an inverted index: term → documents, each document met summing the weights of
the terms it holds), and the stored documents by id. MemoryIndex keeps all of it in numpy arrays: the
evaluation and the benchmark use it. duban.voice.store keeps the same in the database (DbIndex).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import NamedTuple, Protocol

import numpy as np

from duban.voice.similar import _FIRST_BIGRAM, terms


class Document(NamedTuple):
    doc_id: Hashable
    text: str
    place: str
    category: str


class Index(Protocol):
    """What suggest() needs from a store of clues (and tasks): its size, document frequencies, candidates
    for weighted terms, stored documents by id. Writing is each store's own (MemoryIndex.add,
    duban.voice.store.index_add)."""

    def __len__(self) -> int: ...

    def document_frequencies(self, terms: np.ndarray) -> np.ndarray: ...

    def candidates(self, terms: np.ndarray, weights: np.ndarray, limit: int) -> list[Hashable]: ...

    def documents(self, doc_ids: Sequence[Hashable]) -> list[Document]: ...


class _Segment:
    """Postings of a run of documents: sorted unique terms, their offsets, the documents of each term."""

    __slots__ = ("terms", "offsets", "docs")

    def __init__(self, terms: np.ndarray, docs: np.ndarray):
        order = np.argsort(terms, kind="stable")  # stable: each term's documents stay in insertion order
        terms, docs = terms[order], docs[order]
        starts = np.flatnonzero(np.r_[True, terms[1:] != terms[:-1]]) if len(terms) else np.empty(0, np.int64)
        self.terms = terms[starts]
        self.offsets = np.r_[starts, len(terms)].astype(np.int64)
        self.docs = docs

    def postings(self) -> tuple[np.ndarray, np.ndarray]:
        return np.repeat(self.terms, np.diff(self.offsets)), self.docs

    def lookup(self, terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position of each term in self.terms, whether it is there)."""
        pos = np.searchsorted(self.terms, terms)
        pos = np.minimum(pos, len(self.terms) - 1) if len(self.terms) else np.zeros_like(pos)
        found = (self.terms[pos] == terms) if len(self.terms) else np.zeros(len(terms), dtype=bool)
        return pos, found


class MemoryIndex:
    """An Index in memory: an inverted index in numpy segments, the documents in lists.

    Bigrams and trigrams have postings; single characters only a count (they are too common to fetch
    candidates by, and their frequency is all the cosine needs). Postings go to a pending buffer, sealed
    into a segment every SEGMENT documents (or before a lookup); a segment at least half the size of the
    one before is merged into it, up to MERGE_POSTINGS postings, so a million clues are a dozen segments.
    """

    SEGMENT = 65_536
    MERGE_POSTINGS = 20_000_000

    def __init__(self) -> None:
        self._ids: list[Hashable] = []
        self._position: dict[Hashable, int] = {}
        self._texts: list[str] = []
        self._places: list[str] = []
        self._categories: list[str] = []
        self._pending_terms: list[np.ndarray] = []
        self._pending_docs: list[np.ndarray] = []
        self._pending_count = 0
        self._segments: list[_Segment] = []
        self._char_df = np.zeros(0x110000, dtype=np.int32)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, doc_id: Hashable, text: str, meta: Mapping[str, str] | None = None) -> None:
        if doc_id in self._position:
            raise ValueError(f"document {doc_id!r} is already indexed")
        meta = meta or {}
        place = meta.get("place", "") or ""
        doc_terms, _ = terms(text, place)
        position = len(self._ids)
        self._position[doc_id] = position
        self._ids.append(doc_id)
        self._texts.append(text)
        self._places.append(place)
        self._categories.append(meta.get("category", "") or "")
        first_gram = np.searchsorted(doc_terms, _FIRST_BIGRAM)
        self._char_df[doc_terms[:first_gram]] += 1
        self._pending_terms.append(doc_terms[first_gram:])
        self._pending_docs.append(np.full(len(doc_terms) - first_gram, position, dtype=np.int32))
        self._pending_count += 1
        if self._pending_count >= self.SEGMENT:
            self._seal()

    def _seal(self) -> None:
        if not self._pending_terms:
            return
        segment = _Segment(np.concatenate(self._pending_terms), np.concatenate(self._pending_docs))
        self._pending_terms, self._pending_docs, self._pending_count = [], [], 0
        self._segments.append(segment)
        while len(self._segments) >= 2:
            older, newer = self._segments[-2], self._segments[-1]
            if len(newer.docs) * 2 < len(older.docs) or len(older.docs) + len(newer.docs) > self.MERGE_POSTINGS:
                break
            t_old, d_old = older.postings()
            t_new, d_new = newer.postings()
            self._segments[-2:] = [_Segment(np.concatenate([t_old, t_new]), np.concatenate([d_old, d_new]))]

    def document_frequencies(self, terms: np.ndarray) -> np.ndarray:
        self._seal()
        chars = terms < _FIRST_BIGRAM
        df = np.where(chars, self._char_df[np.where(chars, terms, 0)], 0).astype(np.int64)
        for seg in self._segments:
            pos, found = seg.lookup(terms)
            df += np.where(found, seg.offsets[pos + 1] - seg.offsets[pos], 0)
        return df

    def candidates(self, terms: np.ndarray, weights: np.ndarray, limit: int) -> list[Hashable]:
        self._seal()
        docs, gains = [], []
        for seg in self._segments:
            pos, found = seg.lookup(terms)
            for p, w in zip(pos[found], weights[found], strict=True):
                start, end = seg.offsets[p], seg.offsets[p + 1]
                docs.append(seg.docs[start:end])
                gains.append(np.full(end - start, w))
        if not docs:
            return []
        doc_arr, gain_arr = np.concatenate(docs), np.concatenate(gains)
        if len(doc_arr) * 4 > len(self._ids):
            totals = np.bincount(doc_arr, weights=gain_arr, minlength=len(self._ids))
            met = np.flatnonzero(totals)
            totals = totals[met]
        else:
            met, inverse = np.unique(doc_arr, return_inverse=True)
            totals = np.bincount(inverse, weights=gain_arr)
        if len(met) > limit:  # every document tied with the last one kept stays, for the sort to choose
            cut = np.partition(-totals, limit - 1)[limit - 1]
            keep = np.flatnonzero(-totals <= cut)
            met, totals = met[keep], totals[keep]
        order = np.lexsort((met, -totals))[:limit]  # best first; ties: the earlier document first
        return [self._ids[i] for i in met[order]]

    def documents(self, doc_ids: Sequence[Hashable]) -> list[Document]:
        out = []
        for doc_id in doc_ids:
            i = self._position[doc_id]
            out.append(Document(doc_id, self._texts[i], self._places[i], self._categories[i]))
        return out

    def all_ids(self) -> list[Hashable]:
        return list(self._ids)


__all__ = ["Document", "Index", "MemoryIndex"]
