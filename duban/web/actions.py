"""The actions a person may take now on a task and its parts, each one form and one service call.

`available` decides which actions a page offers (and only those): the same conditions the
services check, read from rows the page has already loaded, so offering costs no query. The
services still have the last word on every POST.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.urls import reverse

from duban.core import clock
from duban.escalation.services import urge_send
from duban.org.models import Role, Unit
from duban.org.selectors import leader_above_get_for, leader_above_list_for
from duban.supervision import services
from duban.supervision.access import in_subtree
from duban.supervision.models import (
    AssignmentRole,
    AssignmentState,
    BlockerState,
    ExtensionState,
    Light,
    ReportState,
    TaskState,
)
from duban.web.forms import (
    ChoiceForm,
    ConfirmForm,
    DecideForm,
    ExtensionDecideForm,
    ExtensionRequestForm,
    ReportForm,
    TextForm,
)

LIVE = (AssignmentState.PENDING, AssignmentState.IN_PROGRESS, AssignmentState.REVIEW)


@dataclass(frozen=True)
class Action:
    kind: str  # the object it acts on: task, assignment, report, extension, blocker, milestone
    name: str
    label: str
    form: Callable  # (data, files, obj, page) -> Form
    run: Callable  # (user, obj, form) -> success message
    errors: dict[str, str] = field(default_factory=dict)  # DomainError code -> form field
    primary: bool = False
    danger: bool = False
    confirm: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}.{self.name}"


# ---- who is who, for one task (no query: the page has the rows) ------------------------------------


def supervises(user, task) -> bool:
    return user.has_role(Role.SUPERVISOR) and in_subtree(task.owner_unit, user.unit)


def leads(user, task) -> bool:
    return user.has_role(Role.LEADER) and (task.responsible_leader_id == user.pk
                                           or in_subtree(task.owner_unit, user.unit))


def acts_for(user, assignment, roles=(Role.LIAISON, Role.UNIT_HEAD)) -> bool:
    return user.unit_id == assignment.unit_id and user.has_role(*roles)


# ---- the forms, built for one object --------------------------------------------------------------


def _text(label: str, required: bool = True, help_text: str = ""):
    return lambda data, files, obj, page: TextForm(data, label=label, required=required, help_text=help_text)


def _confirm(data, files, obj, page):
    return ConfirmForm(data)


def _decide(data, files, obj, page):
    return DecideForm(data)


def _report_form(data, files, obj, page):
    form = ReportForm(data, files, targets=page.targets if page else ())
    if obj is not None:
        # As the unit writes, duban says whether the draft repeats an earlier report or is mostly stock phrases.
        form.check_url = reverse("web:report_check", args=[obj.pk])
        form.fields["text"].widget.attrs.update({
            "hx-post": form.check_url, "hx-trigger": "input changed delay:1s, change",
            "hx-target": f"#report-check-{obj.pk}", "hx-swap": "innerHTML"})
        form.check_id = f"report-check-{obj.pk}"
    return form


def _reassign_form(data, files, obj, page):
    return ChoiceForm(data, label="改派给", choices=page.reassign_choices if page else [])


def _escalate_form(data, files, obj, page):
    return ChoiceForm(data, label="提请哪位领导协调", choices=page.leader_choices if page else [])


# ---- what each action does: one service call ---------------------------------------------------------


def _reassign(user, a, form):
    unit = Unit.objects.filter(pk=form.cleaned_data["choice"], is_active=True).first()
    if unit is None:
        form.add_error("choice", "请从列表中选择单位。")
        raise forms.ValidationError("invalid")
    new = services.assignment_reassign(actor=user, assignment=a, unit=unit)
    return f"已改派给{new.unit.name}。"


def _verify_or_reject(user, a, form):
    if form.cleaned_data["accept"]:
        services.assignment_verify(actor=user, assignment=a, comment=form.cleaned_data["comment"])
        return f"已审核通过{a.unit.display_name}的办结申请。"
    services.assignment_reject(actor=user, assignment=a, comment=form.cleaned_data["comment"])
    return f"已退回{a.unit.display_name}的办结申请。"


def _report(user, a, form):
    report = services.report_submit(
        actor=user, assignment=a, text=form.cleaned_data["text"], progress=form.cleaned_data["progress"],
        is_final=form.cleaned_data["is_final"], target_values=form.target_values(),
        blockers=[form.cleaned_data["blocker"]] if form.cleaned_data["blocker"].strip() else None,
        files=form.file_contents())
    if report.state == ReportState.UNIT_REVIEW:
        return "已提交，等待本单位负责人审核后报送督查室。"
    return "已报送督查室。"


def _escalate(user, blocker, form):
    leader = leader_above_get_for(user=user, id=form.cleaned_data["choice"])
    services.blocker_escalate(actor=user, blocker=blocker, leader=leader)
    return f"已提请{leader.full_name}协调。"


def _extension_decide(user, ext, form):
    d = form.cleaned_data
    services.extension_decide(actor=user, extension=ext, approve=d["approve"], comment=d["comment"],
                              granted_deadline=d["granted_deadline"])
    return "已批准延期。" if d["approve"] else "已不予批准，并告知理由。"


def _unit_review(user, report, form):
    d = form.cleaned_data
    services.report_unit_approve(actor=user, report=report, approve=d["accept"], comment=d["comment"])
    return "已审核通过，报送督查室。" if d["accept"] else "已退回联络员修改。"


def _review(user, report, form):
    d = form.cleaned_data
    services.report_review(actor=user, report=report, accept=d["accept"], comment=d["comment"])
    return "已采纳这份反馈。" if d["accept"] else "已退回重报，并告知还差什么。"


COMMENT_ERRORS = {"review_comment_required": "comment", "extension_comment_required": "comment"}

ACTIONS = {a.key: a for a in [
    Action("task", "assign", "交办", _confirm, primary=True,
           run=lambda u, t, f: (services.task_assign(actor=u, task=t), "已交办，各承办单位已收到交办通知。")[1],
           confirm="交办后各单位将收到通知并开始计时，确定交办？"),
    Action("task", "instruct", "批示", _text("批示内容"), primary=True,
           run=lambda u, t, f: (services.instruction_write(actor=u, task=t, text=f.cleaned_data["text"]),
                                "批示已送达各承办单位。")[1],
           errors={"instruction_text_required": "text"}),
    Action("task", "reinstruct", "批示并重新交办", _text("批示内容", help_text="该事项已销号：批示后将开启新一轮办理，"
                                                                     "各承办单位需重新签收。"),
           run=lambda u, t, f: (services.instruction_write(actor=u, task=t, text=f.cleaned_data["text"]),
                                "批示已送达，事项已重新交办。")[1],
           errors={"instruction_text_required": "text"},
           confirm="批示后该事项将重新交办，各承办单位需重新签收办理。确定？"),
    Action("task", "leader_read", "阅示", _confirm, primary=True,
           run=lambda u, t, f: (services.task_leader_read(actor=u, task=t), "已阅示。")[1]),
    Action("task", "close", "销号", _text("核验意见和佐证情况"), primary=True,
           run=lambda u, t, f: (services.task_close(actor=u, task=t, note=f.cleaned_data["text"]), "已销号。")[1],
           errors={"task_close_note_required": "text"}),
    Action("task", "cancel", "撤销事项", _text("撤销理由"), danger=True,
           run=lambda u, t, f: (services.task_cancel(actor=u, task=t, reason=f.cleaned_data["text"]), "已撤销。")[1],
           errors={"task_cancel_reason_required": "text"}, confirm="撤销后各单位的办理一并终止，确定撤销？"),
    Action("assignment", "sign", "签收", _confirm, primary=True,
           run=lambda u, a, f: (services.assignment_sign(actor=u, assignment=a), "已签收，请按时限办理并反馈。")[1]),
    Action("assignment", "return", "退办", _text("退办理由", help_text="如：不属于本单位职责，建议由××单位承办。"),
           danger=True,
           run=lambda u, a, f: (services.assignment_return(actor=u, assignment=a, reason=f.cleaned_data["text"]),
                                "已退办，等待督查室改派。")[1],
           errors={"assignment_return_reason_required": "text"}),
    Action("assignment", "report", "反馈进展", _report_form, primary=True, run=_report,
           errors={"report_text_required": "text", "report_progress_invalid": "progress",
                   "report_final_needs_100": "progress", "evidence_type_rejected": "files",
                   "evidence_too_large": "files", "evidence_empty": "files", "target_value_invalid": "text",
                   "blocker_text_required": "blocker"}),
    Action("assignment", "extension", "申请延期", lambda data, files, obj, page: ExtensionRequestForm(data),
           run=lambda u, a, f: (services.extension_request(actor=u, assignment=a, reason=f.cleaned_data["reason"],
                                                           requested_deadline=f.cleaned_data["requested_deadline"]),
                                "延期申请已提交，等待批复。")[1],
           errors={"extension_reason_required": "reason", "extension_not_later": "requested_deadline",
                   "extension_too_late": "requested_deadline", "extension_no_deadline": "requested_deadline"}),
    Action("assignment", "blocker", "提出堵点难点", _text("堵点难点"),
           run=lambda u, a, f: (services.blocker_raise(actor=u, assignment=a, text=f.cleaned_data["text"]),
                                "已提交督查室协调。")[1],
           errors={"blocker_text_required": "text"}),
    Action("assignment", "reassign", "改派", _reassign_form, primary=True, run=_reassign,
           errors={"task_unit_out_of_scope": "choice", "assignment_unit_already": "choice"}),
    Action("assignment", "review", "审核办结申请", _decide, primary=True, run=_verify_or_reject,
           errors=COMMENT_ERRORS),
    Action("assignment", "urge", "催办", _text("催办内容", help_text="写明催办的事项和要求，单位联络员和负责人即时收到。"),
           run=lambda u, a, f: (urge_send(actor=u, assignment=a, message=f.cleaned_data["text"]),
                                f"已向{a.unit.display_name}发出催办单。")[1],
           errors={"urge_message_required": "text"}),
    Action("assignment", "objective_reason", "记录客观原因",
           lambda data, files, obj, page: TextForm(
               data, label="客观原因", required=False, initial={"text": obj.objective_reason},
               help_text="逾期确因客观原因的，写明原因（留空则清除）；效能评估和督查通报据此说明。"),
           run=lambda u, a, f: (services.assignment_objective_reason(actor=u, assignment=a, reason=f.cleaned_data["text"]),
                                "已记录客观原因。" if f.cleaned_data["text"].strip() else "已清除客观原因。")[1],
           errors={"objective_reason_too_long": "text"}),
    Action("report", "unit_review", "单位审核", _decide, primary=True, run=_unit_review, errors=COMMENT_ERRORS),
    Action("report", "review", "审核反馈", _decide, primary=True, run=_review, errors=COMMENT_ERRORS),
    Action("extension", "decide", "批复延期", lambda data, files, obj, page: ExtensionDecideForm(data),
           primary=True, run=_extension_decide,
           errors={**COMMENT_ERRORS, "extension_not_later": "granted_deadline"}),
    Action("milestone", "complete", "标记节点完成", _confirm,
           run=lambda u, m, f: (services.milestone_complete(actor=u, milestone=m), f"节点“{m.title}”已完成。")[1]),
    Action("blocker", "escalate", "提请领导协调", _escalate_form, run=_escalate,
           errors={"blocker_leader_invalid": "choice"}),
    Action("blocker", "answer", "答复协调意见", _text("协调意见"), primary=True,
           run=lambda u, b, f: (services.blocker_answer(actor=u, blocker=b, answer=f.cleaned_data["text"]),
                                "已答复。")[1],
           errors={"blocker_answer_required": "text"}),
]}


# ---- which are open to this person now ------------------------------------------------------------


def task_actions(user, task, assignments) -> list[str]:
    names = []
    if supervises(user, task):
        if task.state == TaskState.DRAFT:
            names.append("assign")
        leads_live = [a for a in assignments if a.role == AssignmentRole.LEAD
                      and a.state not in (AssignmentState.REASSIGNED, AssignmentState.CANCELLED)]
        if task.state == TaskState.CLOSING and leads_live and all(a.state == AssignmentState.DONE
                                                                  for a in leads_live):
            names.append("close")
    if leads(user, task):
        if task.state == TaskState.CLOSED:
            if task.leader_read_at is None:
                names.append("leader_read")
            names.append("reinstruct")
        elif task.state not in (TaskState.CANCELLED, TaskState.DRAFT):
            names.append("instruct")
    if supervises(user, task) and task.state not in (TaskState.CLOSED, TaskState.CANCELLED):
        names.append("cancel")
    return names


def extension_open(a) -> bool:
    """An extension may be asked while the deadline has not passed (unless the office allows it later)."""
    return bool(a.deadline) and (not settings.DUBAN_EXTENSION_BEFORE_DEADLINE
                                 or clock.passed_through() < a.deadline)


def assignment_actions(user, task, a, waiting_unit: bool, pending_extension: bool) -> list[str]:
    names = []
    if acts_for(user, a):
        if a.state == AssignmentState.PENDING:
            names += ["sign", "return"]
        if a.state == AssignmentState.IN_PROGRESS and not waiting_unit:
            names.append("report")
        if a.state in (AssignmentState.PENDING, AssignmentState.IN_PROGRESS) and not pending_extension \
                and extension_open(a):
            names.append("extension")
        if a.state in LIVE:
            names.append("blocker")
    if supervises(user, task):
        if a.state == AssignmentState.RETURNED:
            names.append("reassign")
        if a.state == AssignmentState.REVIEW:
            names.append("review")
        if a.state in LIVE:
            names.append("urge")
        if a.light in (Light.RED, Light.DONE_LATE) or a.objective_reason:
            names.append("objective_reason")
    return names


def report_actions(user, task, report) -> list[str]:
    names = []
    if report.state == ReportState.UNIT_REVIEW and acts_for(user, report.assignment, roles=(Role.UNIT_HEAD,)):
        names.append("unit_review")
    if report.state == ReportState.SUBMITTED and not report.is_final and supervises(user, task):
        names.append("review")
    return names


def extension_actions(user, task, ext) -> list[str]:
    if ext.state != ExtensionState.PENDING:
        return []
    allowed = leads(user, task) if task.is_key else supervises(user, task)
    return ["decide"] if allowed else []


def blocker_actions(user, task, blocker) -> list[str]:
    names = []
    if blocker.state == BlockerState.OPEN and supervises(user, task):
        names.append("escalate")
    if blocker.state in (BlockerState.OPEN, BlockerState.ESCALATED) and (
            blocker.escalated_to_id == user.pk or leads(user, task) or supervises(user, task)):
        names.append("answer")
    return names


def milestone_actions(user, task, milestone, assignments) -> list[str]:
    if milestone.done_at is not None or task.state not in (TaskState.ASSIGNED, TaskState.IN_PROGRESS,
                                                             TaskState.CLOSING):
        return []
    lead_here = any(a.role == AssignmentRole.LEAD and a.state in (AssignmentState.IN_PROGRESS, AssignmentState.REVIEW)
                    and acts_for(user, a) for a in assignments)
    return ["complete"] if lead_here or supervises(user, task) else []


def edits(user, task) -> bool:
    """修改事项 (its own page): the task's supervisors, until it is closed or cancelled."""
    return supervises(user, task) and task.state not in (TaskState.CLOSED, TaskState.CANCELLED)


def decomposes(user, a) -> bool:
    """层层分解 (its own page): a supervisor of the unit that signed the assignment passes it on below."""
    return (user.has_role(Role.SUPERVISOR) and user.unit_id == a.unit_id
            and a.state == AssignmentState.IN_PROGRESS)


def leader_choices(user) -> list[tuple[int, str]]:
    return [(p.pk, f"{p.full_name}（{p.unit.display_name}）") for p in leader_above_list_for(user=user)[:50]]
