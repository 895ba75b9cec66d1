"""One world for the API's permission matrix and its fuzzing, built through the real services.

The named cast (duban.core.cast) plus a neighbouring prefecture (邻州), a county inspector (甲县督查组),
the three administrators (三员) and, among 州委督查室's tasks:

- T0 a draft; T1 a key (挂牌) task led by 州发改委 with 州财政局 helping: a released report with evidence,
  a draft still waiting for 赵主任 (unit review) with its own blocker, an extension waiting for the leader,
  a blocker escalated to 李州长 and one still open; 州财政局's released report, extension request and
  blocker; a milestone, a target and a 批示;
- T2 pending signature, with an ordinary extension request; T3 in review (申请办结); T4 closing (待销号);
  T5 closed; T6 returned (退办); T7 in progress and untouched;
- TP passed down to 甲县, which decomposes it into TC (甲县's own task for its 发改局 and 城关镇);
- TB, 乙县's own task; TN, 邻州's task, which nobody in 示范州 may see;
- a 研判 of T1 by 州委督查室, and June's 督查通报 (Word only) of 示范州, 甲县, 乙县 and 邻州, each made by
  that unit's supervisor;
- 智能分解: minutes read by 州委督查室 (X1: three proposed tasks, X1a–X1c, led by 州发改委, 州财政局 and
  甲县发改局) and by 乙县's supervisor (X2: two, X2a–X2b, led by 乙县发改局), every unit matched and every
  deadline ahead, so that either office may accept its own;
- 群众线索 (built last, so that 邻州's task stays the last task): CK about 州发改委 from 欧阳线人 (CONTACT),
  forwarded by 州委督查室 to 州发改委, which signed; CM merged into CK; CA attached to T7 and answered by
  州发改委 (waiting for the sender's rating); CR in 城关镇 from 司马来信, still received by 甲县; CB in
  乙县, still received there; CN in 邻州, forwarded to 邻州发改委.

`Oracle` says who may see what by the plain rules of DESIGN.md ("Data scope"), worked out in Python over
the rows, never through the selectors.
"""

import datetime as dt
import io
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

from duban.api.services import token_create
from duban.audit.models import Event
from duban.bulletins.models import Bulletin
from duban.bulletins.services import bulletin_generate
from duban.core.cast import build_cast
from duban.core.periods import month
from duban.core.sealed import mask_phone
from duban.escalation.models import Notice, Urge
from duban.escalation.services import urge_send
from duban.extract.models import Extraction, ProposedTask
from duban.extract.services import extraction_create
from duban.org import services as org
from duban.org.models import ADMIN_ROLES, Role, RoleGrant, Unit, UnitLevel, User
from duban.scorecards.models import TaskConfidence
from duban.scorecards.services import confidence_record
from duban.supervision import services as s
from duban.supervision.models import (
    Assignment,
    Blocker,
    Decision,
    Evidence,
    Extension,
    Instruction,
    Milestone,
    Report,
    Task,
)
from duban.voice.models import Clue
from duban.voice.services import clue_answer, clue_attach, clue_forward, clue_merge, clue_submit

D = dt.date
PDF = b"%PDF-1.4 progress 1 0 obj << >> endobj %%EOF"
XLSX = b"PK\x03\x04 funds"
JPEG = b"\xff\xd8\xff\xe0 site photo"

MINUTES_PREFECTURE = """州政府第13次常务会议纪要
2026年5月29日
一、关于重点项目建设
（一）由州发改委牵头，州财政局配合，于2026年7月底前完成重点项目年度投资计划调整。
（二）州财政局负责统筹专项债券资金，2026年8月底前完成首批资金拨付。
（三）甲县发展和改革局要加快项目前期工作，年底前完成可研批复。
"""
MINUTES_OTHER_COUNTY = """乙县县委常委会会议纪要
2026年5月29日
一、乙县发展和改革局牵头，2026年8月底前完成农村公路提升方案。
二、乙县发展和改革局负责，2026年9月底前完成县域物流中心选址，并报县政府审定。
"""

# The senders whose contact no response, log, file or plain column may show, but the contact read of their
# clue by its triage office: clue name -> (name, phone as given).
CONTACTS = {"CK": ("欧阳线人", "13912345678"), "CR": ("司马来信", "0851-87654321")}
CLUE_STORIES = {
    "CK": "州城区和平路老旧小区改造工地夜间施工噪音扰民，已经持续两个多月，多次反映未解决。",
    "CM": "和平路老旧小区改造工地晚上十一点以后还在施工，噪音很大，群众多次反映无人处理。",
    "CA": "城区新建停车场迟迟没有开放，周边道路停车难，群众反映强烈，希望尽快投入使用。",
    "CR": "甲县城关镇幸福小区门前的路灯坏了三个月，晚上出行很不安全，多次反映没人管。",
    "CB": "乙县农村公路部分路段塌陷，雨天车辆通行困难，村民多次反映仍未修复。",
    "CN": "邻州高速连接线施工占用农田，补偿款至今没有发放，村民多次反映未果。",
}
CLUE_ANSWER = "经核实，城区停车场已完成竣工验收，将于6月10日正式开放，届时周边停车难问题将得到缓解。"

# The roles of the matrix, each played by one person (None: no credentials at all).
ROLES = ("supervisor", "leader", "unit_head", "liaison", "inspector", "sysadmin", "secadmin", "auditor",
         "outsider_supervisor", "outsider_liaison", "anonymous")
ADMINS = ("sysadmin", "secadmin", "auditor")
OVERSIGHT = {Role.SUPERVISOR, Role.LEADER, Role.INSPECTOR}
IN_UNIT = {Role.LIAISON, Role.UNIT_HEAD}
RELEASED = {"submitted", "accepted", "returned"}


@dataclass
class World:
    cast: object
    actors: dict  # role -> User (None for "anonymous")
    tokens: dict  # role -> the bearer token its client uses
    spare_tokens: dict  # role -> ApiToken row of a second token of its own
    foreign_token: object  # an ApiToken of someone outside the matrix
    named: dict  # "T1", "A1d", "R2", ... -> row
    people: dict = field(default_factory=dict)  # every person built here, by a short name

    def actor(self, role):
        return self.actors[role]


def _person(username, name, unit, *roles):
    return org.person_create(actor=None, username=username, full_name=name, unit=unit, roles=list(roles),
                             password=None)


def _at(task, unit) -> Assignment:
    return Assignment.objects.exclude(state__in=["reassigned", "cancelled"]).get(task=task, unit=unit)


def build_world() -> World:
    """Every object below is made by the service a person would use; time must be frozen at 2026-06-01."""
    c = build_cast()
    n = {}
    neighbour = org.unit_create(actor=None, name="邻州", level=UnitLevel.PREFECTURE, parent=c.province)
    neighbour_drc = org.unit_create(actor=None, name="邻州发展和改革委员会", level=UnitLevel.DEPARTMENT,
                                    parent=neighbour)
    merged = org.unit_create(actor=None, name="甲县撤并乡", level=UnitLevel.TOWNSHIP, parent=c.county)
    org.unit_update(actor=None, unit=merged, is_active=False)
    n.update(neighbour=neighbour, neighbour_drc=neighbour_drc, merged=merged)

    people = {
        "inspector": _person("jx.duchazu", "吴组员", c.county, Role.INSPECTOR),
        "secadmin": _person("anquan.admin", "韩安全", c.prefecture, Role.SECADMIN),
        "auditor": _person("shenji.admin", "杨审计", c.prefecture, Role.AUDITOR),
        "other_head": _person("yxfgj.fuze", "蒋局长", c.other_drc, Role.UNIT_HEAD),
        "nb_supervisor": _person("lz.duchaban", "林督查", neighbour, Role.SUPERVISOR),
        "nb_liaison": _person("lzfgw.lianluo", "林联络", neighbour_drc, Role.LIAISON),
        "nb_head": _person("lzfgw.fuze", "林主任", neighbour_drc, Role.UNIT_HEAD),
        "retired": _person("qin.duchaban", "秦督查", c.prefecture, Role.SUPERVISOR),
    }
    org.person_deactivate(actor=None, person=people["retired"])

    def decision(actor, title):
        return s.decision_create(actor=actor, kind="meeting", title=title, issued_on=D(2026, 5, 28),
                                 doc_number="州府纪〔2026〕12号", issuer="州人民政府")

    d_key = decision(c.supervisor, "全州重点项目推进会议纪要")
    d_pref = decision(c.supervisor, "州政府第12次常务会议纪要")
    d_county = decision(c.supervisor, "产业园区建设专题会议纪要")
    d_empty = decision(c.supervisor, "全州营商环境专题会议纪要")
    d_b = decision(c.other_supervisor, "乙县县委常委会会议纪要")
    d_n = decision(people["nb_supervisor"], "邻州政府常务会议纪要")
    n.update(d_key=d_key, d_pref=d_pref, d_county=d_county, d_empty=d_empty, d_b=d_b, d_n=d_n)

    def task(actor, dec, title, leads, helpers=(), assign=True, **options):
        t = s.task_create(actor=actor, decision=dec, title=title, lead_unit_ids=[u.pk for u in leads],
                          cooperating_unit_ids=[u.pk for u in helpers], deadline=options.pop("deadline",
                                                                                             D(2026, 7, 31)),
                          requirements=f"{title}，按月报送进展。", **options)
        return s.task_assign(actor=actor, task=t) if assign else t

    sup, drc, fin = c.supervisor, c.pref_drc, c.pref_finance
    n["T0"] = task(sup, d_pref, "推进城区排水改造", [drc], assign=False)

    # T1: the key task, with every kind of thing a unit sends.
    t1 = n["T1"] = task(sup, d_key, "推进重点项目开工", [drc], [fin], responsible_leader=c.leader, is_key=True,
                        milestones=[("完成选址", D(2026, 6, 30))],
                        targets=[{"name": "开工项目", "measure": "个", "target": 12}])
    n["A1d"] = s.assignment_sign(actor=c.drc_liaison, assignment=_at(t1, drc))
    n["A1f"] = s.assignment_sign(actor=c.finance_liaison, assignment=_at(t1, fin))
    n["R1"] = s.report_submit(actor=c.drc_head, assignment=n["A1d"], text="已有3个项目开工。", progress=30,
                              files=[("进度.pdf", PDF)])
    n["Rf"] = s.report_submit(actor=c.finance_head, assignment=n["A1f"], text="首批资金已拨付。", progress=50,
                              files=[("资金拨付.xlsx", XLSX)])
    n["R2"] = s.report_submit(actor=c.drc_liaison, assignment=n["A1d"], text="已有5个项目开工。", progress=40,
                              files=[("草稿.pdf", PDF)], blockers=["用地指标不足。"])
    n["BR2"] = Blocker.objects.get(report=n["R2"])
    n["E1"] = s.extension_request(actor=c.drc_liaison, assignment=n["A1d"], reason="用地审批尚未完成。",
                                  requested_deadline=D(2026, 8, 31))
    n["B1"] = s.blocker_raise(actor=c.drc_liaison, assignment=n["A1d"], text="征地补偿标准不一。")
    s.blocker_escalate(actor=sup, blocker=n["B1"], leader=c.leader)
    n["B2"] = s.blocker_raise(actor=c.drc_liaison, assignment=n["A1d"], text="配套资金未落实。")
    n["Ef"] = s.extension_request(actor=c.finance_liaison, assignment=n["A1f"], reason="财政资金调度需要时间。",
                                  requested_deadline=D(2026, 8, 15))
    n["Bf"] = s.blocker_raise(actor=c.finance_liaison, assignment=n["A1f"], text="上级专项资金尚未下达。")
    n["I1"] = s.instruction_write(actor=c.leader, task=t1, text="要加快进度，月底前再报。")
    n["M1"] = Milestone.objects.get(task=t1)

    t2 = n["T2"] = task(sup, d_pref, "推进老旧小区改造", [drc])
    n["A2d"] = _at(t2, drc)
    n["E2"] = s.extension_request(actor=c.drc_liaison, assignment=n["A2d"], reason="汛期停工。",
                                  requested_deadline=D(2026, 8, 31))

    def finished(title, verify=False, close=False):
        t = task(sup, d_pref, title, [drc])
        a = s.assignment_sign(actor=c.drc_liaison, assignment=_at(t, drc))
        report = s.report_submit(actor=c.drc_head, assignment=a, text=f"{title}已全部完成。", progress=100,
                                 is_final=True, files=[("验收报告.pdf", PDF)])
        if verify:
            s.assignment_verify(actor=sup, assignment=a, comment="核验属实。")
        if close:
            s.task_close(actor=sup, task=t, note="经实地核验，已办结。")
        return t, _at(t, drc), report

    n["T3"], n["A3d"], n["R3"] = finished("推进农贸市场提升改造")
    n["T4"], n["A4d"], n["R4"] = finished("推进背街小巷整治", verify=True)
    n["T5"], n["A5d"], n["R5"] = finished("推进公厕新建改建", verify=True, close=True)

    t6 = n["T6"] = task(sup, d_pref, "推进地下管网普查", [drc])
    n["A6d"] = s.assignment_return(actor=c.drc_liaison, assignment=_at(t6, drc), reason="不属于本单位职责。")
    t7 = n["T7"] = task(sup, d_pref, "推进停车场建设", [drc])
    n["A7d"] = s.assignment_sign(actor=c.drc_liaison, assignment=_at(t7, drc))

    # 甲县 receives TP and decomposes it into TC for its 发改局 (lead) and 城关镇 (helps).
    tp = n["TP"] = task(sup, d_county, "推进产业园区建设", [c.county])
    n["AP"] = s.assignment_sign(actor=c.county_liaison, assignment=_at(tp, c.county))
    tc = s.task_create(actor=c.county_supervisor, decision=None, parent_assignment=n["AP"],
                       title="推进甲县产业园区道路建设", lead_unit_ids=[c.county_drc.pk],
                       cooperating_unit_ids=[c.township.pk], milestones=[("完成路基", D(2026, 7, 15))])
    tc = n["TC"] = s.task_assign(actor=c.county_supervisor, task=tc)
    n["AC"] = s.assignment_sign(actor=c.county_drc_liaison, assignment=_at(tc, c.county_drc))
    n["ACt"] = _at(tc, c.township)
    n["RC"] = s.report_submit(actor=c.county_drc_head, assignment=n["AC"], text="路基完成一半。", progress=50,
                              files=[("路基.jpg", JPEG)])
    n["EC"] = s.extension_request(actor=c.county_drc_liaison, assignment=n["AC"], reason="雨季影响施工。",
                                  requested_deadline=D(2026, 8, 31))
    n["BC"] = s.blocker_raise(actor=c.county_drc_liaison, assignment=n["AC"], text="沿线拆迁未完成。")
    n["IC"] = s.instruction_write(actor=c.leader, task=tc, text="请甲县抓紧推进。")
    n["MC"] = Milestone.objects.get(task=tc)
    # 催办单 to 州发改委 (its liaison and head are told) and to 乙县发改局 by their own supervisor.
    n["U7"] = urge_send(actor=sup, assignment=n["A7d"], message="请于本周内报送进展。")
    n["NL"] = Notice.objects.get(urge=n["U7"], recipient=c.drc_liaison)

    # 乙县's own task.
    tb = n["TB"] = task(c.other_supervisor, d_b, "推进乙县农村公路提升", [c.other_drc],
                        milestones=[("完成招标", D(2026, 6, 20))])
    n["AB"] = s.assignment_sign(actor=c.other_liaison, assignment=_at(tb, c.other_drc))
    n["RB"] = s.report_submit(actor=people["other_head"], assignment=n["AB"], text="已完成招标。", progress=20,
                              files=[("招标公告.pdf", PDF)])
    n["EB"] = s.extension_request(actor=c.other_liaison, assignment=n["AB"], reason="资金未到位。",
                                  requested_deadline=D(2026, 8, 31))
    n["BB"] = s.blocker_raise(actor=c.other_liaison, assignment=n["AB"], text="配套资金缺口较大。")
    n["MB"] = Milestone.objects.get(task=tb)
    n["UB"] = urge_send(actor=c.other_supervisor, assignment=n["AB"], message="请加快招标进度。")

    # 邻州's task: out of everyone's reach in 示范州.
    nb_sup = people["nb_supervisor"]
    tn = n["TN"] = task(nb_sup, d_n, "推进邻州高速连接线建设", [neighbour_drc],
                        milestones=[("完成勘察", D(2026, 6, 25))])
    n["AN"] = s.assignment_sign(actor=people["nb_liaison"], assignment=_at(tn, neighbour_drc))
    n["RN"] = s.report_submit(actor=people["nb_head"], assignment=n["AN"], text="勘察完成。", progress=30,
                              files=[("勘察报告.pdf", PDF)])
    n["EN"] = s.extension_request(actor=people["nb_liaison"], assignment=n["AN"], reason="征地延误。",
                                  requested_deadline=D(2026, 8, 31))
    n["BN"] = s.blocker_raise(actor=people["nb_liaison"], assignment=n["AN"], text="跨州协调困难。")
    n["MN"] = Milestone.objects.get(task=tn)

    n["J1"] = confidence_record(actor=sup, task=t1, level="yellow", reason="用地指标尚未落实，按期完成有风险。")
    # June's bulletins, Word only (a PDF takes seconds): each scope's own supervisor makes it.
    june = month(2026, 6)
    for name, maker, scope in (("BLp", sup, c.prefecture), ("BLc", c.county_supervisor, c.county),
                               ("BLo", c.other_supervisor, c.other_county), ("BLn", nb_sup, neighbour)):
        n[name] = bulletin_generate(actor=maker, scope_unit=scope, period=june, formats=("docx",))
    # 智能分解: each office's supervisor reads minutes naming units below their own.
    n["X1"] = extraction_create(actor=sup, text=MINUTES_PREFECTURE)
    n["X2"] = extraction_create(actor=c.other_supervisor, text=MINUTES_OTHER_COUNTY)
    for name in ("X1", "X2"):
        for letter, item in zip("abc", ProposedTask.objects.filter(extraction=n[name]).order_by("position"),
                                strict=False):
            n[name + letter] = item
    _clues(c, n, people)
    # Units named by what the matrix does with them (the scope of a new bulletin).
    n.update(Upref=c.prefecture, Ucounty=c.county, Uother=c.other_county)

    actors = {
        "supervisor": c.supervisor, "leader": c.leader, "unit_head": c.drc_head, "liaison": c.drc_liaison,
        "inspector": people["inspector"], "sysadmin": c.sysadmin, "secadmin": people["secadmin"],
        "auditor": people["auditor"], "outsider_supervisor": c.other_supervisor,
        "outsider_liaison": c.other_liaison, "anonymous": None,
    }
    tokens, spare = {}, {}
    for role, user in actors.items():
        if user is not None:
            tokens[role] = token_create(actor=user, name="接口测试", days=30)[1]
            spare[role] = token_create(actor=user, name="备用令牌", days=30)[0]
    foreign = token_create(actor=c.county_supervisor, name="甲县台账同步", days=30)[0]
    return World(cast=c, actors=actors, tokens=tokens, spare_tokens=spare, foreign_token=foreign, named=n,
                 people=people)


def contact_traces(name: str, phone: str, clue: Clue | None = None) -> set[str]:
    """Every form in which a sender's contact could show: the name, the phone as given, as digits, grouped by
    spaces or dashes, masked (139****5678) or its masked tail (****5678); with the clue, also the phone's
    keyed hash and the sealed columns themselves (which only voice_clue and the per-phone rate window hold);
    and each of these as JSON writes it with non-ASCII escaped."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11:
        parts = (digits[:3], digits[3:7], digits[7:])
    else:  # a landline: the area code, then the number
        area = phone.split("-")[0] if "-" in phone else digits[:4]
        parts = (area, digits[len(area):])
    plain = {name, phone, digits, " ".join(parts), "-".join(parts), mask_phone(digits), "****" + digits[-4:]}
    if clue is not None:
        plain |= {clue.phone_key, clue.contact_name_sealed, clue.contact_phone_sealed}
    plain.discard("")
    return plain | {json.dumps(text)[1:-1] for text in plain}


def readable(data: bytes) -> str:
    """A response's bytes as text to search; a zip (.xlsx, .docx) is read member by member."""
    text = data.decode("utf-8", "replace")
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                text += "\n".join(archive.read(m).decode("utf-8", "replace") for m in archive.namelist())
        except zipfile.BadZipFile:
            pass  # a file that only starts like one (the world's evidence): its bytes are searched as they are
    return text


def _clues(c, n, people) -> None:
    """群众线索 in each state the API acts on, sent through the public door from distinct addresses."""
    def sent(name, place, address):
        contact = CONTACTS.get(name, ("", ""))
        return clue_submit(category="housing", description=CLUE_STORIES[name], place_unit_id=place.pk,
                           name=contact[0], phone=contact[1], address=address)

    ck = sent("CK", c.pref_drc, "198.51.100.1")
    n["CK"] = clue_forward(actor=c.supervisor, clue=ck, unit_ids=[c.pref_drc.pk])
    n["TK"] = n["CK"].task
    s.assignment_sign(actor=c.drc_liaison, assignment=_at(n["TK"], c.pref_drc))
    n["CM"] = clue_merge(actor=c.supervisor, clue=sent("CM", c.pref_drc, "198.51.100.2"), into=n["CK"])
    n["CA"] = clue_attach(actor=c.supervisor, clue=sent("CA", c.pref_drc, "198.51.100.3"), task=n["T7"])
    clue_answer(actor=c.drc_liaison, clue=n["CA"], text=CLUE_ANSWER)
    n["CR"] = sent("CR", c.township, "198.51.100.4")
    n["CB"] = sent("CB", c.other_drc, "198.51.100.5")
    cn = sent("CN", n["neighbour_drc"], "198.51.100.6")
    n["CN"] = clue_forward(actor=people["nb_supervisor"], clue=cn, unit_ids=[n["neighbour_drc"].pk])
    for name in ("CK", "CM", "CA", "CR", "CB", "CN"):
        n[name] = Clue.objects.get(pk=n[name].pk)  # as they are now, with their current version


# ---- who may see what ---------------------------------------------------------------------------


class Oracle:
    """Visibility by the plain rules of DESIGN.md, over the rows as they are now.

    - The three administrators see no business content; the auditor reads the whole trail, the sysadmin
      the unit tree, the sysadmin and the secadmin every person.
    - A supervisor, leader or inspector follows the tasks their unit's subtree owns or holds an assignment
      of, with everything hanging from them; a leader also follows the tasks they are responsible for.
    - A liaison or unit head sees the tasks assigned to their own unit, and of those only their own unit's
      assignments, reports, extensions and blockers.
    - A report still inside its unit (unit review, or sent back there) is seen by that unit only, and so
      are the blockers and files that came with it.
    - The timeline of a task (its events) shows what the person may see of the task: not the steps of a
      report, blocker or extension hidden from them.
    - A document read by 智能分解, and its proposed tasks, are seen by the supervisors of the office that
      read it, and by nobody else: not by a supervisor above or below, not by the administrators.
    - A 群众线索 is seen by the supervisors, leaders and inspectors of its office's subtree, and by whoever
      may see the task it went into (the units assigned it). Who sent it is read only by its triage office:
      a supervisor whose unit is the clue's office or above it.
    """

    def __init__(self):
        self.units = {u.pk: u for u in Unit.objects.all()}
        self.tasks = {t.pk: t for t in Task.objects.all()}
        self.assignments = {a.pk: a for a in Assignment.objects.all()}
        self.reports = {r.pk: r for r in Report.objects.all()}
        self.blockers = {b.pk: b for b in Blocker.objects.all()}
        self.extensions = {e.pk: e for e in Extension.objects.all()}
        self.extractions = {x.pk: x for x in Extraction.objects.all()}
        self.units_of_task = defaultdict(set)
        for a in self.assignments.values():
            self.units_of_task[a.task_id].add(a.unit_id)
        self.roles = defaultdict(set)
        for grant in RoleGrant.objects.all():
            self.roles[grant.user_id].add(grant.role)

    # -- facts about a person --

    def _business(self, user) -> set:
        if user is None or not user.is_active:
            return set()
        return self.roles[user.pk] - ADMIN_ROLES

    def _admin(self, user) -> set:
        if user is None or not user.is_active:
            return set()
        return self.roles[user.pk] & ADMIN_ROLES

    def below(self, unit_id, root_id) -> bool:
        """`unit_id` is `root_id` or under it, walking the parent links."""
        while unit_id is not None:
            if unit_id == root_id:
                return True
            unit_id = self.units[unit_id].parent_id
        return False

    def follows(self, user, task) -> bool:
        business = self._business(user)
        if not business:
            return False
        if task.responsible_leader_id == user.pk:
            return True
        if not business & OVERSIGHT or user.unit_id is None:
            return False
        held = self.units_of_task[task.pk] | {task.owner_unit_id}
        return any(self.below(u, user.unit_id) for u in held)

    def at_unit(self, user, unit_id) -> bool:
        return bool(self._business(user) & IN_UNIT) and user.unit_id == unit_id

    # -- one rule per kind --

    def task(self, user, t) -> bool:
        return self.follows(user, t) or any(self.at_unit(user, u) for u in self.units_of_task[t.pk])

    def decision(self, user, d) -> bool:
        business = self._business(user)
        if any(self.task(user, t) for t in self.tasks.values() if t.decision_id == d.pk):
            return True
        return bool(business & {Role.SUPERVISOR, Role.LEADER}) and user.unit_id is not None and self.below(
            d.owner_unit_id, user.unit_id)

    def assignment(self, user, a) -> bool:
        return self.follows(user, self.tasks[a.task_id]) or self.at_unit(user, a.unit_id)

    def report(self, user, r) -> bool:
        a = self.assignments[r.assignment_id]
        if self.at_unit(user, a.unit_id):
            return True
        return self.follows(user, self.tasks[a.task_id]) and r.state in RELEASED

    def blocker(self, user, b) -> bool:
        a = self.assignments[b.assignment_id]
        released = b.report_id is None or self.reports[b.report_id].state in RELEASED
        if self.at_unit(user, a.unit_id):
            return True
        if self._business(user) and b.escalated_to_id == user.pk:
            return True
        return self.follows(user, self.tasks[a.task_id]) and released

    def extension(self, user, e) -> bool:
        return self.assignment(user, self.assignments[e.assignment_id])

    def evidence(self, user, e) -> bool:
        return self.report(user, self.reports[e.report_id])

    def part(self, user, p) -> bool:
        return self.task(user, self.tasks[p.task_id])

    def event(self, user, e) -> bool:
        """A step of a visible task's timeline, unless it is about a report, blocker or extension the
        person may not see: the timeline must not tell what the lists hide."""
        if Role.AUDITOR in self._admin(user):
            return True
        if e.task_id is None or not self.task(user, self.tasks[e.task_id]):
            return False
        about = {"report": (self.reports, self.report), "blocker": (self.blockers, self.blocker),
                 "extension": (self.extensions, self.extension)}.get(e.object_type)
        if about is None:
            return True
        rows, rule = about
        return e.object_id not in rows or rule(user, rows[e.object_id])

    def bulletin(self, user, b) -> bool:
        """A supervisor, leader or inspector whose unit's subtree holds the bulletin's scope unit."""
        return (bool(self._business(user) & OVERSIGHT) and user.unit_id is not None
                and self.below(b.scope_unit_id, user.unit_id))

    def extraction(self, user, x) -> bool:
        return Role.SUPERVISOR in self._business(user) and user.unit_id == x.unit_id

    def proposed_task(self, user, p) -> bool:
        return self.extraction(user, self.extractions[p.extraction_id])

    def clue(self, user, cl) -> bool:
        business = self._business(user)
        if business & OVERSIGHT and user.unit_id is not None and self.below(cl.office_id, user.unit_id):
            return True
        return cl.task_id is not None and self.task(user, self.tasks[cl.task_id])

    def contact(self, user, cl) -> bool:
        return (Role.SUPERVISOR in self._business(user) and user.unit_id is not None
                and self.below(cl.office_id, user.unit_id))

    def unit(self, user, u) -> bool:
        return u.is_active and (bool(self._business(user)) or Role.SYSADMIN in self._admin(user))

    def person(self, user, p) -> bool:
        if self._admin(user) & {Role.SYSADMIN, Role.SECADMIN}:
            return True
        return (bool(self._business(user)) and user.unit_id is not None and p.is_active
                and p.unit_id is not None
                and self.below(p.unit_id, user.unit_id))

    def token(self, user, t) -> bool:
        return user is not None and t.user_id == user.pk

    def notice(self, user, n) -> bool:
        return user is not None and n.recipient_id == user.pk

    def urge(self, user, u) -> bool:
        return self.task(user, self.tasks[u.task_id])

    def sees(self, user, kind, row) -> bool:
        rule = {"milestone": self.part, "instruction": self.part}.get(kind) or getattr(self, kind)
        return rule(user, row)


# The kind of row each path parameter of the API names.
PATH_KINDS = {
    "task_id": "task", "assignment_id": "assignment", "report_id": "report", "extension_id": "extension",
    "blocker_id": "blocker", "evidence_id": "evidence", "milestone_id": "milestone",
    "decision_id": "decision",
    "unit_id": "unit", "person_id": "person", "token_id": "token", "notice_id": "notice",
    "bulletin_id": "bulletin", "extraction_id": "extraction", "item_id": "proposed_task", "clue_id": "clue",
}
# Path parameters that name no row, after the one that does, and the value they are given.
PATH_VALUES = {"kind": "docx"}

# The models behind each kind of row. `rows_of` gives them in the order they were made, which is the order
# the matrix tries them in: T1's rows come early, so the first row a role may not see is often the nearest
# one (another unit's part of the same task, a draft of the own task), and the last one the farthest (邻州).
KIND_MODELS = {
    "decision": Decision, "task": Task, "assignment": Assignment, "report": Report, "extension": Extension,
    "blocker": Blocker, "evidence": Evidence, "milestone": Milestone, "instruction": Instruction,
    "unit": Unit,
    "person": User, "event": Event, "notice": Notice, "urge": Urge, "bulletin": Bulletin,
    "confidence": TaskConfidence, "extraction": Extraction, "proposed_task": ProposedTask, "clue": Clue,
}


def rows_of(kind):
    model = KIND_MODELS[kind]
    order = "seq" if kind == "event" else "pk"
    return list(model.objects.order_by(order))
