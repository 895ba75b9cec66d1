"""Evaluate 智能分解 against the hand-annotated set in bench/extract/ (make eval-extract).

For every document in bench/extract/docs with its gold file in bench/extract/gold, the proposed tasks are
compared with the annotated items:
- boundaries: a proposed item matches a gold item when their texts are equal, spaces and line breaks aside
  (or one holds the other and they differ by under 5% of the longer): precision, recall and F1 over items;
- lead units and other units: over all items, each name a true positive when the matched item's gold lists it
  (names compared as written, spaces aside); an unmatched item's names count as false positives or negatives;
- deadlines: the phrase as written, per item that has one in the gold or in the proposal.
Then the time to read and propose a 100-page document (a .docx built from the set's texts, 22 lines of 28
characters a page, each paragraph taking whole lines), matching its units against a tree of over 3,000 units,
beside the time to read the same file alone (the limit below which no extraction goes).

Prints BENCH lines; `--verbose` prints every miss.
"""

import argparse
import datetime as dt
import io
import json
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SET = HERE / "extract"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.config.settings")


def norm(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


class Score:
    def __init__(self):
        self.tp = self.fp = self.fn = 0

    def add(self, tp=0, fp=0, fn=0):
        self.tp += tp
        self.fp += fp
        self.fn += fn

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def same_item(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return bool(short) and short in long and len(long) - len(short) < 0.05 * len(long)


def pair(gold: list[dict], proposed: list) -> list[tuple[int, int]]:
    """One-to-one matches (gold index, proposal index), in document order."""
    used, pairs = set(), []
    texts = [norm(p.text) for p in proposed]
    for gi, g in enumerate(gold):
        key = norm(g["text"])
        for pi, text in enumerate(texts):
            if pi not in used and same_item(key, text):
                used.add(pi)
                pairs.append((gi, pi))
                break
    return pairs


def names(values) -> list[str]:
    return [norm(v) for v in values or []]


def compare_names(gold: list[str], got: list[str], score: Score) -> None:
    g, p = set(gold), set(got)
    score.add(len(g & p), len(p - g), len(g - p))


def package_calendar():
    """The working-day calendar of the chinesecalendar package, without a database."""
    from duban.workdays.calendar import WorkCalendar
    from duban.workdays.store import package_rows

    rows, years = package_rows()
    return WorkCalendar(days={d: w for d, w, _ in rows}, covered_years=frozenset(years),
                        names={d: n for d, _, n in rows})


def evaluate(verbose: bool) -> dict:
    from duban.extract.proposal import document_date, propose
    from duban.extract.reading import read_document

    calendar = package_calendar()
    scores = {k: Score() for k in ("boundaries", "lead_units", "other_units", "deadlines")}
    documents = items = 0
    for gold_path in sorted((SET / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        doc = SET / "docs" / gold.get("file", "")
        if not doc.is_file():
            candidates = sorted((SET / "docs").glob(gold_path.stem + ".*"))
            if not candidates:
                print(f"# no document for {gold_path.name}", file=sys.stderr)
                continue
            doc = candidates[0]
        source = read_document(doc.name, doc.read_bytes())
        issued = gold.get("document_date")
        reference = (dt.date.fromisoformat(issued) if issued else document_date(source)) or dt.date.today()
        proposed = propose(source, calendar=calendar, reference=reference)
        documents += 1
        items += len(gold["items"])
        pairs = pair(gold["items"], proposed)
        matched_gold = {g for g, _ in pairs}
        matched_prop = {p for _, p in pairs}
        scores["boundaries"].add(len(pairs), len(proposed) - len(pairs), len(gold["items"]) - len(pairs))
        for gi, pi in pairs:
            g, p = gold["items"][gi], proposed[pi]
            for key, got in (("lead_units", p.lead_units), ("other_units", p.other_units)):
                before = scores[key].fp + scores[key].fn
                compare_names(names(g[key]), names(got), scores[key])
                if verbose and scores[key].fp + scores[key].fn > before:
                    print(f"  {doc.name} {key}: gold {g[key]} got {got} | {g['text'][:40]}")
            gd, pd = norm(g.get("deadline_text")), norm(p.deadline_text)
            if gd or pd:
                scores["deadlines"].add(int(bool(gd) and gd == pd), int(bool(pd) and gd != pd),
                                        int(bool(gd) and gd != pd))
                if verbose and gd != pd:
                    print(f"  {doc.name} deadline: gold {g.get('deadline_text')!r} got {p.deadline_text!r}"
                          f" | {g['text'][:40]}")
        for gi, g in enumerate(gold["items"]):
            if gi not in matched_gold:
                scores["lead_units"].add(fn=len(g["lead_units"]))
                scores["other_units"].add(fn=len(g["other_units"]))
                scores["deadlines"].add(fn=int(bool(g.get("deadline_text"))))
                if verbose:
                    print(f"  {doc.name} MISSED: {g['text'][:70]}")
        for pi, p in enumerate(proposed):
            if pi not in matched_prop:
                scores["lead_units"].add(fp=len(p.lead_units))
                scores["other_units"].add(fp=len(p.other_units))
                scores["deadlines"].add(fp=int(bool(p.deadline_text)))
                if verbose:
                    print(f"  {doc.name} EXTRA: {p.text[:70]}")
        if verbose:
            print(f"# {doc.name}: gold {len(gold['items'])}, proposed {len(proposed)}, matched {len(pairs)}")
    return {"scores": scores, "documents": documents, "items": items}


def hundred_pages() -> bytes:
    """A .docx of about 100 pages (22 lines of 28 characters) made of the set's documents, repeated."""
    from docx import Document

    from duban.extract.reading import read_document

    texts = []
    for doc in sorted((SET / "docs").iterdir()):
        texts.append(read_document(doc.name, doc.read_bytes()).text)
    document, chars, target = Document(), 0, 100 * 22 * 28
    while chars < target:
        for text in texts:
            for line in text.split("\n"):
                document.add_paragraph(line.replace("\t", " "))
                chars += max(28, len(line) // 28 * 28 + 28)
            if chars >= target:
                break
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def timing() -> None:
    from types import SimpleNamespace

    from duban.extract.matching import UnitMatcher
    from duban.extract.proposal import propose
    from duban.extract.reading import read_document

    data = hundred_pages()
    calendar = package_calendar()
    # A unit tree of a province's size to match against: every unit the set names, and 3,000 more.
    named = {n for path in (SET / "gold").glob("*.json")
             for item in json.loads(path.read_text(encoding="utf-8"))["items"]
             for n in item["lead_units"] + item["other_units"]}
    names = sorted(named) + [f"示范县{i // 30}第{i % 30}局" for i in range(3000)]
    units = [SimpleNamespace(pk=i, name=n, short_name="", aliases=[]) for i, n in enumerate(names)]
    read_times, all_times = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        source = read_document("hundred.docx", data)
        t1 = time.perf_counter()
        proposed = propose(source, calendar=calendar, reference=dt.date(2026, 3, 1), matcher=UnitMatcher(units))
        t2 = time.perf_counter()
        read_times.append(t1 - t0)
        all_times.append(t2 - t0)
    best, limit = min(all_times), min(read_times)
    print(f"BENCH extract_100_pages_chars {len(source.text)} chars")
    print(f"BENCH extract_100_pages_items {len(proposed)} items")
    print(f"BENCH extract_100_pages_units_in_tree {len(units)} units")
    print(f"BENCH extract_100_pages {best:.3f} s limit={limit:.3f} ratio={best / limit:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    result = evaluate(args.verbose)
    print(f"BENCH extract_eval_documents {result['documents']} documents")
    print(f"BENCH extract_eval_items {result['items']} items")
    for name, score in result["scores"].items():
        p, r, f = score.prf()
        print(f"BENCH extract_{name}_precision {p:.3f} ratio")
        print(f"BENCH extract_{name}_recall {r:.3f} ratio")
        print(f"BENCH extract_{name}_f1 {f:.3f} ratio")
    if not args.no_timing:
        timing()
    return 0


if __name__ == "__main__":
    sys.exit(main())
