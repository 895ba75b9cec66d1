"""A bulletin's figures as a Word document laid out per GB/T 9704-2012 党政机关公文格式.

- A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm: a text block of 156 × 225 mm.
- 22 lines of 28 characters: a document grid (linesAndChars) of 28.95 pt lines, characters 15.79 pt apart,
  body lines exactly 28.95 pt.
- Title in 方正小标宋简体 2号 (22 pt), centred; body in 仿宋_GB2312 3号 (16 pt); headings 一、 in 黑体 3号,
  （一） in 楷体_GB2312 3号. The East Asian face is set on every run (w:rFonts w:eastAsia): python-docx's
  `font.name` sets only the Latin faces.
- Page numbers “— 1 —” in 4号 (14 pt) 半角 宋体 with a PAGE field, about 7 mm below the text block: odd
  pages on the right, even pages on the left, each one character in from the edge.
- 版头: 份号, 密级, 紧急程度 (each only when given), the 发文机关标志 in red 小标宋, centred, 文号, and the red
  separator line as wide as the text block.

The fonts named are those offices have; where they are missing (a server, LibreOffice) fontconfig maps them
to installed CJK faces (duban.bulletins.pdf).
"""

import datetime as dt
import io
from dataclasses import dataclass

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from duban.bulletins.charts import targets_chart, units_chart

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_TABLE = Pt(12)  # 小四, for tables
LINE = Pt(28.95)  # 22 lines in the 225 mm text block
LINE_PITCH_TWIPS = 579  # the same 28.95 pt, in twentieths of a point
# Characters 15.79 pt apart (28 in 156 mm) from a 16 pt default: (15.793 - 16) × 4096 ≈ -849.
CHAR_SPACE = -849
RED = RGBColor(0xFF, 0x00, 0x00)
NUMBERS = "一二三四五六七八九十"
CONDENSE_TWIPS = -5  # -0.25 pt: 28 × 15.75 pt = 441 pt fits the 442.2 pt line
RPR_AFTER_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr",
                     "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
                     "w:specVanish", "w:oMath")
# Where w:pBdr and w:snapToGrid go in w:pPr: before these (the schema's order).
PPR_AFTER_SNAP = ("w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                  "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                  "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
PPR_AFTER_BORDER = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
                    "w:snapToGrid", *PPR_AFTER_SNAP)


@dataclass(frozen=True)
class Masthead:
    """The 版头 fields; empty ones are left out (the mark and the line always show)."""

    issuer_mark: str  # 发文机关标志, e.g. 示范州督查通报
    doc_number: str = ""  # 文号, e.g. 州督通〔2026〕11号
    copy_no: str = ""  # 份号, e.g. 000001
    secrecy: str = ""  # 密级和保密期限, e.g. 秘密★1年
    urgency: str = ""  # 紧急程度, e.g. 特急
    signature: str = ""  # 发文机关署名, below the text
    date: dt.date | None = None  # 成文日期


# ---- low-level formatting ------------------------------------------------------------------------


def set_fonts(run, east_asia: str, size: Pt, *, latin: str | None = None, bold: bool = False,
              color: RGBColor | None = None) -> None:
    """Set a run's faces: East Asian explicitly (w:eastAsia), Latin and digits to `latin` or the same face."""
    run.font.name = latin or east_asia  # w:ascii and w:hAnsi
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), latin or east_asia)
    rfonts.set(qn("w:hint"), "eastAsia")
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    if size == SIZE_3:
        # 28 characters of 16 pt in the 156 mm line: each 0.25 pt narrower (see `_no_grid`).
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(CONDENSE_TWIPS))
        run._element.get_or_add_rPr().insert_element_before(spacing, *RPR_AFTER_SPACING)


def _exact(paragraph, height: Pt = LINE) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = height
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def _indent_chars(paragraph, chars: int = 2) -> None:
    """First-line indent in characters (首行缩进二字), as the grid counts them."""
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(chars * 100))
    ind.set(qn("w:firstLine"), str(int(chars * 16 * 20)))


def _no_grid(paragraph) -> None:
    """Lay a paragraph out by its own line height and character widths, not by the document grid.

    Word squeezes each character of a 16 pt line into the grid's 15.79 pt pitch; LibreOffice instead gives a
    character wider than the pitch two cells, and a line holds 14. So paragraphs leave the grid (which stays
    declared for Word's rulers and ruled paper) and reach the same 22 × 28 by their own measures: lines exactly
    28.95 pt, 16 pt characters 0.25 pt condensed.
    """
    ppr = paragraph._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    ppr.insert_element_before(snap, *PPR_AFTER_SNAP)


def _bottom_border(paragraph, color: str = "FF0000", eighths: int = 12, space_pt: int = 11) -> None:
    """A rule under the paragraph, as wide as the text block (the red separator line, 4 mm below 文号)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", str(eighths)), ("space", str(space_pt)), ("color", color)):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.insert_element_before(borders, *PPR_AFTER_BORDER)


def _field(paragraph, instruction: str, placeholder: str, east_asia: str, size: Pt) -> None:
    """A complex field (e.g. PAGE): begin, instruction, separate, the shown value, end."""
    def run_with(element):
        run = paragraph.add_run()
        set_fonts(run, east_asia, size)
        run._r.append(element)
        return run

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    shown = paragraph.add_run(placeholder)
    set_fonts(shown, east_asia, size)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


# ---- the page ------------------------------------------------------------------------------------


def _setup(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    # The number's line (14 pt, single) sits with its top about 7 mm below the text block's lower edge.
    section.footer_distance = Mm(22)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))

    # The defaults every paragraph starts from: 仿宋 3号, exactly 28.95 pt.
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = SIZE_3
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            for old in rpr.findall(qn("w:sz")) + rpr.findall(qn("w:szCs")):
                rpr.remove(old)
            lang = rpr.find(qn("w:lang"))
            for tag in ("w:sz", "w:szCs"):
                size = OxmlElement(tag)
                size.set(qn("w:val"), str(int(SIZE_3.pt * 2)))
                if lang is not None:
                    lang.addprevious(size)
                else:
                    rpr.append(size)
            if lang is not None:
                lang.set(qn("w:eastAsia"), "zh-CN")

    # Odd pages' numbers on the right, even pages' on the left.
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(footer, alignment) -> None:
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    paragraph.alignment = alignment
    _no_grid(paragraph)
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = fmt.space_after = Pt(0)
    # 单页码居右空一字，双页码居左空一字.
    if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = SIZE_4
    else:
        fmt.left_indent = SIZE_4
    lead = paragraph.add_run("— ")
    set_fonts(lead, PAGE_NUMBER_FONT, SIZE_4)
    _field(paragraph, "PAGE", "1", PAGE_NUMBER_FONT, SIZE_4)
    tail = paragraph.add_run(" —")
    set_fonts(tail, PAGE_NUMBER_FONT, SIZE_4)


# ---- blocks of text ------------------------------------------------------------------------------


class Writer:
    def __init__(self):
        self.document = Document()
        _setup(self.document)
        body = self.document.paragraphs
        if body:  # the template's empty first paragraph
            body[0]._p.getparent().remove(body[0]._p)
        self.figures = 0

    def paragraph(self, text: str = "", *, font: str = BODY_FONT, size: Pt = SIZE_3, bold: bool = False,
                  align=None, indent: int = 0, color: RGBColor | None = None, height: Pt = LINE):
        p = self.document.add_paragraph()
        _no_grid(p)
        _exact(p, height)
        if align is not None:
            p.alignment = align
        if indent:
            _indent_chars(p, indent)
        if text:
            set_fonts(p.add_run(text), font, size, bold=bold, color=color)
        return p

    def masthead(self, m: Masthead) -> None:
        """份号, 密级, 紧急程度, the red 发文机关标志 35 mm below the text block's top, 文号 and the red line."""
        above = 0
        for text in (m.copy_no, m.secrecy, m.urgency):
            if text:
                self.paragraph(text, font=HEADING_FONT, align=WD_ALIGN_PARAGRAPH.LEFT)
                above += 1
        size = Pt(min(36, max(22, int(440 / max(len(m.issuer_mark), 1)))))
        mark = self.paragraph(m.issuer_mark, font=TITLE_FONT, size=size, color=RED,
                              align=WD_ALIGN_PARAGRAPH.CENTER, height=Pt(size.pt * 1.3))
        mark.paragraph_format.space_before = Pt(max(0.0, Mm(35).pt - above * LINE.pt))
        # 文号 two lines below the mark, the red line 4 mm below 文号.
        self.paragraph()
        self.paragraph()
        number = self.paragraph(m.doc_number or " ", align=WD_ALIGN_PARAGRAPH.CENTER)
        _bottom_border(number)
        self.paragraph()

    def title(self, text: str) -> None:
        self.paragraph(text, font=TITLE_FONT, size=SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, height=Pt(36))
        self.paragraph()

    def heading(self, number: int, text: str) -> None:
        self.paragraph(f"{NUMBERS[number - 1]}、{text}", font=HEADING_FONT, indent=2)

    def subheading(self, number: int, text: str) -> None:
        self.paragraph(f"（{NUMBERS[number - 1]}）{text}", font=SUBHEADING_FONT, indent=2)

    def text(self, text: str) -> None:
        self.paragraph(text, indent=2)

    def table(self, header: list[str], rows: list[list[str]], widths_mm: list[float]) -> None:
        table = self.document.add_table(rows=1, cols=len(header))
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False

        def fill(cell, text: str, *, bold: bool = False, width: float) -> None:
            cell.width = Mm(width)
            p = cell.paragraphs[0]
            _no_grid(p)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(2)
            if bold:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            set_fonts(p.add_run(text), HEADING_FONT if bold else BODY_FONT, SIZE_TABLE)

        for column, width in zip(table.columns, widths_mm, strict=True):
            column.width = Mm(width)
        for cell, text, width in zip(table.rows[0].cells, header, widths_mm, strict=True):
            fill(cell, text, bold=True, width=width)
        self._repeat_header(table.rows[0])
        for values in rows:
            cells = table.add_row().cells
            for cell, text, width in zip(cells, values, widths_mm, strict=True):
                fill(cell, text, width=width)
        self.paragraph()

    def figure(self, png: bytes | None, caption: str) -> None:
        """A chart as wide as the text block, its caption centred below it; nothing when there is no chart."""
        if png is None:
            return
        self.figures += 1
        p = self.document.add_paragraph()
        _no_grid(p)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        p.paragraph_format.keep_with_next = True
        p.add_run().add_picture(io.BytesIO(png), width=Mm(150))
        self.paragraph(f"图{self.figures}　{caption}", size=SIZE_TABLE, align=WD_ALIGN_PARAGRAPH.CENTER)

    @staticmethod
    def _repeat_header(row) -> None:
        trpr = row._tr.get_or_add_trPr()
        header = OxmlElement("w:tblHeader")
        header.set(qn("w:val"), "true")
        trpr.append(header)

    def signature(self, m: Masthead) -> None:
        """发文机关署名 and 成文日期, on the right (the date four characters in from the edge)."""
        self.paragraph()
        if m.signature:
            name = self.paragraph(m.signature, align=WD_ALIGN_PARAGRAPH.RIGHT)
            name.paragraph_format.right_indent = Pt(16 * 2)
        if m.date is not None:
            date = self.paragraph(f"{m.date.year}年{m.date.month}月{m.date.day}日", align=WD_ALIGN_PARAGRAPH.RIGHT)
            date.paragraph_format.right_indent = Pt(16 * 4)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


# ---- the bulletin --------------------------------------------------------------------------------


def _cn_date(iso: str | None) -> str:
    if not iso:
        return "—"
    day = dt.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def _short_date(iso: str | None) -> str:
    if not iso:
        return "长期"
    day = dt.date.fromisoformat(iso)
    return f"{day.year}.{day.month}.{day.day}"


def bulletin_title(figures: dict) -> str:
    return f"关于{figures['period']['label']}{figures['scope']['name']}督查督办工作情况的通报"


def _shown_of(section: dict, noun: str) -> str:
    shown, total = len(section["rows"]), section["total"]
    return f"（表中列出其中{shown}{noun}，其余见系统台账）" if shown < total else ""


def bulletin_docx(figures: dict, masthead: Masthead) -> bytes:
    """The bulletin as .docx bytes, written from its figures (duban.bulletins.figures)."""
    h = figures["headline"]
    scope = figures["scope"]["name"]
    period = figures["period"]["label"]
    as_of = _cn_date(figures["period"]["as_of"])
    w = Writer()
    w.document.core_properties.title = bulletin_title(figures)
    w.document.core_properties.author = masthead.signature or "督查室"
    w.masthead(masthead)
    w.title(bulletin_title(figures))

    w.text(f"现将{period}{scope}督查督办工作情况通报如下。")

    w.heading(1, "总体情况")
    w.subheading(1, "事项办理")
    rate = "—" if h["on_time_rate"] is None else f"{h['on_time_rate']:g}%"
    w.text(f"{period}，{scope}范围内共有督办事项{h['tasks']}项，其中本期新交办{h['new']}项。本期办结（销号）"
           f"{h['closed']}项，其中按期办结{h['closed_on_time']}项，按期办结率{rate}。截至{as_of}，逾期未办结"
           f"{h['overdue']}项；目前在办{h['open']}项，亮红灯{h['red']}项、黄灯{h['yellow']}项，在办挂牌督办事项"
           f"{h['key_open']}项，待协调解决的堵点难点{h['blockers']}个。")
    units = figures["units"]
    w.subheading(2, "各单位办理情况")
    if units["rows"]:
        w.text("各承办单位的承办事项、本期办结、逾期和红灯情况如下表（红灯和逾期多的单位在前）。")
        w.table(["承办单位", "承办事项", "本期办结", "其中按期", "逾期", "红灯"],
                [[r["unit"], str(r["held"]), str(r["done"]), str(r["on_time"]), str(r["overdue"]), str(r["red"])]
                 for r in units["rows"]],
                [52, 22, 22, 22, 19, 19])
        w.figure(units_chart(units["rows"]), "各单位承办、办结、逾期和红灯事项")
    else:
        w.text("本期范围内没有承办事项。")

    burden = figures.get("burden")
    if burden is not None:
        w.subheading(3, "基层减负")  # what the units were asked for, and what twice (duban.quality.burden)
        text = (f"本期共要求各单位报送进展材料{burden['asked']}份，实报{burden['sent']}份；发出催办"
                f"{burden['urges']}次（通知{burden['notices']}人次），其中重复索要已报材料{burden['repeated']}次；"
                f"按每份材料{burden['rule']['report']:g}小时、每条通知{burden['rule']['notice']:g}小时估算，"
                f"共占用基层约{burden['hours']:g}小时")
        if burden["most"]:
            text += f"，其中{burden['most']['unit']}最多（约{burden['most']['hours']:g}小时）"
        if burden["copied"] or burden["padded"]:
            text += f"。报送的材料中疑似照抄{burden['copied']}份、疑似堆砌套话{burden['padded']}份，已提示审核人核实"
        w.text(text + "。")
    t = figures["targets"]
    w.heading(2, "量化指标完成情况")
    if t["total"]:
        w.text(f"纳入量化考核的指标共{t['total']}项，已报送实际值{t['reported']}项，达到目标值{t['met']}项。"
               f"各项指标以最新报送的实际值对照目标值计算完成进度，进度最低的在前{_shown_of(t, '项')}。")
        w.table(["事项", "指标", "目标值", "最新值", "完成进度"],
                [[f"{r['code']} {r['task']}", f"{r['name']}" + (f"（{r['measure']}）" if r["measure"] else ""),
                  r["target"], r["latest"] or "未报送", "—" if r["percent"] is None else f"{r['percent']}%"]
                 for r in t["rows"]],
                [54, 36, 22, 22, 22])
        w.figure(targets_chart(t["rows"]), "量化指标完成进度")
    else:
        w.text("本期范围内的督办事项未设置量化指标。")

    o = figures["overdue"]
    w.heading(3, "逾期和红灯事项")
    if o["total"]:
        w.text(f"截至{as_of}，共有{o['total']}项承办事项逾期未办结或亮红灯，涉及{o['units']}个单位，"
               f"其中{o['with_reason']}项已说明客观原因{_shown_of(o, '项')}。")
        w.table(["事项", "承办单位", "完成时限", "逾期工作日", "研判", "客观原因"],
                [[("【挂牌】" if r["key"] else "") + f"{r['code']} {r['task']}", f"{r['unit']}（{r['role']}）",
                  _short_date(r["deadline"]), str(r["workdays"]) if r["workdays"] else r["light"],
                  r.get("judgement") or "—", r["reason"] or "未说明"]
                 for r in o["rows"]],
                [46, 28, 20, 16, 14, 32])
    else:
        w.text("本期没有逾期未办结或亮红灯的事项。")

    k = figures["key"]
    w.heading(4, "挂牌督办事项")
    if k["total"]:
        w.text(f"在办挂牌督办事项共{k['total']}项，办理情况如下{_shown_of(k, '项')}。")
        w.table(["事项", "牵头单位", "完成时限", "亮灯", "研判", "进度"],
                [[f"{r['code']} {r['task']}", r["leads"], _short_date(r["deadline"]), r["light"],
                  r.get("judgement") or "—", f"{r['progress']}%"] for r in k["rows"]],
                [56, 32, 20, 16, 16, 16])
    else:
        w.text("目前没有在办的挂牌督办事项。")

    j = figures.get("judged")
    if j is not None:
        w.heading(5, "研判与亮灯")
        if j["total"]:
            levels = "、".join(f"{x['level']}{x['count']}项" for x in j["levels"] if x["count"])
            w.text(f"截至{as_of}，督查室对{j['total']}项在办事项作出落实研判（{levels}），其中{j['disagree']}项"
                   "与系统按时限自动亮灯不一致。")
            if j["rows"]:
                shown = _shown_of({"rows": j["rows"], "total": j["disagree"]}, "项")
                w.text(f"研判与亮灯不一致的事项如下，研判为红、黄红的在前{shown}。")
                w.table(["事项", "亮灯", "研判", "研判理由", "研判人及日期"],
                        [[f"{r['code']} {r['task']}", r["light"], r["judgement"], r["reason"],
                          f"{r['by']} {_short_date(r['on'])}"] for r in j["rows"]],
                        [46, 16, 14, 52, 28])
        else:
            w.text("本期督查室未对在办事项作出落实研判。")
    number = 5 if j is None else 6

    b = figures["blockers"]
    w.heading(number, "需协调解决的堵点难点")
    if b["total"]:
        w.text(f"各单位提出、尚待协调解决的堵点难点共{b['total']}个{_shown_of(b, '个').replace('表中', '以下')}：")
        for index, r in enumerate(b["rows"], start=1):
            put = f"，已提请{r['leader']}协调" if r["leader"] else ""
            w.text(f"{index}. {r['unit']}：{r['text']}（{r['code']} {r['task']}，"
                   f"{_cn_date(r['raised_on'])}提出{put}）")
    else:
        w.text("目前没有待协调解决的堵点难点。")

    w.heading(number + 1, "工作要求")
    w.text("请各有关单位对照本通报，逐项抓好逾期和红灯事项的整改落实；确因客观原因不能按期完成的，及时说明情况、"
           "按程序申请延期；挂牌督办事项要明确专人、倒排工期，确保按期办结。")
    w.signature(masthead)
    return w.save()
