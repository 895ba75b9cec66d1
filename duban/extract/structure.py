"""The items of a document: where each task begins and ends, and the headings it sits under.

Numbering is read as offices write it — 第一章, 第一条, 一、 （一） 1. （1） 1） ① and 一是 — without assuming an
order of levels: a marker of a kind already open closes everything below it, a new kind opens a deeper level.
A numbered paragraph with numbered paragraphs below it is a heading (section context), as is a short title
with plain paragraphs below it; the leaves are the items. Plain paragraphs under a heading are items of their
own, lines that only name who is responsible or when (牵头单位：…, 完成时限：…) belong to the item above.

Inside a paragraph, an item is split where the document splits it: 一是……二是……, （1）……（2）…… and
“由A牵头…；由B负责…” runs in minutes, always outside brackets and quotations. A document with no numbering
(minutes, a news item) gives the paragraphs and sentences that assign work: 会议要求/强调/决定…, 由…负责.

Rows of a task table (a header naming 任务内容 and 牵头单位 or 完成时限) are items, their task cell the text,
under the line just above the table that names it (2026年第二季度重点督查事项清单) and under a row merged across
the table (（一）交通基础设施). An annex (附件) stands under none of the body's headings.
"""

import re
from dataclasses import dataclass, field

from duban.extract.reading import Block, Source
from duban.extract.text import depths, split_outside

CN = "一二三四五六七八九十"
MARKERS = [
    ("chapter", re.compile(r"第[一二三四五六七八九十百零〇]+[章节编](?=\s|$)|第[一二三四五六七八九十百零〇]+[章节编]\s")),
    ("article", re.compile(r"第[一二三四五六七八九十百零〇]+条")),
    ("cn", re.compile(r"[一二三四五六七八九十]{1,3}\s*、")),
    ("pcn", re.compile(r"[（(]\s*[一二三四五六七八九十]{1,3}\s*[）)]")),
    ("num", re.compile(r"\d{1,3}\s*[.．、](?!\d)")),
    ("pnum", re.compile(r"[（(]\s*\d{1,3}\s*[）)]")),
    ("num_paren", re.compile(r"\d{1,3}\s*[）)]")),
    ("circ", re.compile(r"[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]")),
    ("shi", re.compile(r"[一二三四五六七八九十]{1,3}是(?=[\u4e00-\u9fff“])")),
]
HEADING_KINDS = ("chapter",)
ARTICLE_DUTY = re.compile(r"应当|负责|必须|主管部门，|按照各自职责|按职责分工|由[^，。；]{2,30}?(?:制定|组织|实施|负责)")
LABEL_LINE = re.compile(r"^[（(〔]?\s*(?:牵头单位|牵头部门|责任单位|责任部门|配合单位|配合部门|协办单位|参与单位|主办单位|"
                        r"完成时限|时间节点|完成时间|时限要求|分管(?:省|市|县|区)?领导|责任领导|牵头领导|部门分工)\s*[:：]")
BRACKET_ONLY = re.compile(r"^[（(〔][^（(〔]*(?:牵头|负责|责任单位|配合)[^）)〕]*[）)〕]。?$")
CLOSING = re.compile(r"^(?:附件|抄送|抄报|主送|印发|本期发|联系人|联系电话|信息公开选项|图文解读|（此件|\(此件|"
                     r"出席[:：]|列席[:：]|记录[:：]|请假[:：]|主持[:：])|"
                     r"^\d{4}年\d{1,2}月\d{1,2}日(?:印发|印)?$|人民政府(?:办公室|办公厅)?\s*\d{4}年|^[\u4e00-\u9fff]{2,30}(?:人民政府|"
                     r"办公室|办公厅|委员会|领导小组)$")
ANNEX = re.compile(r"^附\s*件\s*[\d一二三四五六七八九十]*\s*[:：]?$")
ASSIGNING = re.compile(r"^(?:会议)?(?:要求|强调|明确|决定|议定|责成|部署|提出|同意由|研究决定)")
MEETING_SENTENCE = re.compile(r"会议(?:原则同意|同意|要求|强调|明确|决定|议定|责成|指出|认为|听取|研究|审议|讨论|通报|学习|传达|"
                              r"部署|提出|肯定|充分肯定)")
MEETING_KEEP = ("要求", "强调", "明确", "决定", "议定", "责成", "部署", "提出")
TASK_WORDS = re.compile(r"牵头|负责|配合|完成|推进|落实|加快|加强|实施|开展|建设|推动|完善|健全|确保|实现|组织|制定|"
                        r"做好|抓好|提升|强化|深化|支持|鼓励|建立|培育|打造|优化|严格|扩大|促进|提高|增长|达到")


@dataclass
class Item:
    start: int
    end: int
    section: list[str]
    block: Block | None = None  # the table row an item was read from
    extra: list[tuple[int, int]] = field(default_factory=list)  # label lines read with it


@dataclass
class _Para:
    block: Block
    kind: str | None  # marker kind, or None
    level: int = 0
    children: int = 0
    plain_children: int = 0


def marker_of(text: str) -> tuple[str, int] | None:
    """The kind of numbering `text` opens with, and where its content starts."""
    for kind, pattern in MARKERS:
        m = pattern.match(text)
        if m:
            return kind, m.end()
    return None


def _title_only(text: str, marker_end: int) -> bool:
    body = text[marker_end:].strip()
    return len(body) <= 40 and not re.search(r"[。；;].", body) and "牵头" not in body and "负责" not in body


def _is_label(text: str) -> bool:
    return bool(LABEL_LINE.match(text) or BRACKET_ONLY.match(text))


def _heading_text(text: str) -> str:
    """A heading as the section path shows it: its first sentence when it runs on."""
    first = re.split(r"(?<=[。；])", text, maxsplit=1)[0]
    return first if len(first) <= 60 else first[:59] + "…"


def items_of(source: Source) -> list[Item]:
    text = source.text
    paras = [b for b in source.blocks if b.kind == "paragraph"]
    has_numbering = any((m := marker_of(source.block_text(b))) and m[0] != "shi" for b in paras)
    if not has_numbering and not any(b.kind == "row" and b.columns for b in source.blocks):
        return _unnumbered(source)
    items: list[Item] = []
    stack: list[tuple[str, str]] = []  # (kind, heading text)
    started = False
    blocks = source.blocks
    # First pass: which numbered paragraphs have numbered paragraphs below them.
    kinds = []
    for block in blocks:
        m = marker_of(source.block_text(block)) if block.kind == "paragraph" else None
        kinds.append(m[0] if m else None)
    is_heading, lists = _headings(source, blocks, kinds)
    last_item: Item | None = None
    absorb_until = skip_until = 0
    statute = "article" in kinds
    for index, block in enumerate(blocks):
        body = source.block_text(block)
        kind = kinds[index]
        if index < absorb_until and last_item is not None:
            last_item.end = block.end  # a line of the list its item introduced
            continue
        if index < skip_until:
            continue  # the list of an article that gives no one work
        if block.kind == "header":
            started = True
            title = _table_title(source, blocks, kinds, index)
            if title:
                stack.append(("table", title))
            continue
        if block.kind == "row":
            if block.columns and len(block.cells) == 1:
                # A row merged across the table: the group the rows below it fall under.
                stack[:] = [e for e in stack if e[0] != "table_group"] + [("table_group", body.strip())]
                continue
            if block.columns:
                started = True
                item = _row_item(source, block, [h for _, h in stack])
                if item is not None:
                    items.append(item)
                    last_item = item
            continue
        stack[:] = [e for e in stack if e[0] not in ("table", "table_group")]  # the table is over
        if ANNEX.match(body):
            stack.clear()  # an annex is under none of the body's headings
            last_item = None
            continue
        if kind is None or kind == "shi" and not started:
            if not started:
                continue
            if last_item is not None and _is_label(body):
                last_item.end = block.end
                continue
            if CLOSING.search(body) or len(body) < 8:
                last_item = None
                continue
            if last_item is not None and text[last_item.start:last_item.end].rstrip().endswith(("：", ":")):
                last_item.end = block.end
                continue
            if kind is None and not TASK_WORDS.search(body):
                continue
            new = _titled(source, block, _split(source, block.start, block.end, [h for _, h in stack],
                                                sentences=not statute))
            items.extend(new)
            last_item = new[-1] if new else None
            continue
        started = True
        depth = next((i for i, (k, _) in enumerate(stack) if k == kind), None)
        if depth is not None:
            del stack[depth:]
        if kind == "article" and not is_heading[index] and not ARTICLE_DUTY.search(body):
            stack.append((kind, ""))  # purpose, scope, definitions, penalties: no one is given work
            last_item = None
            skip_until = lists.get(index, 0)
            continue
        if is_heading[index] or kind in HEADING_KINDS:
            stack.append((kind, _heading_text(body)))
            last_item = None
            continue
        if index in lists:
            last_item = Item(block.start, block.end, [h for _, h in stack])
            items.append(last_item)
            absorb_until = lists[index]
            stack.append((kind, ""))
            continue
        new = _titled(source, block, _split(source, block.start, block.end, [h for _, h in stack]))
        items.extend(new)
        last_item = new[-1] if new else None
        # A leaf keeps its place on the stack so that a sibling of its kind replaces it.
        stack.append((kind, ""))
    for item in items:
        item.section = [s for s in item.section if s]
    return items


def _headings(source: Source, blocks: list[Block], kinds: list[str | None]) -> tuple[list[bool], dict[int, int]]:
    """A numbered paragraph is a heading when the next numbered paragraph opens a deeper level (a kind not open
    yet) or a task table follows it; or when it is a short title followed by plain paragraphs, not labels.

    A numbered paragraph that ends with a colon (重点做好以下工作：, 应当履行下列职责：) is not a heading but one
    item with the list below it: the second result maps it to the block its list ends before."""
    out = [False] * len(blocks)
    lists: dict[int, int] = {}
    stack: list[str] = []
    depth: dict[int, int] = {}
    for index, kind in enumerate(kinds):
        if kind is None:
            continue
        if kind in stack:
            del stack[stack.index(kind) + 1:]
        else:
            stack.append(kind)
        depth[index] = stack.index(kind)
    marked = sorted(depth)
    for position, index in enumerate(marked):
        following = marked[position + 1] if position + 1 < len(marked) else None
        table = next((b for b in blocks[index + 1:following] if b.kind == "row" and b.columns), None)
        if following is not None and depth[following] > depth[index] and table is None:
            end = next((m for m in marked[position + 1:] if depth[m] <= depth[index]), len(blocks))
            end = next((i for i in range(index + 1, end) if blocks[i].kind != "paragraph"), end)
            if source.block_text(blocks[index]).rstrip().endswith(("：", ":")) or _one_task(source, blocks, kinds,
                                                                                          index, end):
                lists[index] = end
                continue
        if table is not None or (following is not None and depth[following] > depth[index]):
            out[index] = True
            continue
        body = source.block_text(blocks[index])
        m = marker_of(body)
        nxt = index + 1
        if (m and _title_only(body, m[1]) and nxt < len(blocks) and kinds[nxt] is None
                and blocks[nxt].kind == "paragraph" and not _is_label(source.block_text(blocks[nxt]))
                and not CLOSING.search(source.block_text(blocks[nxt]))):
            out[index] = True
    return out, lists


def _one_task(source: Source, blocks: list[Block], kinds: list[str | None], index: int, end: int) -> bool:
    """Points below a numbered paragraph that name no one of their own, under it or after them a line that does
    (（六）打造诚信环境。 一是…二是… 责任单位：…): one task, not a heading and its items."""
    from duban.extract.responsibility import responsibility_of

    below = range(index + 1, end)
    points = [i for i in below if kinds[i] is not None]
    for i in points:
        if responsibility_of(source.block_text(blocks[i])):
            return False
        # A numbered point owns the label lines under it (牵头单位：…), but for the last of several: what follows
        # the last of points that name no one is the whole list's. An 一是 paragraph owns only its own words.
        if kinds[i] != "shi" and (i != points[-1] or len(points) == 1):
            own = [source.block_text(blocks[i])] + [source.block_text(blocks[j]) for j in range(i + 1, end)
                                                    if all(kinds[k] is None for k in range(i + 1, j + 1))]
            if responsibility_of("\n".join(own)):
                return False
    own = [source.block_text(blocks[index])] + [source.block_text(blocks[i]) for i in below if kinds[i] is None]
    return bool(responsibility_of("\n".join(own)))


def _table_title(source: Source, blocks: list[Block], kinds: list[str | None], index: int) -> str | None:
    """The line just above a task table that names it (2026年第二季度重点督查事项清单), if it is one."""
    if index == 0 or blocks[index - 1].kind != "paragraph" or kinds[index - 1] is not None:
        return None
    title = source.block_text(blocks[index - 1]).strip()
    if len(title) > 40 or ANNEX.match(title) or _is_label(title) or title.endswith(("。", "；", "：", ":")):
        return None
    return title


def _titled(source: Source, block: Block, items: list[Item]) -> list[Item]:
    """Points split out of a paragraph that opens with its title (（一）抓好汛期防范。一是…二是…) sit under that
    title, as they would if each point were a paragraph of its own."""
    if len(items) < 2 or items[0].start <= block.start:
        return items
    title = source.text[block.start:items[0].start].strip()
    m = marker_of(title)
    body = title[m[1]:].strip() if m else title
    if len(body) < 2 or not title.endswith(("。", "：", ":")) or OPENER.match(body) or CONTEXT.match(body):
        return items
    for item in items:
        item.section.append(_heading_text(title))
    return items


def _row_item(source: Source, block: Block, section: list[str]) -> Item | None:
    span = block.cell(source.text, "content")
    if span is None or span[1] - span[0] < 4:
        return None
    group = block.cell(source.text, "group")
    path = list(section)
    if group is not None and group[1] > group[0]:
        path.append(source.text[group[0]:group[1]])
    return Item(span[0], span[1], path, block=block)


def _split(source: Source, start: int, end: int, section: list[str], *, sentences: bool = True) -> list[Item]:
    """One paragraph as one item, or several where it enumerates (一是…二是…, （1）…（2）…, 由…；由…)."""
    text = source.text[start:end]
    for finder in (_enumerated_shi, _enumerated_inline, _assigned_runs):
        cuts = finder(text)
        if cuts:
            return [Item(start + a, start + b, list(section)) for a, b in cuts]
    if not sentences:
        return [Item(start, end, list(section))]  # a rule's paragraph is one provision, whatever its sentences
    if not marker_of(text):
        cuts = _assigned_sentences(text)
        if cuts is not None:
            return [Item(start + a, start + b, list(section)) for a, b in cuts]
        if CONTEXT.match(text) or text.rstrip().endswith(("：", ":")):
            return []  # what the meeting heard, or the line that introduces a list
    else:
        # A numbered item of minutes may open with what the meeting heard (会议听取…。会议认为…。): its task
        # begins at the sentence that assigns work.
        cuts = _assigned_sentences(text)
        if cuts and cuts[0][0] > 0 and CONTEXT.match(text[marker_of(text)[1]:].lstrip()):
            return [Item(start + cuts[0][0], end, list(section))]
    return [Item(start, end, list(section))]


OPENER = re.compile(r"^(?:会议|会上|[^，。；]{1,8}(?:同志|书记|主任|县长|市长|州长|区长|局长))?"
                    r"(?:要求|决定|议定|明确|责成|强调|提出|部署|同意由)[，,：:]?")
CONTEXT = re.compile(r"^(?:(?:会议|会上)?(?:听取|认为|指出|原则同意|原则通过|研究了|审议了|讨论了|学习了|传达了|通报了)|"
                     r"到\s*20\d{2}\s*年)")
DIRECTIVE = re.compile(r"(?<![紧重主需必])要(?![期点素害])|必须|务必|确保|抓紧|尽快|负责|牵头|落实")


def _assigned_sentences(text: str) -> list[tuple[int, int]] | None:
    """Minutes' sentences that assign work (a unit that is to act, 由…负责, 会议要求/决定…), each running on
    through the sentences after it that name no one new; None when no sentence assigns work."""
    from duban.extract.responsibility import responsibility_of

    sentences, offset = [], 0
    for piece in split_outside(text, "。；;"):
        sentences.append((offset, offset + len(piece.rstrip())))
        offset += len(piece)
    cuts: list[list[int]] = []
    for a, b in sentences:
        sentence = text[a:b].strip()
        lead = len(text[a:b]) - len(text[a:b].lstrip())
        if not sentence:
            continue
        opener = OPENER.match(sentence)
        starts = False
        if sentence.endswith(("：", ":")):
            starts = False
        elif opener and (not opener.group().startswith(("会议强调", "强调")) or DIRECTIVE.search(sentence)):
            starts = True
        elif not CONTEXT.match(sentence) and responsibility_of(sentence):
            starts = True
        if starts:
            cuts.append([a + lead, b])
        elif cuts and not CONTEXT.match(sentence) and not sentence.endswith(("：", ":")) and not OPENER.match(sentence):
            cuts[-1][1] = b
    return [(a, b) for a, b in cuts] if cuts else None


def _sequence(text: str, pattern: re.Pattern, number) -> list[int]:
    """Positions of markers numbered 1, 2, 3 … in order, outside brackets, each at a clause's start."""
    level = depths(text)
    found, expect = [], 1
    for m in pattern.finditer(text):
        if level[m.start()] != 0 and text[m.start()] not in "（(":
            continue
        if text[m.start()] in "（(" and m.start() and level[m.start() - 1] != 0:
            continue
        before = text[:m.start()].rstrip()
        if before and before[-1] not in "。；;：:，,！\t" and not before.endswith(("：", "。")):
            continue
        if number(m) == expect:
            found.append(m.start())
            expect += 1
    return found if len(found) >= 2 else []


def _cn_number(value: str) -> int:
    if value == "十":
        return 10
    if value.startswith("十"):
        return 10 + CN.index(value[1]) + 1
    if "十" in value:
        tens, _, ones = value.partition("十")
        return (CN.index(tens) + 1) * 10 + (CN.index(ones) + 1 if ones else 0)
    return CN.index(value) + 1


SHI = re.compile(r"([一二三四五六七八九十]{1,3})是(?=[\u4e00-\u9fff“])")
INLINE = re.compile(r"[（(](\d{1,2})[）)]|(?<![\d.])(\d{1,2})[.．、](?!\d)|([①②③④⑤⑥⑦⑧⑨⑩])")


def _cuts(text: str, starts: list[int]) -> list[tuple[int, int]]:
    cuts = []
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(text)
        cuts.append((s, len(text[:e].rstrip())))
    return cuts


def _own_units(text: str, cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Points split out only when they name their own units: 一是州水利局要…；二是州应急局要…. Points that share
    the paragraph's one bracket (一是…二是…（A牵头）) stay one task."""
    from duban.extract.responsibility import responsibility_of

    own = [c for c in cuts if responsibility_of(text[c[0]:c[1]])]
    return cuts if len(own) >= 2 and len(own) >= len(cuts) - 1 else []


def _enumerated_shi(text: str) -> list[tuple[int, int]]:
    return _own_units(text, _cuts(text, _sequence(text, SHI, lambda m: _cn_number(m[1]))))


def _enumerated_inline(text: str) -> list[tuple[int, int]]:
    circled = "①②③④⑤⑥⑦⑧⑨⑩"
    starts = _sequence(text, INLINE, lambda m: int(m[1] or m[2]) if (m[1] or m[2]) else circled.index(m[3]) + 1)
    if starts and starts[0] == 0:
        return []  # the paragraph's own number, not an enumeration inside it
    return _own_units(text, _cuts(text, starts))


RUN = re.compile(r"由[^，。；]{2,60}?(?:牵头|负责)")


def _assigned_runs(text: str) -> list[tuple[int, int]]:
    """Minutes' “由A牵头，B配合，在…前完成…；由C负责…；”: each run from its 由 to its ；or 。."""
    level = depths(text)
    starts = [m.start() for m in RUN.finditer(text) if level[m.start()] == 0]
    if len(starts) < 2:
        return []
    cuts = []
    for s in starts:
        m = re.compile(r"[；;。]").search(text, s)
        e = m.end() if m else len(text)
        opening = max(text.rfind(mark, 0, s) for mark in "。；;") + 1
        if s - opening <= 12 and "，" in text[opening:s]:
            s = opening  # “会议决定，由…”, “整治完成后，由…”: the sentence's short opening belongs to it
        if not cuts or s >= cuts[-1][1]:
            cuts.append((s, e))
    return cuts if len(cuts) >= 2 else []


def _unnumbered(source: Source) -> list[Item]:
    """Minutes and news items: the sentences that assign work, by paragraph."""
    items = []
    for block in source.blocks:
        body = source.block_text(block)
        if CLOSING.search(body) or len(body) < 8:
            continue
        found = _split(source, block.start, block.end, [])
        if len(found) == 1 and (found[0].start, found[0].end) == (block.start, block.end):
            if _assigned_sentences(body) is None:
                continue
        items += found
    return items
