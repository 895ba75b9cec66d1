"""The inspection report (督查情况报告) as a Word document, laid out per GB/T 9704 like the bulletins
(duban.bulletins.document): the plan, the visits, a table of findings with their state, counts by state."""

import datetime as dt
from collections import Counter

from duban.bulletins.document import Masthead, Writer
from duban.core import clock
from duban.inspection.models import FindingState, Inspection
from duban.inspection.rules import latest_recheck
from duban.inspection.selectors import inspection_detail

FINDING_HEADER = ["单位", "问题", "整改要求", "时限", "状态", "复查"]
FINDING_WIDTHS = [24, 40, 36, 18, 18, 20]  # mm, the 156 mm text block


def _cn(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def _short(day: dt.date | None) -> str:
    return f"{day.year}.{day.month}.{day.day}" if day else "—"


def report_title(inspection: Inspection) -> str:
    return f"关于{inspection.title}情况的报告"


def finding_state_label(finding) -> str:
    """The state a reader needs (rows carry `current_state`, read from the task by the selectors): 待交办
    before a task exists, 复查通过待销号 once the team has passed it."""
    state = finding.current_state
    if finding.task_id is None and state == FindingState.RECTIFYING:
        return "待交办"
    if state == FindingState.RECHECK:
        last = latest_recheck(list(finding.rechecks.all()))
        if last is not None and last.passed:
            return "复查通过待销号"
    return FindingState(state).label


def recheck_label(finding) -> str:
    rechecks = list(finding.rechecks.all())
    if not finding.requires_recheck and not rechecks:
        return "无需复查"
    last = latest_recheck(rechecks)
    if last is None:
        return "未复查"
    return f"{_short(last.checked_on)}{'通过' if last.passed else '未通过'}"


def inspection_report_docx(inspection: Inspection, *, detail: dict | None = None) -> bytes:
    """The report of one inspection (already fetched through `inspection_get_for`) as .docx bytes."""
    d = detail or inspection_detail(inspection)
    findings = d["findings"]
    office = inspection.office.name
    w = Writer()
    w.document.core_properties.title = report_title(inspection)
    w.document.core_properties.author = office
    w.title(report_title(inspection))

    w.text(f"{office}于{_cn(inspection.starts_on)}至{_cn(inspection.ends_on)}组织开展{inspection.title}，"
           f"现将督查情况报告如下。")

    w.heading(1, "督查安排")
    members = "、".join(f"{p.full_name or p.username}" + ("（组长）" if p.pk == inspection.team_leader_id else "")
                       for p in d["team"])
    w.text(f"督查组成员：{members or '—'}。")
    places = "、".join(u.name for u in d["places"])
    if inspection.place_notes:
        places = "；".join(x for x in (places, inspection.place_notes) if x)
    w.text(f"督查对象和地点：{places or '—'}。")
    if inspection.focus:
        w.text(f"督查重点：{inspection.focus}")
    if d["tasks"]:
        w.text("检查事项：" + "；".join(f"{t.code} {t.title}" for t in d["tasks"]) + "。")
    if d["clues"]:
        w.text(f"核查群众线索{len(d['clues'])}条：" + "、".join(c.number for c in d["clues"]) + "。")
    w.text("整改事项须经复查通过后方可销号。" if inspection.requires_recheck else "整改事项经审核佐证材料后销号。")

    w.heading(2, "走访情况")
    visits = d["visits"]
    if visits:
        units = {v.unit_id for v in visits if v.unit_id}
        photos = sum(len(v.photos.all()) for v in visits)
        w.text(f"督查组共走访{len(visits)}次，涉及{len(units)}个单位，留存现场照片{photos}张。")
        for index, v in enumerate(visits, start=1):
            where = "，".join(x for x in ((v.unit.name if v.unit else ""), v.place) if x)
            met = f"座谈走访{v.people_met}；" if v.people_met else ""
            w.text(f"{index}. {_cn(v.visited_on)}，{where}：{met}{v.notes}")
    else:
        w.text("督查组尚未记录走访情况。")

    w.heading(3, "发现问题及整改情况")
    if findings:
        counts = Counter(f.current_state for f in findings)
        parts = [f"{label}{counts[value]}个" for value, label in FindingState.choices if counts[value]]
        waiting = sum(1 for f in findings if f.task_id is None and f.current_state == FindingState.RECTIFYING)
        w.text(f"共发现问题{len(findings)}个，其中" + "、".join(parts) + "。"
               + (f"（整改中的问题里有{waiting}个尚待交办。）" if waiting else ""))
        w.table(FINDING_HEADER,
                [[f.unit.name, f.text, f.requirement or "—", _short(f.deadline), finding_state_label(f),
                  recheck_label(f)] for f in findings],
                FINDING_WIDTHS)
    else:
        w.text("本次督查未发现需要整改的问题。")

    w.heading(4, "下一步工作")
    w.text("请各责任单位对照问题清单逐项整改，按时限报送整改情况和佐证材料；督查室将跟踪督办，"
           "按方案组织复查，整改到位一个、销号一个。")
    w.signature(Masthead(issuer_mark=office, signature=office, date=clock.today()))
    return w.save()
