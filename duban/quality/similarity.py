"""Near-duplicate reports: character shingles, MinHash signatures, LSH band keys, exact Jaccard, diff spans.

A report is compared as the set of its character k-shingles after normalisation. Chinese needs no word
segmentation for this: a run of k characters already carries the wording, and copying is a matter of
wording, not of meaning.

Finding the earlier reports that may be copies must not read every stored report. Each report's MinHash
signature (NUM_PERM values, one per permutation, each equal for two texts with probability equal to
their Jaccard similarity) is cut into BANDS bands of ROWS values; each band is hashed to one key. Two
reports become candidates when they share any key, so the store only needs a table of keys (one BIGINT
per band per report, indexed) and the lookup is `SELECT report_id FROM band WHERE key IN (…)`. A
candidate is then confirmed by the exact Jaccard of the two shingle sets, so the detector never reports
a pair below the threshold; what LSH can cost is only recall, which the choice of BANDS × ROWS keeps
high (see below).

Everything here is deterministic across processes, machines and restarts — the permutations come from
a fixed seed, the shingle hash is SHA-1 and the band hash BLAKE2b, never Python's salted hash() — so a
key stored today is matched by the same text's key computed next year. The constants that shape the
keys are summed up in SCHEME; a store built under another SCHEME has to be re-keyed.

Parameters, as measured on the planted corpus of bench/quality (bench/quality_eval.py prints the
figures behind them):

- K = 3. Bigrams are too common in officialese: unrelated reports share many (推进, 项目, 完成 …), which
  lifts their similarity (p99 0.28 against 0.22 for trigrams) and the false candidates per query at
  scale about sevenfold. With 4- or 5-shingles every changed character destroys more shingles, so
  fewer lightly edited copies (a unit name, a few figures, a word) stay at 0.8: 76 % and 69 % of the
  planted copies against 85 % for trigrams. Same-subject reports that are not copies stay far below
  the threshold at every k (at most 0.64 for trigrams).
- NUM_PERM = 160, BANDS = 20, ROWS = 8. The probability that a pair of similarity s becomes a
  candidate is 1 - (1 - s^ROWS)^BANDS: 0.975 at s = 0.8, 0.998 at 0.85, > 0.9999 at 0.9, while a pair
  at 0.3 has 0.0013 and at 0.2 5e-5. The curve's midpoint, (1/BANDS)^(1/ROWS) = 0.69, lies below the
  threshold, for recall. datasketch's `_optimal_param` weighs false positives and negatives evenly
  over [0, 1] and so centres the curve above 0.8 (b=9, r=13 for 128 permutations: 0.40 at s = 0.8),
  losing most copies near the threshold. Fewer rows per band (16 × 7, 20 × 7) gain little recall
  but let about three times as many unrelated reports into the candidates; more bands (24 × 8,
  32 × 9) gain a point of recall at exactly 0.8 for a key table 1.2–1.6 times as large (a row per
  band per report). Estimated from the corpus, a query among 5 million stored reports meets about
  24 false candidates (p95: 200), each dismissed by the exact check.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
from datasketch import LeanMinHash, MinHash
from datasketch.hashfunc import sha1_hash32

K = 3
NUM_PERM = 160
BANDS = 20
ROWS = 8
SEED = 20260601
DEFAULT_THRESHOLD = 0.8
# Everything that shapes a band key: a store keyed under another scheme must be re-keyed. The leading
# version counts changes to normalise() and shingles(), which the constants do not show.
SCHEME = f"v1-k{K}-p{NUM_PERM}-b{BANDS}r{ROWS}-s{SEED}-affine32-sha1"

assert BANDS * ROWS <= NUM_PERM

_BAND_BITS = 6  # up to 64 bands in the key's top bits
_HASH_BITS = 63 - _BAND_BITS  # the rest: the band's hash; keys are in [0, 2**63), a signed BIGINT
_HASH_MASK = (1 << _HASH_BITS) - 1
assert BANDS <= 1 << _BAND_BITS
_PERSON = hashlib.blake2b(SCHEME.encode(), digest_size=16).digest()

# Generated once: MinHash would otherwise draw NUM_PERM permutations from the seed for every text.
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations


_NOT_WORD = re.compile(r"[\W_]+")  # anything but letters, digits and CJK characters (Unicode \w minus "_")


def normalise(text: str) -> str:
    """The text as compared: only its letters, digits and CJK characters, in NFKC, lowercase.

    A copy is still a copy when it is re-wrapped, re-spaced or re-punctuated (a full-width comma made
    half-width, a 。 made a ；, lines joined or split, a space typed between words): such changes say
    nothing about the content, and each would otherwise break the k shingles across it. NFKC folds
    full-width and other compatibility forms (１２３, ＡＢＣ, ①) into plain ones, so "３.２亿元" and
    "3.2亿元" compare equal. Punctuation and spaces go first, so that NFKC, the slow step, runs only on
    the rare text that still needs it after that.
    """
    text = _NOT_WORD.sub("", text or "")
    if not unicodedata.is_normalized("NFKC", text):
        text = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text))
    return text.lower()


def shingles(text: str, k: int = K) -> set[str]:
    """The set of character k-shingles of the normalised text.

    A text shorter than k is one shingle (itself); a text with nothing left after normalisation has none.
    """
    norm = normalise(text)
    if len(norm) <= k:
        return {norm} if norm else set()
    return {norm[i : i + k] for i in range(len(norm) - k + 1)}


def signature_of(shingle_set: Iterable[str]) -> LeanMinHash:
    """The MinHash signature of a shingle set (see signature)."""
    m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=sha1_hash32, permutations=_PERMUTATIONS, scheme="affine32")
    m.update_batch([s.encode("utf-8") for s in shingle_set])
    return LeanMinHash(m)


def signature(text: str) -> LeanMinHash:
    """The MinHash signature of a text's shingles: NUM_PERM 32-bit values, the same in every process."""
    return signature_of(shingles(text))


def _is_empty(sig: MinHash) -> bool:
    return bool(np.all(sig.hashvalues == np.iinfo(np.uint32).max))


def band_keys(sig: MinHash) -> list[int]:
    """The BANDS LSH keys of a signature, each in [0, 2**63): the band number, then 57 bits of hash.

    Each key is BLAKE2b over the band's ROWS values as little-endian uint32, personalised with SCHEME so
    that keys made under other parameters never meet these. Two signatures share a key when they agree
    on every value of one band. A text with no content has no keys: it is nobody's copy.
    """
    if _is_empty(sig):
        return []
    values = np.asarray(sig.hashvalues, dtype="<u4")
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=_PERSON).digest()
        keys.append((band << _HASH_BITS) | (int.from_bytes(digest, "big") & _HASH_MASK))
    return keys


def keys_of(text: str) -> list[int]:
    """band_keys(signature(text))."""
    return band_keys(signature(text))


def candidate_probability(s: float, bands: int = BANDS, rows: int = ROWS) -> float:
    """The probability that two texts of Jaccard similarity s share at least one band key."""
    return 1.0 - (1.0 - s**rows) ** bands


def jaccard_sets(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b|; 0.0 when both are empty (no content is no evidence of copying)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def jaccard(a_text: str, b_text: str) -> float:
    """The exact Jaccard similarity of the two texts' shingle sets: the check on LSH candidates."""
    return jaccard_sets(shingles(a_text), shingles(b_text))


def near_duplicates(
    text: str, candidates: Iterable[tuple[object, str]], threshold: float = DEFAULT_THRESHOLD
) -> list[tuple[object, float]]:
    """The candidates (id, text) whose exact Jaccard with text is at least threshold, best first."""
    mine = shingles(text)
    found = []
    for ident, other in candidates:
        j = jaccard_sets(mine, shingles(other))
        if j >= threshold:
            found.append((ident, j))
    found.sort(key=lambda pair: -pair[1])
    return found


# Between two changes, a run of unchanged characters this short is shown as part of the change:
# "3.2" -> "4.5" reads as one changed figure, not as "4" and "5" around a kept ".".
_BRIDGE = 1


def _changes(old: str, new: str) -> list[tuple[int, int, int, int]]:
    """Changed regions (i1, i2, j1, j2): old[i1:i2] became new[j1:j2], short equal runs bridged."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    regions: list[list[int]] = []
    gap: tuple[int, int] | None = None  # the equal run since the last change, as (i-length, j-length)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            gap = (i2 - i1, j2 - j1)
            continue
        if regions and gap is not None and gap[0] <= _BRIDGE:
            regions[-1][1], regions[-1][3] = i2, j2
        else:
            regions.append([i1, i2, j1, j2])
        gap = (0, 0)
    return [tuple(r) for r in regions]


def differing_spans_both(old: str, new: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(spans of old not in new, spans of new not in old), as [start, end) character offsets.

    Offsets index the texts as given (not normalised), so that the page can highlight them. A pure
    deletion has a span in old only, a pure insertion in new only.
    """
    in_old, in_new = [], []
    for i1, i2, j1, j2 in _changes(old, new):
        if i2 > i1:
            in_old.append((i1, i2))
        if j2 > j1:
            in_new.append((j1, j2))
    return in_old, in_new


def differing_spans(old: str, new: str) -> list[tuple[int, int]]:
    """The [start, end) spans of new that are not in old; differing_spans(new, old) gives old's."""
    return differing_spans_both(old, new)[1]
