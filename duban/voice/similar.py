"""Similar clues: the earlier clue or open task that a new clue repeats, found in other words.

Two citizens who report the same pothole, the same unpaid subsidy or the same factory's night noise
write it differently: other words, another order, details added or left out, typos, 两千 for 2000. What
they keep is what identifies the incident — the place (县、镇、村、小区、路), the organisation (鑫源食品厂,
梅溪镇卫生院), the figures, a few content words (路灯, 地力补贴, 破碎机). Copied reports
(duban.quality.similarity) are matched on exact wording; here the wording is what differs, so a clue is
compared by what it names, each name weighted by how rare it is among the stored clues.

1. normalise(): NFKC, lowercase, Chinese numerals before a measure word as digits (三号楼 → 3栋,
   两千块 → 2000元), one form for a few words citizens write for the same thing, no punctuation.
2. terms(): the characters, character bigrams and trigrams of the normalised text and of the place typed
   in the form. No word segmentation and no dictionary to ship: a 2–3 character window already holds a
   place name, a word or a figure, and single characters catch the same word rephrased (厕所 / 改厕). Each
   term is one 63-bit integer, its code points side by side (21 bits each), so a term is the same on
   every machine with no hash and no vocabulary table, and reads back as its characters.
3. Weights: TF-IDF, (1 + ln tf) · (ln((N + 1)/(df + 1)) + 1), over the store's document frequencies;
   terms in more than COMMON_DF_SHARE of the store weigh nothing (没有, 一直, 反映). The similarity is the
   cosine: a place name met in a dozen clues weighs far more than a word met in every tenth.
4. Candidates, without reading every stored clue: the query's rarest bigrams and trigrams (at most
   QUERY_TERMS, each in at most MAX_DF_SHARE of the store, POSTINGS_BUDGET postings in all) are looked up
   in an inverted index (term → clues); each clue met sums the query weights of the terms it shares; the
   best CANDIDATES are scored exactly, from their stored text.
5. Ranking: the cosine; plus PLACE_BONUS when both name the same fine place or organisation (a shared
   run such as 幸福小区5栋 or 鑫源食品厂; a shared town is not enough — many incidents share a town); minus
   ELSEWHERE_PENALTY when they name different counties, different towns or different villages/estates
   (each naming some); plus CATEGORY_BONUS when the categories agree, a tie-breaker only, since two
   citizens may file one incident under different categories. Nothing below DEFAULT_THRESHOLD is
   suggested. bench/voice_eval.py measures all of it on hand-written pairs (docs of the figures there).

The store is behind a small protocol, Index (duban.voice.index): its size, document frequencies,
candidates for weighted terms, stored documents by id. MemoryIndex (there too) keeps it in numpy
arrays, for the evaluation and the benchmark; DbIndex (duban.voice.store) keeps it in the database, where
`candidates` is one query over the postings (on PostgreSQL):

    voice_voiceterm (term BIGINT PRIMARY KEY, df INTEGER)      -- every term, characters included
    voice_voiceposting (term BIGINT, doc_id BIGINT, PRIMARY KEY (term, doc_id))   -- bigrams and trigrams
    SELECT doc_id, SUM(q.w) FROM voice_voiceposting p
      JOIN unnest(%(terms)s::bigint[], %(weights)s::float8[]) AS q(term, w) USING (term)
      GROUP BY doc_id ORDER BY 2 DESC, doc_id LIMIT %(limit)s;

Everything is deterministic: terms are the characters themselves, ties go to the earlier document, and
the same store and query give the same suggestions. SCHEME names what shapes a term; an index stored
under another scheme must be rebuilt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:  # duban.voice.index reads terms() from here
    from duban.voice.index import Document, Index

SCHEME = "v1-nfkc-num-syn-cp21-g123"

QUERY_TERMS = 64  # the rarest terms of a query that fetch candidates
POSTINGS_BUDGET = 300_000  # postings read per query at most (the rarest terms first)
MAX_DF_SHARE = 0.02  # a term in more than this share of the store (and MIN_DF_CAP clues) fetches nothing
MIN_DF_CAP = 2_000
CANDIDATES = 200  # scored exactly
RERANKED = 20  # the best of them checked for shared and conflicting places
COMMON_DF_SHARE = 0.05  # terms in more of the store than this (and MIN_COMMON_DF clues) weigh nothing
MIN_COMMON_DF = 20
PLACE_BONUS = 0.05
ELSEWHERE_PENALTY = 0.2
CATEGORY_BONUS = 0.03
DEFAULT_THRESHOLD = 0.15

_BITS = 21
_MASK = (1 << _BITS) - 1
_FIRST_BIGRAM = 1 << _BITS  # terms below this are single characters


# ---- normalising ----

_NOT_WORD = re.compile(r"[^\w\0]+|_+")  # \0 stays: it separates the texts of a batch
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# A run of Chinese numerals is a number only before a measure word or at the end of a phrase: 三组 and
# 两千块 are figures, 一直 and 三合村 are not.
_MEASURE = "号栋幢单元组元块个月天年户人次层米台头亩岁趟家名位辆周多余来万千百斤吨平班"
_CN_NUMBER = re.compile(rf"(?<!\d)[零〇一二两三四五六七八九十百千]+(?=[{_MEASURE}]|[^\w]|$)")
_ARABIC_THOUSANDS = re.compile(r"(\d+)千")
_BUILDING = re.compile(r"(\d+)(?:号楼|幢|栋)")
_MONEY = re.compile(r"(\d+)(?:块钱|块)")
_SHORT_YEAR = re.compile(r"(?<!\d)([12]\d)年(?=[的底初上下度])")

# Words citizens write for the same thing, folded to one form: plain variants of everyday words that do
# not change what is reported, and one habitual miswriting (反应 for 反映).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "工资": ("工钱", "薪水", "薪资"),
    "欠工资": ("欠薪",),
    "补贴": ("补助款", "补贴款", "补助金", "补助", "津贴"),
    "噪音": ("噪声",),
    "村委": ("村委会", "村两委"),
    "居委": ("居委会",),
    "反映": ("反应",),
    "电动车": ("电瓶车",),
    "沥青路": ("柏油路",),
    "孩子": ("小孩子", "小孩"),
    "周日": ("礼拜天", "星期天", "星期日"),
    "公厕": ("公共厕所",),
    "菜市场": ("菜场",),
    "驾驶证": ("驾照",),
    "搅拌站": ("拌合站", "拌和站"),
    "丧事": ("白事",),
}
_SYNONYM_OF = {variant: word for word, variants in SYNONYMS.items() for variant in variants}
_SYNONYM = re.compile("|".join(sorted(map(re.escape, _SYNONYM_OF), key=len, reverse=True)))


def _cn_number(run: str) -> str:
    """一千五百 → 1500, 五百八 → 580, 十二 → 12, 三 → 3, 两千 → 2000; a run it cannot read stays."""
    if all(c in _CN_DIGITS for c in run):
        return "".join(str(_CN_DIGITS[c]) for c in run) if len(run) > 1 else str(_CN_DIGITS[run])
    total, digit, last_unit = 0, None, None
    for c in run:
        if c in _CN_DIGITS:
            if digit is not None:
                return run
            digit = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            unit = _CN_UNITS[c]
            if last_unit is not None and unit >= last_unit:
                return run
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    if digit is not None:  # 五百八: the trailing digit counts in the next unit down
        total += digit * (last_unit // 10 if last_unit and last_unit > 10 else 1)
    return str(total)


def normalise(text: str, breaks: bool = False) -> str:
    """The text as compared: NFKC, lowercase, figures as digits, one form for synonyms, no punctuation.

    With breaks=True each run of punctuation and spaces becomes one "|": for finding names, which do not
    run across a comma (浪费，村集体 names no 浪费村).
    """
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _CN_NUMBER.sub(lambda m: _cn_number(m.group()), text)
    text = _ARABIC_THOUSANDS.sub(lambda m: m.group(1) + "000", text)
    text = _NOT_WORD.sub("|" if breaks else "", text)
    text = _SYNONYM.sub(lambda m: _SYNONYM_OF[m.group()], text)
    text = _BUILDING.sub(r"\1栋", text)
    text = _MONEY.sub(r"\1元", text)
    return _SHORT_YEAR.sub(r"20\1年", text)


# ---- regions: county and town ----

# Characters that do not begin a name (a shared run starting with one begins after it), among them the
# last character of an ending: 镇幸福小区 is the end of one name and then 幸福小区.
_NOT_NAME_START = set("的了在是和到从对给把被让我你他她们这那个也都就还又很说有没不要会能去来住跟与及靠县市镇乡村区路街")

# A county (县, county-level 市) or a town (镇, 乡, 街道): two characters and the ending. Citizens rarely
# name a region wrongly, so two clues naming different counties, or different towns, are about different
# incidents, however alike their words.
_REGION_NAME = re.compile(r"(?=([\u4e00-\u9fff]{2})(县|市|镇|乡|街道))")
_NOT_REGION = {"城乡", "县城", "乡村", "乡下", "市场", "城市", "超市", "集镇", "城镇", "乡镇", "全县", "全市", "全镇",
               "全乡", "本县", "本市", "本镇", "本乡", "外县", "外市", "邻县", "邻镇", "县市", "省市", "州市"}


def regions(norm: str) -> tuple[frozenset[str], frozenset[str]]:
    """(counties, towns) named in a normalised text: 青山县清水镇石板村 → ({青山县}, {清水镇})."""
    counties, towns = set(), set()
    for m in _REGION_NAME.finditer(norm):
        name, ending = m.group(1), m.group(2)
        end = m.start() + 2 + len(ending)
        if name[0] in _NOT_NAME_START or name[1] in _NOT_NAME_START or (name[1] + ending[0]) in _NOT_REGION:
            continue
        if name + ending[0] in _NOT_REGION or norm[end : end + 1] in ("场", "民", "区", "委", "政", "长", "里", "上", "下"):
            continue
        (counties if ending in ("县", "市") else towns).add(name + ending)
    return frozenset(counties), frozenset(towns)


# A village or a residential estate: two characters and the ending. Two clues that each name some and
# share none are about different places (石板村 and 岩脚村 in the same town).
_LOCALITY = re.compile(r"(?=([\u4e00-\u9fff]{2})(村|社区|小区|花园|家园|华庭|新城|新村|苑))")
_NOT_LOCALITY = {"隔壁", "附近", "旁边", "邻近", "周边", "全村", "本村", "外村", "各村", "农村", "乡村", "城乡", "进村",
                 "通村", "到村", "出村", "回村", "个村", "一个", "这个", "那个", "整个", "每个", "几个", "村里", "新村"}


def localities(norm: str) -> frozenset[str]:
    """The villages and estates named in a normalised text: 石板村3组 → {石板村}."""
    found = set()
    for m in _LOCALITY.finditer(norm):
        name = m.group(1)
        if name in _NOT_LOCALITY or name[0] in _NOT_NAME_START or name[1] in _NOT_NAME_START:
            continue
        found.add(name + m.group(2))
    return frozenset(found)


def region_conflict(a: tuple[frozenset[str], frozenset[str]], b: tuple[frozenset[str], frozenset[str]]) -> bool:
    """Whether two clues name different counties, or different towns (each naming some)."""
    return any(x and y and not (x & y) for x, y in zip(a, b, strict=True))


# ---- terms ----


def _codes(norm: str) -> np.ndarray:
    return np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def terms_of(texts: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner, term, count) for a batch of (text, place): each clue's characters, bigrams and trigrams of
    its normalised text and place, sorted by owner, then term. One pass of numpy for the whole batch."""
    # Each text and place is followed by a 0, which no text holds; grams across it are dropped. The batch
    # is normalised at once: nothing in normalise() reaches across a 0.
    joined = "".join(f"{text.replace(chr(0), '')}\0{place.replace(chr(0), '')}\0" for text, place in texts)
    c = _codes(normalise(joined))
    ends = np.flatnonzero(c == 0)
    owner = np.repeat(np.arange(len(texts)), np.diff(np.r_[-1, ends[1::2]]))
    real = c != 0
    grams = [c[real], ((c[:-1] << _BITS) | c[1:])[real[:-1] & real[1:]],
             ((c[:-2] << (2 * _BITS)) | (c[1:-1] << _BITS) | c[2:])[real[:-2] & real[1:-1] & real[2:]]]
    owners = [owner[real], owner[:-1][real[:-1] & real[1:]], owner[:-2][real[:-2] & real[1:-1] & real[2:]]]
    g, o = np.concatenate(grams), np.concatenate(owners)
    order = np.lexsort((g, o))
    g, o = g[order], o[order]
    first = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (o[1:] != o[:-1])]) if len(g) else np.zeros(0, int)
    return o[first], g[first], np.diff(np.r_[first, len(g)])


def terms(text: str, place: str = "") -> tuple[np.ndarray, np.ndarray]:
    """(terms, counts) of a clue: the characters, bigrams and trigrams of its text and its place, sorted."""
    _, found, counts = terms_of([(text, place)])
    return found, counts


def term_text(term: int) -> str:
    """The characters of a term (for reading an index, and for tests)."""
    chars = [(term >> (2 * _BITS)) & _MASK, (term >> _BITS) & _MASK, term & _MASK]
    return "".join(chr(c) for c in chars if c)


def idf(df: np.ndarray, n: int) -> np.ndarray:
    return np.log((n + 1) / (df + 1.0)) + 1.0


def weights(counts: np.ndarray, df: np.ndarray, n: int) -> np.ndarray:
    """TF-IDF with sublinear tf; nothing for a term in more than COMMON_DF_SHARE of the store."""
    return (1.0 + np.log(counts)) * idf(df, n) * (df <= max(MIN_COMMON_DF, COMMON_DF_SHARE * n))


# ---- scoring ----


class Suggestion(NamedTuple):
    doc_id: Hashable
    score: float
    why: str


class Query:
    """A new clue's terms and weights against one store (the store's size and frequencies now)."""

    def __init__(self, index: Index, text: str, place: str = "", category: str | None = None):
        self.place, self.category = place or "", category
        self.norm = normalise(text)
        self.norm_place = normalise(self.place)
        marked = normalise(self.place, breaks=True) + "|" + normalise(text, breaks=True)
        self.regions = regions(marked)
        self.localities = localities(marked)
        self.n = len(index)
        self.terms, counts = terms(text, self.place)
        self.df = index.document_frequencies(self.terms) if len(self.terms) else np.zeros(0, dtype=np.int64)
        self.weights = weights(counts, self.df, self.n)
        self.norm2 = float(np.sqrt(np.sum(self.weights**2)))


def cosines(query: Query, index: Index, documents: Sequence[Document]) -> np.ndarray:
    """The exact TF-IDF cosine of the query with each document, from the documents' text."""
    if not documents or query.norm2 == 0:
        return np.zeros(len(documents))
    owner, all_terms, all_counts = terms_of([(d.text, d.place) for d in documents])
    unique, inverse = np.unique(all_terms, return_inverse=True)
    df = np.maximum(index.document_frequencies(unique), 1)[inverse]  # a document counts itself
    w = weights(all_counts, df, query.n)
    norms = np.sqrt(np.bincount(owner, weights=w**2, minlength=len(documents)))
    pos = np.minimum(np.searchsorted(query.terms, all_terms), len(query.terms) - 1)
    common = query.terms[pos] == all_terms
    dots = np.bincount(owner[common], weights=w[common] * query.weights[pos[common]], minlength=len(documents))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norms > 0, dots / (norms * query.norm2), 0.0)


# A place, or an organisation that identifies where an incident is: a name of at least two characters
# before one of these endings. Towns and counties are regions, not places: many different incidents
# share a town.
_FINE_ENDINGS = (
    "村", "组", "社区", "小区", "花园", "家园", "新村", "苑", "华庭", "新城", "名都", "路", "街", "大道", "巷",
    "栋", "单元", "大桥", "桥", "广场", "市场", "厂", "公司", "矿业", "物流", "酒楼", "酒店", "宾馆", "驾校", "小学", "中学",
    "幼儿园", "医院", "卫生院", "派出所", "敬老院", "站", "中心", "ktv", "工地", "项目", "标段", "安置点", "食堂",
)
_REGION_ENDINGS = ("县", "市", "镇", "乡", "街道")
_ENDING = re.compile("|".join(sorted(map(re.escape, _FINE_ENDINGS + _REGION_ENDINGS), key=len, reverse=True)))


def _shared_runs(a: str, b: str) -> list[str]:
    """The maximal runs of a (at least two characters) each of whose bigrams occurs in b."""
    b_bigrams = {b[i : i + 2] for i in range(len(b) - 1)}
    runs, start = [], None
    for i in range(len(a) - 1):
        if a[i : i + 2] in b_bigrams:
            start = i if start is None else start
        elif start is not None:
            runs.append(a[start : i + 1])
            start = None
    if start is not None:
        runs.append(a[start:])
    return runs


def _place_phrase(run: str) -> tuple[str, bool, bool]:
    """(the place phrase a shared run names, whether it names a fine place, whether a region).

    幸福小区5栋 → fine; 城关镇 → region; 城关镇幸福小区 → both; 没有发 → neither (phrase ""). A name is at least
    two characters other than digits before its ending; digits right after a name belong to it (5栋).
    """
    start = 0
    while start < len(run) and run[start] in _NOT_NAME_START:
        start += 1
    pos, end, fine, region = start, start, False, False
    for m in _ENDING.finditer(run, start):
        name = run[pos : m.start()]
        if len(name) >= 2 and not name.isdigit():
            if m.group() in _REGION_ENDINGS:
                region = True
            else:
                fine = True
            pos = end = m.end()
        elif end > start and name.isdigit() and m.start() == end + len(name) and m.start() > pos:
            pos = end = m.end()  # 幸福小区 + 5栋
    return run[start:end], fine, region


class Shared(NamedTuple):
    places: list[str]  # phrases naming a fine place or an organisation
    regions: list[str]  # phrases naming only a town or county
    words: list[str]  # other shared runs of at least two characters


def shared(query: Query, doc: Document) -> Shared:
    """What the query and a document both name, in the query's order."""
    other = normalise(doc.place) + "\0" + normalise(doc.text)
    places: list[str] = []
    regions: list[str] = []
    words: list[str] = []
    for part in (query.norm_place, query.norm):
        for run in _shared_runs(part, other):
            phrase, fine, region = _place_phrase(run)
            target = places if fine else regions if region else None
            if target is not None and phrase not in target:
                target.append(phrase)
            rest = run[run.index(phrase) + len(phrase):] if phrase else run
            if len(rest) >= 2 and not (fine or region) and rest not in words:
                words.append(rest)
    places = [p for p in places if not any(p != q and p in q for q in places)]
    regions = [r for r in regions if not any(r in p for p in places) and not any(r != q and r in q for q in regions)]
    return Shared(places, regions, words)


def _why(found: Shared, cosine: float, same_category: bool) -> str:
    parts = []
    if found.places:
        parts.append("地点相同：" + "、".join(found.places[:2]))
    elif found.regions:
        parts.append("同在" + "、".join(found.regions[:1]))
    if found.words:
        parts.append("都提到：" + "、".join(sorted(found.words, key=lambda w: (-len(w), w))[:3]))
    parts.append(f"内容相近 {cosine:.2f}")
    if same_category:
        parts.append("类别相同")
    return "；".join(parts)


def _elsewhere(query: Query, doc: Document) -> bool:
    """Whether the document names another county, town, or village/estate than the query does."""
    marked = normalise(doc.place, breaks=True) + "|" + normalise(doc.text, breaks=True)
    there = localities(marked)
    return region_conflict(query.regions, regions(marked)) or bool(
        query.localities and there and not query.localities & there)


def rank(index: Index, query: Query, documents: Sequence[Document], *, threshold: float,
         exclude: Iterable[Hashable] = ()) -> list[Suggestion]:
    """Score documents (cosine, then shared places and category for the best RERANKED), best first."""
    skip = set(exclude)
    documents = [d for d in documents if d.doc_id not in skip]
    if not documents:
        return []
    cos = cosines(query, index, documents)
    order = np.lexsort((np.arange(len(documents)), -cos))[:RERANKED]
    out = []
    for i in order:
        doc, c = documents[i], float(cos[i])
        found = shared(query, doc)
        same_category = bool(query.category) and query.category == doc.category
        elsewhere = _elsewhere(query, doc)
        score = (c + (PLACE_BONUS if found.places and not elsewhere else 0.0)
                 + (CATEGORY_BONUS if same_category else 0.0) - (ELSEWHERE_PENALTY if elsewhere else 0.0))
        out.append((score, int(i), Suggestion(doc.doc_id, round(score, 4), _why(found, c, same_category))))
    out.sort(key=lambda t: (-t[0], t[1]))
    return [s for score, _, s in out if score >= threshold]


def candidate_terms(query: Query) -> tuple[np.ndarray, np.ndarray]:
    """The query's terms that fetch candidates: the rarest first, within the df cap and the budget."""
    cap = max(MIN_DF_CAP, int(MAX_DF_SHARE * query.n))
    usable = np.flatnonzero((query.terms >= _FIRST_BIGRAM) & (query.df > 0) & (query.df <= cap))
    usable = usable[np.lexsort((query.terms[usable], query.df[usable]))][:QUERY_TERMS]
    within = np.cumsum(query.df[usable]) <= POSTINGS_BUDGET
    within[0:1] = True  # the rarest term always counts
    usable = usable[within]
    return query.terms[usable], query.weights[usable] * idf(query.df[usable], query.n)


def suggest(index: Index, text: str, category: str | None = None, place: str | None = None, k: int = 3, *,
            threshold: float = DEFAULT_THRESHOLD, exclude: Iterable[Hashable] = ()) -> list[Suggestion]:
    """The k stored clues (or tasks) most likely to be the incident that `text` reports, best first.

    Each is (doc_id, score, why), `why` a short reason in Chinese; none scores below `threshold`.
    `exclude`: ids not to suggest (the clue itself, when it is already stored).
    """
    query = Query(index, text, place or "", category)
    if not len(query.terms) or not len(index):
        return []
    cand_terms, cand_weights = candidate_terms(query)
    if not len(cand_terms):
        return []
    skip = set(exclude)
    ids = [i for i in index.candidates(cand_terms, cand_weights, CANDIDATES + len(skip)) if i not in skip]
    return rank(index, query, index.documents(ids[:CANDIDATES]), threshold=threshold)[:k]


def brute_force(index: Index, text: str, category: str | None = None, place: str | None = None, k: int = 3, *,
                threshold: float = DEFAULT_THRESHOLD, ids: Sequence[Hashable],
                exclude: Iterable[Hashable] = ()) -> list[Suggestion]:
    """suggest() without the inverted index: every stored document scored exactly (the limit)."""
    query = Query(index, text, place or "", category)
    return rank(index, query, index.documents(ids), threshold=threshold, exclude=exclude)[:k]


__all__ = [
    "DEFAULT_THRESHOLD", "Query", "SCHEME", "Suggestion", "brute_force", "normalise", "suggest", "term_text",
    "terms",
]
