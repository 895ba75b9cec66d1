"""群众线索 in the office: the triage queue, one clue's page with its routing (转办, 并入事项, 合并, 不予受理),
the sender's contact for the triage office only (each reading audited), and the lead unit's answer.

Who sees what is the selectors' (duban.voice.selectors): a clue out of scope is a plain 404. The sender's
name and phone reach a page only in the response to the triage office's own POST that reads them.
"""

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from duban.core import clock
from duban.core.errors import DomainError, NotFound
from duban.org.models import Role, Unit
from duban.org.selectors import viewer_of
from duban.supervision.models import Assignment, AssignmentRole, AssignmentState, ReportState, TaskState
from duban.supervision.selectors import task_list_for
from duban.voice.models import Clue, ClueCategory, CluePhoto, ClueState
from duban.voice.routing import units_suggested
from duban.voice.selectors import clue_get_for, clue_list_for, may_triage
from duban.voice.services import (
    clue_answer,
    clue_attach,
    clue_contact_reveal,
    clue_decline,
    clue_forward,
    clue_merge,
)
from duban.voice.services.common import answer_deadline
from duban.voice.suggest import similar_for_page
from duban.web.forms_decisions import DATE_ERRORS, DATE_INPUT, UnitTreeChoices, units_in_scope
from duban.web.views.common import business_page, error_into_form, page_of, photo_response, url_filters

FILTERS = ("state", "category", "q")
AWAITING_ANSWER = (ClueState.FORWARDED, ClueState.REOPENED)
# The queue opens on what still needs someone; 全部 (every state, the closed ones too) is asked for.
DEFAULT_STATE = "open"
ALL_STATES = "all"
NUMBER = re.compile(r"^XS\d{4}-0*(\d+)$")

# What needs someone first: new clues to route, then those reopened, then those being handled.
QUEUE_ORDER = Case(
    When(state=ClueState.RECEIVED, then=Value(0)),
    When(state=ClueState.REOPENED, then=Value(1)),
    When(state=ClueState.FORWARDED, then=Value(2)),
    When(state=ClueState.ANSWERED, then=Value(3)),
    default=Value(4), output_field=IntegerField(),
)

ERROR_FIELDS = {
    "clue_unit_required": "units",
    "task_lead_required": "units",
    "task_unit_out_of_scope": "units",
    "task_unit_twice": "units",
    "unit_unknown": "units",
    "clue_deadline_past": "deadline",
    "task_deadline_past": "deadline",
    "task_title_required_too_long": "title",
    "clue_task_out_of_scope": "task_code",
    "clue_task_not_open": "task_code",
    "clue_merge_self": "into_number",
    "clue_merge_out_of_scope": "into_number",
    "clue_merge_target_closed": "into_number",
    "clue_decline_reason_required": "reason",
    "clue_decline_reason_required_too_long": "reason",
    "clue_answer_required": "text",
    "clue_answer_required_too_long": "text",
    "clue_answer_short": "text",
    "clue_answer_needs_sign": "text",
    "clue_answer_awaiting_unit": "text",
}


# ---- forms ------------------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    q = forms.CharField(label="关键词", required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "反映内容、地点"}))
    state = forms.ChoiceField(label="状态", required=False,
                              choices=[(DEFAULT_STATE, "在办（待分办、办理中、重办）"), (ALL_STATES, "全部"),
                                       *ClueState.choices],
                              error_messages={"invalid_choice": "请从列表中选择状态。"})
    category = forms.ChoiceField(label="类别", required=False, choices=[("", "全部"), *ClueCategory.choices],
                                 error_messages={"invalid_choice": "请从列表中选择类别。"})


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ForwardForm(VersionedForm):
    units = UnitTreeChoices(label="承办单位", queryset=Unit.objects.none(),
                            widget=forms.SelectMultiple(attrs={"size": 8}),
                            error_messages={"required": "请选择承办单位。",
                                            "invalid_choice": "所选单位不在本单位的交办范围内，或已停用。",
                                            "invalid_pk_value": "所选单位无效。"},
                            help_text="属地优先：第一个为牵头单位，负责答复群众；其余为配合单位。")
    title = forms.CharField(label="事项标题", required=False, max_length=300,
                            help_text="可不填，默认为“群众反映：”加反映内容的开头。")
    requirements = forms.CharField(label="办理要求", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="可不填，默认为“请核实情况，依法依规办理，并在时限内答复群众。”")
    deadline = forms.DateField(label="答复时限", widget=DATE_INPUT,
                               error_messages={"required": "请填写答复时限。", **DATE_ERRORS})

    def __init__(self, *args, user, suggested: list[Unit], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["units"]
        field.queryset = units_in_scope(user)
        field.base_depth = user.unit.path.strip("/").count("/") if user.unit_id else 0
        if not self.is_bound:
            self.initial["deadline"] = answer_deadline(clock.today())
            if suggested:
                self.initial["units"] = [suggested[0].pk]


class AttachForm(VersionedForm):
    task = forms.IntegerField(label="相似的在办事项", required=False, widget=forms.RadioSelect)
    task_code = forms.CharField(label="或输入事项编号", required=False, max_length=50)

    def offer(self, tasks) -> None:
        self.fields["task"].widget.choices = [(t.pk, f"{t.code} {t.title}") for t in tasks]
        if not tasks:
            self.fields["task"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        if not data.get("task") and not data.get("task_code", "").strip():
            self.add_error("task_code", "请选择相似事项，或输入事项编号。")
        return data


class MergeForm(VersionedForm):
    into = forms.IntegerField(label="相似的线索", required=False, widget=forms.RadioSelect)
    into_number = forms.CharField(label="或输入线索编号", required=False, max_length=30,
                                  widget=forms.TextInput(attrs={"placeholder": "如：XS2026-000123"}))

    def offer(self, clues) -> None:
        self.fields["into"].widget.choices = [(c.pk, f"{c.number} {c.description[:30]}") for c in clues]
        if not clues:
            self.fields["into"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        if not data.get("into") and not data.get("into_number", "").strip():
            self.add_error("into_number", "请选择相似线索，或输入线索编号。")
        return data


class DeclineForm(VersionedForm):
    reason = forms.CharField(label="不予受理的理由", widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请写明不予受理的理由，群众凭查询码可以看到。"},
                             help_text="群众凭查询码可以看到这段话，请写明依据和可以去哪里反映。")


class AnswerForm(VersionedForm):
    text = forms.CharField(label="答复内容", widget=forms.Textarea(attrs={"rows": 6}),
                           error_messages={"required": "请填写答复内容。"},
                           help_text="群众凭查询码可以看到答复：写明核实情况、处理结果和依据（至少20字）。")


# ---- the page ---------------------------------------------------------------------------------------


def _lead_assignment(user, clue: Clue) -> Assignment | None:
    """The lead unit's assignment when this person works in it and the clue waits for its answer."""
    if clue.task_id is None or clue.state not in AWAITING_ANSWER or user.unit_id is None:
        return None
    if not user.has_role(Role.LIAISON, Role.UNIT_HEAD):
        return None
    return (Assignment.objects.filter(task_id=clue.task_id, role=AssignmentRole.LEAD, unit_id=user.unit_id)
            .exclude(state__in=[AssignmentState.REASSIGNED, AssignmentState.CANCELLED]).first())


def _office_answers(clue: Clue) -> bool:
    """The triage office answers the sender itself when no unit was given the clue as its own task to
    answer: kept by the office, joined to a larger task, or its task cancelled."""
    return clue.task_id is None or not clue.owns_task or clue.task.state == TaskState.CANCELLED


def _awaits_unit(reply) -> bool:
    """An answer written, waiting for the unit head's 二级审核 before the sender may read it."""
    return reply.published_at is None and reply.report_id is not None and reply.report.state == ReportState.UNIT_REVIEW


def _timeline(clue: Clue, replies, ratings) -> list[dict]:
    """The clue's path from its own rows: submitted, routed, each answer and rating, closed."""
    lines = [{"at": clue.submitted_at, "what": "群众提交线索", "detail": ""}]
    who = clue.routed_by.full_name if clue.routed_by_id else ""
    if clue.routed_at:
        if clue.state == ClueState.MERGED:
            what, detail = "合并办理", f"并入 {clue.merged_into.number}" if clue.merged_into_id else ""
        elif clue.state == ClueState.DECLINED:
            what, detail = "不予受理", clue.close_reason
        elif clue.owns_task:
            what, detail = "转办", f"{clue.task.code} {clue.task.title}" if clue.task_id else ""
        else:
            what, detail = "并入已有督办事项", f"{clue.task.code} {clue.task.title}" if clue.task_id else ""
        lines.append({"at": clue.routed_at, "what": f"{who} {what}".strip(), "detail": detail})
    for r in replies:
        again = "（重办）" if r.round > 1 else ""
        if r.published_at is not None:
            lines.append({"at": r.published_at, "what": f"{r.unit.name} 答复群众{again}", "detail": r.text})
        elif r.pending:
            lines.append({"at": r.created_at, "what": f"{r.unit.name} 答复已拟{again}，待单位负责人审核", "detail": ""})
    for r in ratings:
        reopened = " · 重办" if r.rating == "unsatisfied" and r.round == 1 else ""
        lines.append({"at": r.created_at, "what": f"群众评价：{r.get_rating_display()}{reopened}", "detail": r.comment})
    if clue.closed_at and clue.state == ClueState.CLOSED:
        lines.append({"at": clue.closed_at, "what": "办结", "detail": ""})
    return sorted(lines, key=lambda line: line["at"])


def _answer_form_open(clue: Clue, triage: bool, lead: Assignment | None, waiting: bool) -> bool:
    if clue.state not in AWAITING_ANSWER or waiting:
        return False
    if lead is not None:
        return not (clue.owns_task and lead.state == AssignmentState.PENDING)
    return triage and _office_answers(clue)


def clue_page_context(request, clue: Clue, failed: tuple[str, forms.Form] | None = None,
                      contact: dict | None = None) -> dict:
    user = request.user
    triage = may_triage(user, clue)
    replies = list(clue.replies.select_related("unit", "report").order_by("round", "id"))
    for r in replies:
        r.pending = _awaits_unit(r)
    # A draft whose report was withdrawn (a 重办 reopened the task) is neither public nor waiting: the next
    # answer replaces it, so the page does not show it.
    replies = [r for r in replies if r.published_at is not None or r.pending]
    waiting = any(r.pending for r in replies)
    ratings = list(clue.ratings.order_by("round", "id"))
    context = {
        "clue": clue,
        "triage": triage,
        "photos": list(clue.photos.order_by("id")),
        "replies": replies,
        "waiting": waiting,
        "timeline": _timeline(clue, replies, ratings),
        "today": clock.today(),
        "overdue": clue.state in AWAITING_ANSWER and clue.deadline is not None and clue.deadline < clock.today(),
        "contact": contact,
        "failed": failed[0] if failed else "",
        "forms": {},
        "suggested": [],
        "similar": [],
    }
    if clue.state == ClueState.RECEIVED and viewer_of(user) is not None and viewer_of(user).oversees:
        context["suggested"] = units_suggested(place=clue.place_unit, office=clue.office)
        context["similar"] = similar_for_page(user=user, clue=clue)
    forms_ = context["forms"]
    version = {"version": clue.version}
    if triage and clue.state == ClueState.RECEIVED:
        forms_["forward"] = ForwardForm(initial=version, user=user, suggested=context["suggested"])
        forms_["attach"] = AttachForm(initial=version)
        forms_["merge"] = MergeForm(initial=version)
        forms_["decline"] = DeclineForm(initial=version)
    lead = _lead_assignment(user, clue)
    context["lead"] = lead
    context["office_answers"] = lead is None and triage
    # With 二级审核, a liaison's answer to a clue of its own task goes to the unit head first.
    context["unit_review"] = (lead is not None and clue.owns_task and settings.DUBAN_UNIT_APPROVAL
                              and not user.has_role(Role.UNIT_HEAD))
    if _answer_form_open(clue, triage, lead, waiting):
        forms_["answer"] = AnswerForm(initial=version)
    if failed and failed[0] in forms_:
        forms_[failed[0]] = failed[1]
    if "attach" in forms_:
        forms_["attach"].offer([s.obj for s in context["similar"] if s.kind == "task"])
        forms_["merge"].offer([s.obj for s in context["similar"] if s.kind == "clue"])
    for name, form in forms_.items():
        form.auto_id = f"{name}-%s"  # many forms on one page: each control's id (and label) its own
    return context


@business_page
@require_safe
def queue(request):
    user = request.user
    filters = url_filters(request, FILTERS)
    filters.setdefault("state", DEFAULT_STATE)
    form = QueueFilterForm(filters)
    page = None
    if not form.is_valid():
        filters = {}
    else:
        asked = {k: v for k, v in filters.items() if not (k == "state" and v == ALL_STATES)}
        try:
            rows = clue_list_for(user=user, filters=asked)
        except DomainError as error:
            error_into_form(form, error)
        else:
            page = page_of(request, rows.order_by(QUEUE_ORDER, "-submitted_at", "-id"))
    today = clock.today()
    for clue in page or []:
        clue.overdue = clue.state in AWAITING_ANSWER and clue.deadline is not None and clue.deadline < today
    return render(request, "web/clues/queue.html", {
        "form": form, "page": page, "rows": list(page) if page else [],
        "filtered": any(k != "state" for k in filters) or filters.get("state") not in (DEFAULT_STATE, ALL_STATES),
        "open_only": filters.get("state") == DEFAULT_STATE,
        "triage": user.has_role(Role.SUPERVISOR),
    })


@business_page
@require_safe
def detail(request, pk: int):
    clue = clue_get_for(user=request.user, id=pk)
    return render(request, "web/clues/detail.html", clue_page_context(request, clue))


@business_page
@require_safe
def photo(request, pk: int):
    """A clue's photo, for whoever may see the clue (the handling unit too: the photo shows the problem)."""
    item = CluePhoto.objects.filter(pk=pk, clue__in=clue_list_for(user=request.user).values("pk")).first()
    if item is None:
        raise Http404()
    return photo_response(item.file)


def _task_by(user, form: AttachForm):
    data = form.cleaned_data
    tasks = task_list_for(user=user)
    task = tasks.filter(pk=data["task"]).first() if data.get("task") else None
    if task is None and data.get("task_code", "").strip():
        task = tasks.filter(code__iexact=data["task_code"].strip()).first()
    if task is None:
        form.add_error("task_code", "找不到该督办事项，请检查编号。")
    return task


def _clue_by(user, form: MergeForm):
    data = form.cleaned_data
    visible = clue_list_for(user=user)
    into = visible.filter(pk=data["into"]).first() if data.get("into") else None
    if into is None and data.get("into_number", "").strip():
        found = NUMBER.match(data["into_number"].strip().upper())
        into = visible.filter(pk=int(found.group(1))).first() if found else None
    if into is None:
        form.add_error("into_number", "找不到该线索，请检查编号（如 XS2026-000123）。")
    return into


def _run(name: str, user, clue: Clue, form: forms.Form) -> str | None:
    """Call the action's one service; its message on success, None when the form holds the reason."""
    data = form.cleaned_data
    version = data.get("version")
    if name == "forward":
        clue = clue_forward(actor=user, clue=clue, unit_ids=[u.pk for u in data["units"]], title=data["title"],
                            requirements=data["requirements"], deadline=data["deadline"], expected_version=version)
        return f"已转办，督办事项 {clue.task.code}，答复时限 {clue.deadline:%Y-%m-%d}。"
    if name == "attach":
        task = _task_by(user, form)
        if task is None:
            return None
        clue_attach(actor=user, clue=clue, task=task, expected_version=version)
        return f"已并入督办事项 {task.code}，由其牵头单位答复群众。"
    if name == "merge":
        into = _clue_by(user, form)
        if into is None:
            return None
        clue_merge(actor=user, clue=clue, into=into, expected_version=version)
        return f"已与 {into.number} 合并办理。"
    if name == "decline":
        clue_decline(actor=user, clue=clue, reason=data["reason"], expected_version=version)
        return "已不予受理，群众凭查询码可以看到理由。"
    reply = clue_answer(actor=user, clue=clue, text=data["text"], expected_version=version)
    if reply.published_at is None:
        return "答复已提交，待单位负责人审核后向群众公开。"
    return "已答复群众，群众凭查询码可以看到答复并评价。"


ACTION_FORMS = {"forward": ForwardForm, "attach": AttachForm, "merge": MergeForm, "decline": DeclineForm,
                "answer": AnswerForm}


@business_page
@require_POST
def act(request, pk: int, name: str):
    if name not in ACTION_FORMS:
        raise Http404()
    user = request.user
    clue = clue_get_for(user=user, id=pk)
    if name == "forward":
        form = ForwardForm(request.POST, user=user, suggested=[])
    else:
        form = ACTION_FORMS[name](request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                message = _run(name, user, clue, form)
        except NotFound:
            raise
        except DomainError as error:
            error_into_form(form, error, ERROR_FIELDS)
        else:
            if message is not None:
                messages.success(request, message)
                return redirect(reverse("web:clue", args=[clue.pk]))
        clue = clue_get_for(user=user, id=pk)
    context = clue_page_context(request, clue, failed=(name, form))
    if context["forms"].get(name) is not form:
        # The action is no longer open (someone else routed or answered first): say why, show it as it is.
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, "未能办理：" + "；".join(problems or ["该操作当前不可办理。"]))
        return redirect(reverse("web:clue", args=[clue.pk]))
    return render(request, "web/clues/detail.html", context, status=400)


@business_page
@require_POST
def contact(request, pk: int):
    """Read the sender's name and phone (the triage office only; each reading is an audited Event).
    The answer is this page itself, never stored or cached: a reload asks, and is audited, again."""
    clue = clue_get_for(user=request.user, id=pk)
    full = request.POST.get("full") == "1"
    try:
        shown = clue_contact_reveal(actor=request.user, clue=clue, full=full)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("web:clue", args=[clue.pk]))
    shown["full"] = full
    return render(request, "web/clues/detail.html", clue_page_context(request, clue, contact=shown))


urlpatterns = [
    path("clues/", queue, name="clues"),
    path("clues/<int:pk>/", detail, name="clue"),
    path("clues/<int:pk>/contact/", contact, name="clue_contact"),
    path("clues/<int:pk>/do/<str:name>/", act, name="clue_act"),
    path("clues/photos/<int:pk>/", photo, name="clue_photo"),
]
