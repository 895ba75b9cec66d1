"""Who is to do an item: its lead units (牵头) and its other units (配合, 参与), as the document writes them.

The forms offices use, tried in this order:
- a label: “牵头单位：区发改局” and “责任单位：…” / “配合单位：…” (on the item's own lines or its next ones);
  a 责任单位 beside a 牵头单位 is the cooperating list, alone it is the responsible (lead) list;
- a bracket at the item's end: “（发展改革委、财政部牵头，各有关部门按职责分工负责）”, “〔责任单位：…〕”;
- minutes: “由州住建局负责”, “由县发改局牵头，县自然资源局配合”, “请市财政局会同市发改委…”.

Inside a clause: units before 牵头 lead; before 配合 / 参与 / 协助 / 协同 / 协办 they cooperate; before 负责 /
落实 / 按职责分工负责 they lead, unless a lead is already named, when they cooperate; a clause of names only
(“A、B，C按职责分工负责”) shares the verb of the next. Names are split on 、，,；/ and 及, on 和 only between
whole unit names (州自然资源局和龙溪市人民政府, never 工业和信息化厅), and lose a trailing 等 / 等单位 / 等部门.
"""

import re
from dataclasses import dataclass, field

from duban.extract.text import bracket_groups, split_outside

LEAD_LABELS = ("牵头单位", "牵头部门", "主办单位", "主责单位", "牵头领导单位")
DUTY_LABELS = ("责任单位", "责任部门", "承办单位", "落实单位")
OTHER_LABELS = ("配合单位", "配合部门", "协办单位", "参与单位", "协助单位", "协同单位")
ALL_LABELS = LEAD_LABELS + DUTY_LABELS + OTHER_LABELS
SHORT_LABELS = {"牵头": "牵头单位", "配合": "配合单位", "参与": "参与单位", "协办": "协办单位", "责任": "责任单位"}
LABEL = re.compile(r"(" + "|".join((*ALL_LABELS, *SHORT_LABELS)) + r")\s*[:：]\s*")
KEYWORDS = re.compile(r"牵头|负责|配合|参与|协办|协助|协同|会同|落实|责任单位|责任部门|牵头单位|配合单位")
MANNER = r"(?:按职责分工|按照职责分工|按职责|按职能|依职责|分别|各自|共同|具体|结合实际|积极|密切)?"
CLOSING_VERB = re.compile(MANNER + r"(?:牵头|负责|配合|参与|协助|协同|协办|落实|研究|制定|做好|推进|抓好|加快|开展|组织|完成|"
                          r"根据|按照|依据|及时|进一步|修改|完善|提出|加强|督促|指导|对|就|向|在|于|将|把)")
NONE_WORDS = {"无", "/", "—", "-", "——", "暂无", "不涉及"}
NAME_SPLIT = re.compile(r"[、，,；;／/]|及(?=[\u4e00-\u9fff]{2})")
TRAILING = re.compile(r"(?:等(?:有关|相关)?(?:单位|部门|地方|市县)?|各自|分别|共同)$")
LEADING = re.compile(r"^(?:由|请|各?责任单位[:：]?|并|和|与|同时)")
SENTENCE_TAIL = re.compile(r"[。．.]$")
NAME_CONTINUES = set("部局委办厅处科室院所站队")  # after 组织 in 组织部


@dataclass
class Responsibility:
    lead: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    span: tuple[int, int] | None = None  # where in the item text it was read

    def __bool__(self) -> bool:
        return bool(self.lead or self.other)


def names_of(text: str) -> list[str]:
    """Unit names in a list as written: split, trimmed of 等 and of sentence ends; empty pieces dropped.

    A piece that is no unit on its own joins the next one (“州、县（市）人民政府”, “收集、运输单位”), unless
    the list ends in 等部门 / 等单位, where each piece names a department by its field (发展改革、财政等部门)."""
    text = re.sub(r"[（(]以下简称[^）)]*[）)]|[（(]牵头[）)]", "", text)
    by_field = bool(re.search(r"等(?:有关|相关)?(?:部门|单位)\s*$", text.strip(" 。，,；;")))
    pieces = []
    for piece in NAME_SPLIT.split(text):
        piece = SENTENCE_TAIL.sub("", piece.strip(" \t\n：:。"))
        piece = LEADING.sub("", piece).strip()
        piece = TRAILING.sub("", piece).strip()
        if piece and piece not in NONE_WORDS and len(piece) <= 40 and not re.fullmatch(r"[\d\W]+", piece):
            pieces += _joined(piece)
    out: list[str] = []
    carry = ""
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        if (not by_field and not last and (not _plausible_unit(piece) or len(piece) == 1) and len(piece) <= 6
                and not piece.startswith("各")):
            carry += piece + "、"
            continue
        out.append(carry + piece)
        carry = ""
    if carry:
        out.append(carry.rstrip("、"))
    return list(dict.fromkeys(out))


def _joined(piece: str) -> list[str]:
    """“州自然资源局和龙溪市人民政府” is two units; “工业和信息化厅”, “州发展和改革委员会” are one: split on 和 only
    where every part is a unit name of its own."""
    parts = piece.split("和")
    if len(parts) > 1 and all(len(p) >= 3 and _plausible_unit(p) for p in parts):
        return parts
    return [piece]


def _clauses(text: str) -> list[str]:
    return [c for c in split_outside(text, "，,；;。") if c.strip()]


def read_clauses(text: str) -> Responsibility:
    """The units a run of clauses names: “A、B牵头，C配合”, “A负责”, “A会同B”, “责任单位：A、B”.

    A clause of names only shares the verb of the clause after it: “A、B，C按职责分工负责” — all three."""
    found = Responsibility()
    pending: list[str] = []
    for clause in _clauses(text):
        clause = clause.strip()
        names_only = names_of(clause) if clause.endswith(("，", ",")) else []
        if names_only and all(_plausible_unit(n) for n in names_only) and not KEYWORDS.search(clause):
            pending += names_only
            continue
        carried, pending = pending, []
        labelled = LABEL.match(clause)
        if labelled:
            rest = clause[labelled.end():]
            _labelled(found, labelled[1], rest)
            continue
        clause = re.sub(r"^(?:由|请)", "", clause)
        if "会同" in clause:
            head, _, tail = clause.partition("会同")
            found.lead += names_of(head)
            found.other += names_of(_strip_verb(tail))
            continue
        verb = _verb(clause)
        if verb is None:
            continue
        kind, names = verb
        names = carried + names
        if kind == "lead" or (kind == "duty" and not found.lead):
            found.lead += names
        else:
            found.other += names
    found.lead = list(dict.fromkeys(found.lead))
    found.other = [n for n in dict.fromkeys(found.other) if n not in found.lead]
    return found


def _labelled(found: Responsibility, label: str, rest: str) -> None:
    label = SHORT_LABELS.get(label, label)
    names = names_of(_strip_verb(re.sub(r"[（(]牵头[）)]", "", rest)))  # the mark first: 牵头 also ends a list
    if label in LEAD_LABELS:
        found.lead += names
    elif label in OTHER_LABELS or found.lead:
        found.other += names
    else:
        # “责任单位：A（牵头）、B”: the marked one leads.
        marked = re.findall(r"([^、，,；;（(]+)[（(]牵头[）)]", rest)
        if marked:
            lead = names_of("、".join(marked))
            found.lead += lead
            found.other += [n for n in names if n not in lead]
        else:
            found.lead += names


def _strip_verb(text: str) -> str:
    """The unit list at the head of a clause: “市发改委研究制定方案” → “市发改委” is not knowable, so only the
    known verbs that close a list are cut (配合, 负责, 牵头 …) and the rest kept for the caller to judge.

    A verb inside a name is no verb: 州委组织部, 州就业服务局, 州在线政务服务中心 stay whole."""
    for m in CLOSING_VERB.finditer(text):
        begin = max(text.rfind(mark, 0, m.start()) for mark in "、，,；;／/") + 1
        after = NAME_SPLIT.search(text, m.start())
        piece = text[begin:after.start() if after else len(text)].strip()
        head = text[begin:m.start()].strip()
        if _plausible_unit(piece) or len(head) == 1 or text[m.end():m.end() + 1] in NAME_CONTINUES:
            continue
        return text[:m.start()]
    return text


def _verb(clause: str) -> tuple[str, list[str]] | None:
    for kind, pattern in (("lead", r"(?:为|作为|共同)?牵头"), ("other", r"(?:共同|积极|密切)?(?:配合|参与|协助|协同|协办)"),
                          ("duty", r"(?:按职责分工|按照职责分工|按职责|按职能|依职责|分别|各自|共同|具体|结合实际)?"
                                   r"(?:负责|抓好落实|组织实施|落实)")):
        m = re.search(pattern, clause)
        if m is None:
            continue
        names = names_of(clause[:m.start()])
        if names and all(_plausible_unit(n) for n in names):
            return kind, names
    return None


UNIT_SUFFIX = re.compile(r"(?:局|委|厅|部|办|院|署|会|室|中心|政府|街道|乡|镇|县|区|市|州|省|公司|集团|队|所|站|处|科|"
                         r"企业|责任人|办事处|机构|经营者|"
                         r"馆|校|党校|管委会|专班|单位|部门|机关|社|行|团|组|小组|指挥部|法院|检察院|银行|海关|税务局)$")


def _plausible_unit(name: str) -> bool:
    """A unit name ends as units do (…局, …委, …政府, 各街道 …) and is not a sentence; a bracket after it
    names the same unit again (州自然资源局（州林草局）)."""
    bare = re.sub(r"[（(][^（）()]{2,20}[）)]$", "", name)
    return bool(UNIT_SUFFIX.search(bare)) and len(name) <= 30 and not re.search(r"[，。；：]", name)


def responsibility_of(text: str) -> Responsibility:
    """The units an item's text names, by the first form that finds any (labels, brackets, minutes)."""
    labels = list(LABEL.finditer(text))
    if labels:
        found = Responsibility()
        for index, m in enumerate(labels):
            end = labels[index + 1].start() if index + 1 < len(labels) else len(text)
            _labelled(found, m[1], _label_value(text[m.end():end]))
        if found:
            found.other = [n for n in dict.fromkeys(found.other) if n not in found.lead]
            found.span = (labels[0].start(), len(text))
            return found
    for start, end in reversed(bracket_groups(text)):
        inner = text[start + 1:end - 1]
        if KEYWORDS.search(inner):
            found = read_clauses(inner)
            if found:
                found.span = (start, end)
                return found
    for m in re.finditer(r"由([^，。；由]{2,60}?)(牵头|负责|会同|根据|按照|组织|抓好|研究|制定|做好|落实)", text):
        if m[2] not in ("牵头", "负责", "会同") and not all(_plausible_unit(n) for n in names_of(m[1])):
            continue
        if m[2] not in ("牵头", "负责", "会同"):
            return Responsibility(names_of(m[1]), [], (m.start(1), m.end(1)))
        found = read_clauses(text[m.start():_clause_run_end(text, m.start())])
        if found:
            found.span = (m.start(), m.end())
            return found
    m = re.search(r"(?:^|[，。；]|由)(?:请)?([^，。；由]{2,40}?)会同([^，。；]{2,60}?)(?=[研制做推抓加开组完负落])", text)
    if m and all(_plausible_unit(n) for n in names_of(m[1])):
        return Responsibility(names_of(m[1]), names_of(m[2]), (m.start(1), m.end(2)))
    return _paired(text) or _subjects(text) or _actor(text)


PAIRED = re.compile(r"(?:^|[，。；：:])\s*(?:会议(?:要求|决定|明确|议定)[，：:]\s*)?([^，。；：:]{2,40}?)牵头[，,]"
                    r"([^，。；：:]{2,80}?)(?:配合|参与|协助|协同)")


def _paired(text: str) -> Responsibility:
    """“A牵头，B、C配合” written as a sentence's own clauses, without 由 or a bracket."""
    m = PAIRED.search(text)
    if m is None:
        return Responsibility()
    lead, other = names_of(m[1]), names_of(m[2])
    if not lead or not all(_plausible_unit(n) for n in lead) or not all(
            _plausible_unit(n) or n.startswith("各") for n in other):  # 各地、各部门 cooperate as groups
        return Responsibility()
    return Responsibility(lead, [n for n in other if n not in lead], (m.start(1), m.end(2)))


# An item that opens with who acts: “州财政局要…”, “一是州水利局要牵头…”, “6月30日前，州政府督查室汇总…”,
# “各县市人民政府每月5日前报送…” — after its number, a short title (（一）自查阶段。) or a time.
OPENING = re.compile(r"^(?:[（(]?[一二三四五六七八九十\d]{1,3}[）)、.．]\s*|[一二三四五六七八九十]{1,3}是|[①-⑳]\s*)?"
                     r"(?:(?:会议|会上)?(?:要求|强调|明确|决定|议定)[，,：:])?"
                     r"(?:[^，。；：]{2,12}[。：:]\s*(?=[^，。；]{2,30}?(?:要|应当|须|必须|负责|于|在|将|每|牵头)))?"
                     r"(?:[一二三四五六七八九十]{1,3}是)?"
                     r"(?:[^，。；]{0,16}?(?:前|后|起|期间|至今)，)?"
                     r"([^，。；：“”]{2,50}?)(?=要|应当|须|必须|负责|牵头|于\s*\S{0,12}(?:前|内|底)|在\s*\S{0,12}前|"
                     r"每[月季周年]|及时|按[月季周]|会同|汇总|结合实际)")


def _actor(text: str) -> Responsibility:
    m = OPENING.match(text)
    if m is None:
        return Responsibility()
    names = names_of(m[1])
    if not names or not all(_plausible_unit(n) and len(n) <= 20 for n in names):
        return Responsibility()
    found = Responsibility(names, [], (m.start(1), m.end(1)))
    partner = re.match(r"(?:要|应当|须|负责)?会同([^，。；]{2,60}?(?:等部门|等单位)?)(?=[研制做推抓加开组完负落，])",
                       text[m.end(1):])
    if partner:
        found.other = [n for n in names_of(partner[1]) if n not in names]
    return found


SUBJECT = re.compile(r"(?:^|[。；;])\s*(?:第[一二三四五六七八九十百零〇]+条\s*|[（(][一二三四五六七八九十\d]{1,3}[）)]\s*|"
                     r"[一二三四五六七八九十]{1,3}(?:、|是)\s*|\d{1,3}[、.．](?!\d)\s*|[①-⑳]\s*)?"
                     r"(?:[^。；]{0,80}?的，)?"
                     r"([^，。；：]{2,60}?)(?:在[^。；]{2,40}?时，)?(?:应当|负责|是本[省市州县区][^，。；]{0,20}主管部门|按照各自职责|按职责分工|"
                     r"对[^，。；]{2,30}实施|由[^，。；]{2,30}?(?:制定|负责|组织))")
DEPARTMENT = re.compile(r"(?:部门|单位|政府|办事处|企业|委员会|机关|机构|责任人|经营者|人|局|委|厅|办|中心)$")


def _subjects(text: str) -> Responsibility:
    """Rules and regulations: “X应当…”, “X负责…”, “X是本州…的主管部门”, “X应当会同Y、Z等部门…” — the subject of
    each sentence that gives a duty leads; those it works with (会同) cooperate."""
    found = Responsibility()
    for m in SUBJECT.finditer(text):
        subject = re.sub(r"^(?:其|并|同时|另外|此外)", "", m[1].strip())
        by = re.search(r"由([^，。；]{2,30}?)(?:制定|负责|组织)$", m.group().strip())
        if by:
            subject = by[1]
        names = names_of(re.split(r"或者|或", subject)[0] if "或者" not in subject else subject.replace("或者", "、"))
        if not names or not all(DEPARTMENT.search(n) or len(n) <= 8 for n in names):
            continue
        if any(re.search(r"[的了在时]|^(?:本|该|此|对|凡|如|若)", n) for n in names):
            continue
        found.lead += [n for n in names if n not in found.lead]
        tail = text[m.end():]
        partner = re.match(r"[^，。；]{0,4}?会同([^，。；]{2,60}?(?:等部门|等单位)?)[，。；]", tail)
        if partner:
            found.other += [n for n in names_of(_strip_verb(partner[1])) if n not in found.lead]
        found.span = found.span or (m.start(1), m.end(1))
    return found


def _label_value(text: str) -> str:
    """A label's value: to the line's or the sentence's end, or to a bracket it did not open (〔责任单位：…〕)."""
    level = 0
    for i, ch in enumerate(text):
        if ch in "（(〔":
            level += 1
        elif ch in "）)〕":
            if level == 0:
                return text[:i]
            level -= 1
        elif ch in "\n。" and level == 0:
            return text[:i]
    return text


def _clause_run_end(text: str, start: int) -> int:
    """The end of a “由A牵头，B配合，在…前完成…” run: the next 。 or ；."""
    m = re.compile(r"[。；;]").search(text, start)
    return m.start() if m else len(text)
