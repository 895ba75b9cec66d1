"""The task page: everything about one task on one screen, and the actions this person may take now."""

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from duban.audit.selectors import event_list_for
from duban.core import clock
from duban.core.errors import DomainError, NotFound
from duban.escalation.selectors import urge_list_for
from duban.org.models import Unit
from duban.scorecards.selectors import confidence_for_task, trajectories_of
from duban.supervision.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    ExtensionState,
    ReportState,
    TargetValue,
)
from duban.supervision.selectors import (
    assignment_get_for,
    assignment_list_for,
    blocker_get_for,
    blocker_list_for,
    extension_get_for,
    extension_list_for,
    instruction_list_for,
    milestone_get_for,
    milestone_list_for,
    report_get_for,
    report_list_for,
    target_list_for,
    task_get_for,
)
from duban.supervision.services.reports import EVIDENCE_MAX_BYTES
from duban.supervision.states import state_label
from duban.web import actions as act
from duban.web.forms import ALLOWED_SUFFIXES
from duban.web.timeline import VERBS, event_lines
from duban.web.views.common import business_page, error_into_form
from duban.workdays.store import get_calendar

LOADERS = {
    "task": task_get_for,
    "assignment": assignment_get_for,
    "report": report_get_for,
    "extension": extension_get_for,
    "blocker": blocker_get_for,
    "milestone": milestone_get_for,
}

TIMELINE_LIMIT = 200


@dataclass
class Offered:
    """One action offered on the page: its form (bound when it just failed) and where it posts."""

    action: act.Action
    form: forms.Form
    url: str
    open: bool = False

    @property
    def id(self) -> str:
        return f"{self.action.kind}-{self.url.rstrip('/').split('/')[-2]}-{self.action.name}"


@dataclass
class TaskPage:
    task: object
    user: object
    assignments: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    extensions: list = field(default_factory=list)
    blockers: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    reassign_choices: list = field(default_factory=list)
    leader_choices: list = field(default_factory=list)
    failed_shown: bool = False  # the form that just failed is on the page, open, with its errors


def _task_of(kind: str, obj):
    if kind == "task":
        return obj
    if kind in ("assignment", "milestone"):
        return obj.task
    return obj.assignment.task


def _offer(page: TaskPage, kind: str, obj, names: list[str], failed: tuple | None) -> list[Offered]:
    offered = []
    for name in names:
        action = act.ACTIONS[f"{kind}.{name}"]
        is_failed = failed is not None and failed[0] == action.key and failed[1] == obj.pk
        form = failed[2] if is_failed else action.form(None, None, obj, page)
        one = Offered(action, form, reverse("web:act", args=[kind, obj.pk, name]), open=is_failed)
        page.failed_shown = page.failed_shown or is_failed
        form.auto_id = f"{one.id}-%s"  # many forms on one page: each control's id (and label) its own
        offered.append(one)
    return offered


def _reassign_choices(task, assignments) -> list[tuple[int, str]]:
    taken = {a.unit_id for a in assignments if a.state not in (AssignmentState.REASSIGNED, AssignmentState.CANCELLED)}
    units = (Unit.objects.filter(path__startswith=task.owner_unit.path, is_active=True)
             .exclude(pk=task.owner_unit_id).exclude(pk__in=taken).order_by("path")[:1000])
    return [(u.pk, u.name) for u in units]


def _target_chart(targets, task) -> dict | None:
    """Planned path (baseline at 交办 to target at the deadline) against the reported values."""
    if not targets:
        return None
    start = (task.assigned_at or task.created_at).date() if (task.assigned_at or task.created_at) else None
    series, legend = [], []
    for t in targets:
        values = [[v.recorded_on.isoformat(), float(v.value)] for v in t.values.all()]
        legend += [f"{t.name}·计划", f"{t.name}·实际"]
        planned = [[start.isoformat(), float(t.baseline)]] if start else []
        if task.deadline:
            planned.append([task.deadline.isoformat(), float(t.target)])
        series.append({"name": f"{t.name}·计划", "type": "line", "data": planned, "lineStyle": {"type": "dashed"},
                       "symbol": "none"})
        series.append({"name": f"{t.name}·实际", "type": "line", "data": values, "symbol": "circle",
                       "symbolSize": 8})
    return {
        "aria": {"enabled": True, "decal": {"show": True}},
        "tooltip": {"trigger": "axis"},
        "legend": {"data": legend, "bottom": 0},
        "grid": {"left": 50, "right": 20, "top": 20, "bottom": 50},
        "xAxis": {"type": "time"},
        "yAxis": {"type": "value"},
        "series": series,
    }


def task_page_context(request, task_id: int, failed: tuple | None = None) -> dict:
    """Everything the task page shows, in a fixed number of queries. `failed` = (action key, object id, form)."""
    user = request.user
    task = task_get_for(user=user, id=task_id)
    assignments = list(assignment_list_for(user=user, filters={"task": task.pk}).select_related("signed_by")
                       .order_by("role", "id"))
    for a in assignments:
        a.task = task
    reports = list(report_list_for(user=user, filters={"task": task.pk}).select_related("reviewed_by",
                                                                                      "unit_reviewed_by", "quality")
                   .prefetch_related(Prefetch("values", queryset=TargetValue.objects.select_related("target")))
                   .order_by("-submitted_at", "-id"))
    extensions = list(extension_list_for(user=user, filters={"task": task.pk}).order_by("-id"))
    blockers = list(blocker_list_for(user=user, filters={"task": task.pk}).order_by("-id"))
    targets = list(target_list_for(user=user, filters={"task": task.pk}).prefetch_related("values"))
    for t in targets:
        values = list(t.values.all())
        t.latest = values[-1] if values else None
    by_assignment = {a.pk: a for a in assignments}
    for item in [*reports, *extensions, *blockers]:
        if item.assignment_id in by_assignment:
            item.assignment = by_assignment[item.assignment_id]
        item.assignment.task = task

    page = TaskPage(task=task, user=user, assignments=assignments, reports=reports, extensions=extensions,
                    blockers=blockers, targets=targets)
    if any(a.state == AssignmentState.RETURNED for a in assignments) and act.supervises(user, task):
        page.reassign_choices = _reassign_choices(task, assignments)
    if any(b.state == "open" for b in blockers) and act.supervises(user, task):
        page.leader_choices = act.leader_choices(user)

    waiting_unit = {r.assignment_id for r in reports if r.state == ReportState.UNIT_REVIEW}
    pending_ext = {e.assignment_id for e in extensions if e.state == ExtensionState.PENDING}
    task.offered = _offer(page, "task", task, act.task_actions(user, task, assignments), failed)
    calendar = get_calendar()
    today = clock.today()
    for a in assignments:
        a.state_text = state_label("assignment", a.state, user)
        a.may_decompose = act.decomposes(user, a)
        a.offered = _offer(page, "assignment", a,
                           act.assignment_actions(user, task, a, a.pk in waiting_unit, a.pk in pending_ext), failed)
        a.days_left = (calendar.workdays_between(today, a.deadline)
                       if a.deadline and a.state in act.LIVE and a.deadline >= today else None)
    for r in reports:
        r.offered = _offer(page, "report", r, act.report_actions(user, task, r), failed)
    for e in extensions:
        e.offered = _offer(page, "extension", e, act.extension_actions(user, task, e), failed)
    for b in blockers:
        b.offered = _offer(page, "blocker", b, act.blocker_actions(user, task, b), failed)
    milestones = list(milestone_list_for(user=user, filters={"task": task.pk}).order_by("due", "id"))
    for m in milestones:
        m.offered = _offer(page, "milestone", m, act.milestone_actions(user, task, m, assignments), failed)

    events = list(event_list_for(user=user, filters={"task": task.pk}).filter(verb__in=VERBS)[:TIMELINE_LIMIT])
    chart = _target_chart(targets, task)
    confidence = confidence_for_task(user=user, task=task)
    return {
        "task": task,
        "task_state": state_label("task", task.state, user),
        "lead": [a for a in assignments if a.role == AssignmentRole.LEAD],
        "cooperating": [a for a in assignments if a.role == AssignmentRole.COOPERATE],
        "assignments": assignments,
        "reports": reports,
        "extensions": extensions,
        "blockers": blockers,
        "milestones": milestones,
        "targets": targets,
        "target_chart": chart,
        "confidence": confidence,
        "trajectories": trajectories_of(task=task, targets=targets),
        "instructions": list(instruction_list_for(user=user, filters={"task": task.pk}).select_related("leader")),
        "urges": list(urge_list_for(user=user, task=task)[:50]),
        "timeline": event_lines(events),
        "timeline_cut": len(events) == TIMELINE_LIMIT,
        "deadline_estimated": bool(task.deadline and calendar.is_estimated(task.deadline)),
        "today": today,
        "max_bytes": EVIDENCE_MAX_BYTES,
        "allowed": ",".join(ALLOWED_SUFFIXES),
        "failed_shown": page.failed_shown,
        "may_edit": act.edits(user, task),
        "any_action": bool(task.offered or any(x.offered for x in [*assignments, *reports, *extensions,
                                                                      *blockers, *milestones])),
    }


@business_page
@require_safe
def task(request, pk: int):
    return render(request, "web/tasks/task.html", task_page_context(request, pk))


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@business_page
@require_POST
def do(request, kind: str, pk: int, name: str):
    """Run one action: parse its form, call its one service in one transaction, come back to the task."""
    action = act.ACTIONS.get(f"{kind}.{name}")
    loader = LOADERS.get(kind)
    if action is None or loader is None or action.kind != kind:
        raise Http404()
    user = request.user
    obj = loader(user=user, id=pk)
    task = _task_of(kind, obj)
    page = None
    if name == "reassign":
        page = TaskPage(task=task, user=user)
        page.reassign_choices = _reassign_choices(task, list(Assignment.objects.filter(task=task)))
    elif name == "escalate":
        page = TaskPage(task=task, user=user)
        page.leader_choices = act.leader_choices(user)
    elif name == "report":
        page = TaskPage(task=task, user=user, targets=list(target_list_for(user=user, filters={"task": task.pk})))
    form = action.form(request.POST, request.FILES, obj, page)
    anchor = f"#{kind}-{obj.pk}"
    if form.is_valid():
        try:
            with transaction.atomic():
                message = action.run(user, obj, form)
        except DomainError as error:
            if isinstance(error, NotFound):
                raise
            error_into_form(form, error, action.errors)
        except forms.ValidationError:
            pass
        else:
            messages.success(request, message)
            return redirect(_safe_next(request, reverse("web:task", args=[task.pk]) + anchor))
    context = task_page_context(request, task.pk, failed=(action.key, obj.pk, form))
    if not context["failed_shown"]:
        # The action is no longer open (someone else acted first, the page was stale): say why, and show
        # the task as it is now (a redirect, so that reloading does not post again).
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, f"未能{action.label}：" + "；".join(problems or ["该操作当前不可办理。"]))
        return redirect(reverse("web:task", args=[task.pk]) + anchor)
    return render(request, "web/tasks/task.html", context, status=400)


def _instruct(request, pk: int):
    return do(request, "task", pk, "instruct")


urlpatterns = [
    path("tasks/<int:pk>/", task, name="task"),
    path("tasks/<int:pk>/instruct/", _instruct, name="task_instruct"),
    path("do/<str:kind>/<int:pk>/<str:name>/", do, name="act"),
]
