"""Validate the hand-annotated evaluation set of 智能分解 (bench/extract/).

For every gold file: the schema, the document it names, and every item's text found in the
document's plain text in order (exactly for .txt and .docx; ignoring whitespace for .pdf, whose
extracted text breaks lines and spaces digits). Prints per-document counts and the line
`BENCH extract_gold_items <n> items`. Exit status 1 when anything is wrong.

    .venv/bin/python bench/extract/check_gold.py
"""

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
GOLD = HERE / "gold"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WS = re.compile(r"\s+")
TOP_KEYS = {"source", "title", "format", "composed", "document_date", "file", "items"}
OPTIONAL_KEYS = {"excerpt", "note"}
ITEM_KEYS = {"section", "text", "lead_units", "other_units", "deadline_text"}
# Words that mark a role, and separators, never part of a unit as the guidelines write it (a 、 may be:
# 州、县（市）人民政府 is one unit, its first part standing for no unit alone).
NOT_IN_UNIT = ("牵头", "配合", "按职责分工", "负责", "，", "；", "等单位", "等部门")
# ... except the collective names of the units a document addresses by their role.
ROLE_COLLECTIVES = {"各牵头单位", "各配合单位", "各责任单位", "牵头单位", "配合单位", "责任单位"}


def docx_text(path):
    """Paragraphs and table cells in document order, one per line; a merged cell once."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    lines = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            seen = []  # the <w:tc> elements already read; a merged cell repeats the same one
            for row in Table(child, document).rows:
                for cell in row.cells:
                    if any(cell._tc is tc for tc in seen):
                        continue
                    seen.append(cell._tc)
                    lines.append(cell.text)
    return "\n".join(lines)


def pdf_text(path):
    import pypdf

    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)


def plain_text(path):
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return docx_text(path)
    if suffix == ".pdf":
        return pdf_text(path)
    return path.read_text(encoding="utf-8")


def check_file(gold_path):
    errors = []
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    missing = TOP_KEYS - gold.keys()
    extra = gold.keys() - TOP_KEYS - OPTIONAL_KEYS
    if missing or extra:
        errors.append(f"keys: missing {sorted(missing)}, unexpected {sorted(extra)}")
        return gold, errors
    if not isinstance(gold["composed"], bool):
        errors.append("composed must be true or false")
    if gold["document_date"] is not None and not DATE.match(str(gold["document_date"])):
        errors.append(f"document_date {gold['document_date']!r} is not YYYY-MM-DD")
    for key in ("source", "title", "format"):
        if not isinstance(gold[key], str) or not gold[key].strip():
            errors.append(f"{key} must be a non-empty string")
    doc_path = DOCS / gold["file"]
    if not doc_path.exists():
        errors.append(f"document {gold['file']} not found")
        return gold, errors
    text = plain_text(doc_path)
    exact = doc_path.suffix.lower() != ".pdf"
    haystack = text if exact else WS.sub("", text)
    cursor = 0
    for n, item in enumerate(gold["items"], 1):
        where = f"item {n}"
        if set(item) != ITEM_KEYS:
            errors.append(f"{where}: keys {sorted(item)}")
            continue
        if not isinstance(item["section"], list) or not all(isinstance(s, str) for s in item["section"]):
            errors.append(f"{where}: section must be a list of strings")
        for key in ("lead_units", "other_units"):
            units = item[key]
            if not isinstance(units, list) or not all(isinstance(u, str) and u for u in units):
                errors.append(f"{where}: {key} must be a list of non-empty strings")
                continue
            for unit in units:
                role_word = unit not in ROLE_COLLECTIVES and any(word in unit for word in NOT_IN_UNIT)
                if role_word or unit.endswith("等"):
                    errors.append(f"{where}: unit {unit!r} carries a role word, a separator or 等")
                if exact and unit not in item["text"] and unit not in text:
                    errors.append(f"{where}: unit {unit!r} is not in the document")
        if set(item["lead_units"]) & set(item["other_units"]):
            errors.append(f"{where}: a unit is both lead and other")
        deadline = item["deadline_text"]
        if deadline is not None and (not isinstance(deadline, str) or not deadline):
            errors.append(f"{where}: deadline_text must be a non-empty string or null")
        needle = item["text"] if exact else WS.sub("", item["text"])
        if not needle.strip():
            errors.append(f"{where}: empty text")
            continue
        at = haystack.find(needle, cursor)
        if at < 0:
            found_earlier = haystack.find(needle) >= 0
            errors.append(f"{where}: text {'out of order' if found_earlier else 'not found'}: {needle[:30]}…")
            continue
        cursor = at + len(needle)
        if deadline is not None:
            ref = text if exact else haystack
            if (deadline if exact else WS.sub("", deadline)) not in ref:
                errors.append(f"{where}: deadline {deadline!r} is not in the document")
    return gold, errors


def main():
    paths = sorted(GOLD.glob("*.json"))
    if not paths:
        print("no gold files")
        return 1
    total = {"items": 0, "lead": 0, "other": 0, "deadline": 0, "no_unit": 0}
    docs = real = 0
    formats = set()
    failed = False
    print(
        f"{'document':34} {'file':5} {'real':4} {'items':>5} {'lead':>5} {'other':>5} {'dl':>4} {'nounit':>6}"
    )
    for path in paths:
        gold, errors = check_file(path)
        items = gold.get("items", [])
        lead = sum(len(i.get("lead_units", [])) for i in items)
        other = sum(len(i.get("other_units", [])) for i in items)
        dl = sum(1 for i in items if i.get("deadline_text"))
        no_unit = sum(1 for i in items if not i.get("lead_units") and not i.get("other_units"))
        suffix = Path(gold.get("file", "?")).suffix.lstrip(".")
        formats.add(suffix)
        is_real = gold.get("composed") is False
        print(
            f"{path.stem:34} {suffix:5} {'yes' if is_real else 'no':4} {len(items):5d} {lead:5d} "
            f"{other:5d} {dl:4d} {no_unit:6d}"
        )
        for error in errors:
            print(f"  ERROR {error}")
        failed |= bool(errors)
        docs += 1
        real += is_real
        total["items"] += len(items)
        total["lead"] += lead
        total["other"] += other
        total["deadline"] += dl
        total["no_unit"] += no_unit
    print(
        f"{docs} documents ({real} real, {docs - real} composed; files: {', '.join(sorted(formats))}); "
        f"{total['items']} items, {total['lead']} lead units, {total['other']} other units, "
        f"{total['deadline']} deadlines, {total['no_unit']} items without a unit"
    )
    print(f"BENCH extract_gold_items {total['items']} items")
    print(f"BENCH extract_gold_documents {docs} documents")
    if failed:
        print("gold check FAILED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
