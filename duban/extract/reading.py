"""Reading a document into plain text and its blocks: paragraphs, and the rows of its tables.

A .docx is read in document order, paragraphs and tables alike (a cell merged across columns once, the
columns after it still read by the header above them, a cell merged down a column repeated in every row it
covers, as offices mean it). A text PDF is read page by page and
its lines are joined back into paragraphs: a line that reaches the right margin runs on, a shorter one (or one
ending a sentence) ends its paragraph, and page numbers (— 3 —, 第3页) are dropped. Plain text is UTF-8 or,
as Windows writes Chinese, GB18030.

Every block knows its [start, end) offsets in the text, so that a proposed task points at the words it came
from; a table row also knows the offsets of its cells and, when its table has a header row that names the
columns offices use (任务内容, 牵头单位, 配合单位, 完成时限 …), which cell holds what.
"""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from docx.oxml.ns import qn

from duban.ledger.parsing import field_of

MAX_BYTES = 20 * 1024 * 1024
TEXT_MAX_CHARS = 2_000_000
PAGE_NUMBER = re.compile(r"^\s*(?:[—–－-]\s*\d+\s*[—–－-]|第\s*\d+\s*页(?:\s*[,，/共]\s*共?\s*\d+\s*页)?|\d+)\s*$")
SENTENCE_END = ("。", "；", "！", "？", "：", ";", "!", "?", ":", "）", ")")
# Columns a task table is read by (duban.ledger.parsing.FIELDS names their headers).
TABLE_FIELDS = ("seq", "content", "requirements", "lead", "cooperate", "deadline")


class DocumentUnreadable(ValueError):
    """The file is not a document this reader knows (the message is for the person, in Chinese)."""


@dataclass
class Block:
    start: int
    end: int
    kind: str = "paragraph"  # paragraph | row | header
    cells: list[tuple[int, int]] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)  # field -> cell index, for rows of a task table

    def cell(self, text: str, name: str) -> tuple[int, int] | None:
        index = self.columns.get(name)
        return self.cells[index] if index is not None and index < len(self.cells) else None


@dataclass
class Source:
    text: str
    blocks: list[Block]
    kind: str  # docx | pdf | txt

    def block_text(self, block: Block) -> str:
        return self.text[block.start:block.end]


class _Builder:
    def __init__(self, kind: str):
        self.parts: list[str] = []
        self.length = 0
        self.blocks: list[Block] = []
        self.kind = kind

    def _put(self, text: str) -> tuple[int, int]:
        if self.parts:
            self.parts.append("\n")
            self.length += 1
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        if self.length > TEXT_MAX_CHARS:
            raise DocumentUnreadable("文档过长，请拆分后再上传。")
        return start, self.length

    def paragraph(self, text: str) -> None:
        text = _clean(text)
        if text:
            start, end = self._put(text)
            self.blocks.append(Block(start, end))

    def row(self, cells: list[str], kind: str = "row", columns: dict[str, int] | None = None) -> None:
        cells = ["\n".join(line for line in (_clean(part) for part in c.split("\n")) if line) for c in cells]
        if not any(cells):
            return
        spans, pieces, offset = [], [], None
        for text in cells:
            if pieces:
                pieces.append("\t")
            begin = sum(len(p) for p in pieces)
            pieces.append(text)
            spans.append((begin, begin + len(text)))
        start, end = self._put("".join(pieces))
        offset = start
        self.blocks.append(Block(start, end, kind, [(offset + a, offset + b) for a, b in spans],
                                 dict(columns or {})))

    def source(self) -> Source:
        return Source("".join(self.parts), self.blocks, self.kind)


def _clean(text: str) -> str:
    """One line: inner line breaks and runs of spaces become one space; tabs are kept for table cells only."""
    text = text.replace("\u3000", " ").replace("\xa0", " ").replace("\t", " ")
    text = re.sub(r"\s*\n\s*", "", text) if re.search(r"[\u4e00-\u9fff]\s*\n\s*[\u4e00-\u9fff]", text) else text
    return re.sub(r"\s+", " ", text).strip()


# Headers of task tables beyond the ledger's (督查 lists, 分工表).
EXTRA_HEADERS = {
    "content": ("督查事项", "督查内容", "督办内容", "任务名称", "事项名称", "工作措施", "具体措施", "主要措施", "主要内容",
                "任务", "事项", "工作任务及目标", "目标任务"),
    "group": ("类别", "分类", "领域", "板块", "重点领域", "任务类别"),
    "lead": ("责任主体", "牵头责任单位", "责任单位及责任人"),
    "cooperate": ("协同单位", "配合责任单位"),
    "deadline": ("完成期限", "时间要求", "完成时限要求", "办理时限"),
}
EXTRA_FIELDS = {re.sub(r"\s+", "", name): key for key, names in EXTRA_HEADERS.items() for name in names}


def _field(text: str) -> str | None:
    return field_of(text) or EXTRA_FIELDS.get(re.sub(r"\s+", "", text))


def _table_columns(cells: list[str]) -> dict[str, int]:
    """Which cell holds what, by the header's names. Of two task columns (重点任务, 工作任务) the first is the
    group the second's tasks fall under; of two unit columns named 责任单位 beside 牵头单位, the second cooperates."""
    found: dict[str, int] = {}
    for index, text in enumerate(cells):
        name = _field(text)
        if name == "content" and "content" in found:
            found["group"] = found["content"]
            found["content"] = index
        elif name == "lead" and "lead" in found and "cooperate" not in found:
            found["cooperate"] = index
        elif name in (*TABLE_FIELDS, "group") and name not in found:
            found[name] = index
    return found if "content" in found and ("lead" in found or "deadline" in found) else {}


# ---- .docx -------------------------------------------------------------------------------------------


def _row_cells(row) -> tuple[list[str], list[int]]:
    """The row's cells, a cell merged across columns once, and for each column of the table's grid the index
    of the cell that covers it."""
    seen: dict[int, int] = {}
    cells: list[str] = []
    grid: list[int] = []
    for cell in row.cells:  # one per grid column: a merged cell is listed once per column it spans
        if id(cell._tc) not in seen:
            seen[id(cell._tc)] = len(cells)
            cells.append("\n".join(p.text for p in cell.paragraphs))
        grid.append(seen[id(cell._tc)])
    return cells, grid


def _docx_table(builder: _Builder, table) -> None:
    columns: dict[str, int] = {}  # field -> grid column
    for row in table.rows:
        cells, grid = _row_cells(row)
        if not columns:
            header = _table_columns(cells)
            if header:
                columns = {name: grid.index(index) for name, index in header.items()}
                builder.row(cells, "header")
                continue
        # Read by the grid, so that a cell merged across columns does not shift the ones after it.
        builder.row(cells, "row", {name: grid[at] for name, at in columns.items() if at < len(grid)})


def read_docx(data: bytes) -> Source:
    from docx import Document
    from docx.table import Table

    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise DocumentUnreadable("无法读取该 Word 文档（须为 .docx 格式，旧版 .doc 请先另存为 .docx）。") from error
    builder = _Builder("docx")
    numbering = _Numbering(document)
    for part in document.iter_inner_content():
        if isinstance(part, Table):
            _docx_table(builder, part)
        else:
            builder.paragraph(numbering.marker(part) + part.text)
    return builder.source()


CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
CN_DIGITS = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (up to 99, which is as far as offices number)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                           (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + letters, n - value
    return out


FORMATS = {
    "decimal": str, "decimalZero": lambda n: f"{n:02d}", "decimalFullWidth": lambda n: str(n).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")),
    "chineseCounting": _chinese, "chineseCountingThousand": _chinese, "ideographTraditional": _chinese,
    "japaneseCounting": _chinese, "chineseLegalSimplified": _chinese, "taiwaneseCounting": _chinese,
    "decimalEnclosedCircle": lambda n: CIRCLED[n - 1] if n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: CIRCLED[n - 1] if n <= 20 else str(n),
    "decimalEnclosedParen": lambda n: f"({n})",
    "lowerLetter": lambda n: chr(ord("a") + (n - 1) % 26), "upperLetter": lambda n: chr(ord("A") + (n - 1) % 26),
    "lowerRoman": _roman, "upperRoman": lambda n: _roman(n).upper(),
}


class _Numbering:
    """Word's automatic numbering (w:numPr), which is drawn by Word and not part of a paragraph's text: the
    marker each numbered paragraph shows (一、 （一） 1. ①), counted as Word counts it, so that the structure
    reader sees what the reader of the document sees."""

    def __init__(self, document):
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) -> (format, text, start)
        self.counters: dict[str, dict[int, int]] = {}
        self.styles = document.styles.element
        self.by_style: dict[str | None, tuple[str, int] | None] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        abstract = {a.get(qn("w:abstractNumId")): a for a in root.findall(qn("w:abstractNum"))}
        for num in root.findall(qn("w:num")):
            num_id = num.get(qn("w:numId"))
            ref = num.find(qn("w:abstractNumId"))
            definition = abstract.get(ref.get(qn("w:val"))) if ref is not None else None
            if definition is None:
                continue
            overrides = {int(o.get(qn("w:ilvl"))): o for o in num.findall(qn("w:lvlOverride"))}
            for level in definition.findall(qn("w:lvl")):
                ilvl = int(level.get(qn("w:ilvl"), "0"))
                fmt, text, start = (_val(level, "w:numFmt") or "decimal", _val(level, "w:lvlText") or "",
                                    int(_val(level, "w:start") or 1))
                override = overrides.get(ilvl)
                if override is not None and override.find(qn("w:startOverride")) is not None:
                    start = int(override.find(qn("w:startOverride")).get(qn("w:val")))
                self.levels[(num_id, ilvl)] = (fmt, text, start)

    def marker(self, paragraph) -> str:
        if not self.levels:
            return ""
        num_pr = self._num_pr(paragraph)
        if num_pr is None:
            return ""
        num_id, ilvl = num_pr
        if (num_id, ilvl) not in self.levels or num_id == "0":
            return ""
        counts = self.counters.setdefault(num_id, {})
        fmt, text, start = self.levels[(num_id, ilvl)]
        counts[ilvl] = counts.get(ilvl, start - 1) + 1
        for deeper in [level for level in counts if level > ilvl]:
            del counts[deeper]
        if fmt in ("bullet", "none") or not text:
            return ""

        def number(m) -> str:
            level = int(m[1]) - 1
            value = counts.get(level, self.levels.get((num_id, level), ("decimal", "", 1))[2])
            level_fmt = self.levels.get((num_id, level), ("decimal",))[0]
            return FORMATS.get(level_fmt, str)(value)

        return re.sub(r"%([1-9])", number, text)

    def _num_pr(self, paragraph) -> tuple[str, int] | None:
        """(numId, ilvl) of a paragraph's own numbering, or of its style's (looked up once per style)."""
        own = _own_num_pr(paragraph._p.pPr)
        if own is not None:
            return own
        style_id = paragraph._p.style
        if style_id not in self.by_style:
            style = self.styles.get_by_id(style_id) if style_id else None
            self.by_style[style_id] = _own_num_pr(style.pPr) if style is not None else None
        return self.by_style[style_id]


def _val(element, tag: str) -> str | None:
    child = element.find(qn(tag))
    return child.get(qn("w:val")) if child is not None else None


def _own_num_pr(p_pr) -> tuple[str, int] | None:
    num_pr = p_pr.numPr if p_pr is not None else None
    if num_pr is None or num_pr.numId is None:
        return None
    return str(num_pr.numId.val), int(num_pr.ilvl.val if num_pr.ilvl is not None else 0)


# ---- PDF ---------------------------------------------------------------------------------------------


def _pdf_lines(data: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentUnreadable("该 PDF 已加密，无法读取。")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise DocumentUnreadable("无法读取该 PDF 文件。") from error
    lines = []
    for page in pages:
        lines.extend(line.rstrip() for line in page.splitlines() if line.strip() and not PAGE_NUMBER.match(line))
    if not "".join(lines).strip():
        raise DocumentUnreadable("该 PDF 没有可提取的文字（可能是扫描件），请上传文字版 PDF 或 Word 文档。")
    return lines


def _width(line: str) -> int:
    """A line's width in half-width characters: a Chinese character (or a full-width mark, “ ” included)
    counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in line.strip())


def read_pdf(data: bytes) -> Source:
    lines = _pdf_lines(data)
    widths = sorted(_width(line) for line in lines)
    full = widths[int(len(widths) * 0.9)] if widths else 0  # a full line: as wide as the widest tenth
    builder = _Builder("pdf")
    paragraph: list[str] = []
    for line in lines:
        text = line.strip()
        if paragraph and _starts_item(text):
            builder.paragraph("".join(paragraph))
            paragraph = []
        paragraph.append(text)
        if _width(text) < full * 0.85 or (text.endswith(SENTENCE_END[:4]) and _width(text) < full * 0.95):
            builder.paragraph("".join(paragraph))
            paragraph = []
    if paragraph:
        builder.paragraph("".join(paragraph))
    return builder.source()


ITEM_START = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.．、](?!\d)|"
                        r"[①-⑳]|第[一二三四五六七八九十百]+[条章节])")


def _starts_item(text: str) -> bool:
    return bool(ITEM_START.match(text))


# ---- text ----------------------------------------------------------------------------------------------


def read_text(text: str) -> Source:
    builder = _Builder("txt")
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if "\t" in line.strip() and line.count("\t") >= 2:
            builder.row(line.split("\t"))
        else:
            builder.paragraph(line)
    return builder.source()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentUnreadable("无法识别该文本文件的编码（请另存为 UTF-8）。")


def read_document(filename: str, data: bytes) -> Source:
    """A .docx, .pdf or .txt file (by its content first, its name second) as text and blocks."""
    if len(data) > MAX_BYTES:
        raise DocumentUnreadable(f"文件过大（不超过{MAX_BYTES // 1024 // 1024}MB）。")
    name = filename.lower()
    if data.startswith(b"%PDF"):
        return read_pdf(data)
    if data.startswith(b"PK\x03\x04"):
        if not name.endswith(".docx") and not _is_docx(data):
            raise DocumentUnreadable("只能读取 Word（.docx）、PDF 和文本（.txt）文件。")
        return read_docx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentUnreadable("旧版 Word（.doc）文件请先另存为 .docx 再上传。")
    if name.endswith((".docx", ".pdf")):
        raise DocumentUnreadable("文件内容与扩展名不符，无法读取。")
    if b"\x00" in data[:4096]:
        raise DocumentUnreadable("只能读取 Word（.docx）、PDF 和文本（.txt）文件。")
    return read_text(_decode(data))


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False
