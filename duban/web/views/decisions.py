"""登记交办: a supervisor registers a decision, decomposes it into tasks and assigns them (交办), edits a task's
wording, and decomposes an assignment the unit received into sub-tasks for the units below it (层层分解).

Also the two small fragments the task form uses: the unit search of the unit picker, and what a date
is on the working-day calendar.
"""

import datetime as dt

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import clock
from duban.core.errors import Conflict, DomainError
from duban.org.models import Role
from duban.supervision import services as s
from duban.supervision.access import in_subtree
from duban.supervision.models import AssignmentRole, AssignmentState, DecisionKind, TaskPlan, TaskState
from duban.supervision.selectors import (
    assignment_get_for,
    assignment_list_for,
    decision_get_for,
    decision_list_for,
    task_get_for,
    task_list_for,
)
from duban.supervision.selectors.scope import LIVE_ASSIGNMENT
from duban.web.actions import supervises
from duban.web.forms_decisions import (
    DECISION_ERROR_FIELDS,
    DECOMPOSE_ERROR_FIELDS,
    TASK_EDIT_ERROR_FIELDS,
    TASK_ERROR_FIELDS,
    DecisionForm,
    DecomposeForm,
    TaskEditForm,
    TaskForm,
    units_in_scope,
)
from duban.web.views.common import business_page, error_into_form, is_htmx, page_of, url_filters
from duban.workdays.store import get_calendar

ONLY_SUPERVISORS = "只有督查员可以登记决策部署和督办事项。"
ONLY_TASK_SUPERVISORS = "只有督办该事项的督查室督查员可以修改督办事项。"
NOT_EDITABLE = "已销号或已撤销的事项不能修改。"
ONLY_UNIT_SUPERVISORS = "只有承办单位的督查员可以分解本单位承办的事项。"
NOT_SIGNED = "请先签收上级交办的事项，再进行分解。"
WEEKDAYS = "一二三四五六日"
UNIT_SEARCH_LIMIT = 20


def _is_supervisor(user) -> bool:
    return Role.SUPERVISOR in user.roles and user.unit_id is not None


def _forbidden(request, reason: str = ONLY_SUPERVISORS):
    return render(request, "403.html", {"reason": reason}, status=403)


def _may_decompose(user, decision) -> bool:
    """A supervisor adds tasks only to decisions registered by their own unit or a unit below it."""
    return _is_supervisor(user) and in_subtree(decision.owner_unit, user.unit)


def _may_assign(user, task) -> bool:
    return (_is_supervisor(user) and task.state == TaskState.DRAFT
            and task.owner_unit.path.startswith(user.unit.path))


# ---- the list of decisions -------------------------------------------------------------------------


@business_page
@require_GET
def decisions(request):
    filters = url_filters(request, ("q", "kind"))
    page = page_of(request, decision_list_for(user=request.user, filters=filters), per_page=30)
    rows = list(page.object_list)
    # One grouped query over the tasks the person may see: how many, and how many are still drafts.
    counts = {
        row["decision_id"]: row
        for row in task_list_for(user=request.user)
        .filter(decision_id__in=[d.pk for d in rows])
        .order_by()
        .values("decision_id")
        .annotate(n=Count("pk"), drafts=Count("pk", filter=Q(state=TaskState.DRAFT)))
    }
    for d in rows:
        d.task_count = counts.get(d.pk, {}).get("n", 0)
        d.draft_count = counts.get(d.pk, {}).get("drafts", 0)
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "kinds": DecisionKind.choices,
        "may_register": _is_supervisor(request.user),
    }
    template = "web/decisions/_results.html" if is_htmx(request) else "web/decisions/list.html"
    return render(request, template, context)


# ---- registering a decision ------------------------------------------------------------------------


@business_page
@require_http_methods(["GET", "POST"])
def decision_new(request):
    if not _is_supervisor(request.user):
        return _forbidden(request)
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            decision = s.decision_create(actor=request.user, kind=data["kind"], title=data["title"],
                                         doc_number=data["doc_number"], issuer=data["issuer"],
                                         issued_on=data["issued_on"], body=data["body"])
        except DomainError as error:
            error_into_form(form, error, DECISION_ERROR_FIELDS)
        else:
            messages.success(request, f"已登记决策部署“{decision.title}”。请在下方分解督办事项，核对无误后交办。")
            return redirect("web:decision", pk=decision.pk)
    status = 400 if form.is_bound else 200
    return render(request, "web/decisions/new.html", {"form": form}, status=status)


# ---- one decision: its facts, its tasks, and the form to add one -----------------------------------


def _tasks_of(user, decision) -> list:
    """The tasks of a decision the person may see, each with its lead units, in a fixed number of queries."""
    return _with_units(user, task_list_for(user=user, filters={"decision": decision.pk}),
                       assignment_list_for(user=user, filters={"decision": decision.pk}))


def _with_units(user, tasks, assignments) -> list:
    """Scoped `tasks`, each with its lead and cooperating units, read from the scoped `assignments` of those
    tasks (or, for a draft, from its plan): three queries, however many tasks."""
    tasks = list(
        tasks.prefetch_related(Prefetch("plan", queryset=TaskPlan.objects.select_related("unit").order_by("id")))
        .order_by("id")
    )
    # Assigned work: the lead units are the live lead assignments (a reassignment changes them).
    leads: dict[int, list] = {}
    cooperating: dict[int, list] = {}
    for a in assignments.filter(LIVE_ASSIGNMENT).order_by("id"):
        (leads if a.role == AssignmentRole.LEAD else cooperating).setdefault(a.task_id, []).append(a.unit)
    for task in tasks:
        plan = list(task.plan.all())
        if task.pk in leads or task.pk in cooperating:
            task.lead_units, task.other_units = leads.get(task.pk, []), cooperating.get(task.pk, [])
        else:  # a draft, or a task cancelled with its assignments: the units it was planned for
            task.lead_units = [p.unit for p in plan if p.role == AssignmentRole.LEAD]
            task.other_units = [p.unit for p in plan if p.role == AssignmentRole.COOPERATE]
        task.may_assign = _may_assign(user, task)
    return tasks


def day_facts(day: dt.date) -> dict:
    """What a date is on the working-day calendar, counted from today."""
    calendar = get_calendar()
    today = clock.today()
    workday = calendar.is_workday(day)
    name = calendar.day_name(day)
    if workday:
        kind = f"工作日（{name}）" if name else "工作日"
    else:
        kind = f"休息日（{name}）" if name else "休息日"
    return {
        "day": day,
        "weekday": f"星期{WEEKDAYS[day.weekday()]}",
        "kind": kind,
        "workday": workday,
        "estimated": calendar.is_estimated(day),
        "past": day < today,
        "today": day == today,
        "workdays": abs(calendar.workdays_between(today, day)),
        "next_workday": None if workday else calendar.next_workday(day),
    }


def _parse_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _decision_page(request, decision, form=None, status=200):
    user = request.user
    may_decompose = _may_decompose(user, decision)
    if may_decompose and form is None:
        form = TaskForm(user=user)
    tasks = _tasks_of(user, decision)
    deadline_day = None
    if form is not None and form.is_bound:
        chosen = _parse_date(form.data.get("deadline"))
        deadline_day = day_facts(chosen) if chosen else None
    context = {
        "decision": decision,
        "tasks": tasks,
        "assignable": [t for t in tasks if t.may_assign],
        "form": form if may_decompose else None,
        "deadline_day": deadline_day,
    }
    return render(request, "web/decisions/detail.html", context, status=status)


@business_page
@require_GET
def decision(request, pk: int):
    return _decision_page(request, decision_get_for(user=request.user, id=pk))


@business_page
@require_POST
def decision_task_new(request, pk: int):
    user = request.user
    decision = decision_get_for(user=user, id=pk)
    if not _is_supervisor(user):
        return _forbidden(request)
    if not _may_decompose(user, decision):
        return _forbidden(request, "只能在本单位登记的决策部署下新增督办事项。")
    form = TaskForm(request.POST, user=user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            task = s.task_create(
                actor=user, decision=decision, title=data["title"], requirements=data["requirements"],
                lead_unit_ids=[u.pk for u in data["lead_units"]],
                cooperating_unit_ids=[u.pk for u in data["other_units"]],
                deadline=data["deadline"], cadence=data["cadence"], report_day=data["report_day"],
                responsible_leader=data["responsible_leader"], urgency=data["urgency"], is_key=data["is_key"],
                category=data["category"].strip(), milestones=form.milestones, targets=form.targets)
        except DomainError as error:
            error_into_form(form, error, TASK_ERROR_FIELDS)
        else:
            messages.success(request, f"已新增督办事项 {task.code}“{task.title}”（草稿），核对无误后请交办。")
            return redirect(reverse("web:decision", kwargs={"pk": decision.pk}) + "#tasks")
    return _decision_page(request, decision, form=form, status=400)


@business_page
@require_POST
def decision_assign(request, pk: int):
    """交办 the decision's draft tasks (or one of them, `task=<id>`): all of them or none."""
    user = request.user
    decision = decision_get_for(user=user, id=pk)
    if not _is_supervisor(user):
        return _forbidden(request, "只有督查员可以交办督办事项。")
    back = redirect(reverse("web:decision", kwargs={"pk": decision.pk}) + "#tasks")
    drafts = (task_list_for(user=user, filters={"decision": decision.pk, "state": TaskState.DRAFT})
              .filter(owner_unit__path__startswith=user.unit.path).order_by("id"))
    one = request.POST.get("task", "").strip()
    version = request.POST.get("version", "").strip()
    expected = None
    if one:
        if not one.isdigit() or (version and not version.isdigit()):
            messages.error(request, "要交办的事项无效。")
            return back
        drafts = drafts.filter(pk=int(one))
        # The row's own button carries the version the person saw: a task changed since is not assigned blind.
        expected = int(version) if version else None
    drafts = list(drafts)
    if not drafts:
        messages.error(request, "该事项已交办或不存在。" if one else "没有待交办的草稿事项。")
        return back
    current = None
    try:
        with transaction.atomic():
            for current in drafts:
                s.task_assign(actor=user, task=current, expected_version=expected)
    except DomainError as error:
        what = f"{current.code}“{current.title}”" if current is not None else "交办"
        rest = "本次未交办任何事项。" if len(drafts) > 1 else "未交办。"
        messages.error(request, f"{what}：{error.message}{rest}")
        return back
    codes = "、".join(t.code for t in drafts)
    messages.success(request, f"已交办 {len(drafts)} 项督办事项（{codes}），各承办单位须在1个工作日内签收。")
    return back


# ---- editing a task ---------------------------------------------------------------------------------


@business_page
@require_http_methods(["GET", "POST"])
def task_edit(request, pk: int):
    """修改督办事项: what task_update allows (wording, flags, the leader; a draft's deadline), against the
    version the person saw."""
    user = request.user
    task = task_get_for(user=user, id=pk)
    if not supervises(user, task):
        return _forbidden(request, ONLY_TASK_SUPERVISORS)
    if task.state in (TaskState.CLOSED, TaskState.CANCELLED):
        return _forbidden(request, NOT_EDITABLE)
    if request.method == "GET":
        return _edit_page(request, task, TaskEditForm(user=user, task=task))
    form = TaskEditForm(request.POST, user=user, task=task)
    conflict = False
    if form.is_valid():
        seen = form.cleaned_data["version"]
        try:
            saved = s.task_update(actor=user, task=task, expected_version=seen, **form.changes())
        except Conflict as error:
            form.add_error(None, error.message)
            conflict = True
        except DomainError as error:
            error_into_form(form, error, TASK_EDIT_ERROR_FIELDS)
        else:
            if saved.version == seen:
                messages.info(request, f"{task.code}“{task.title}”的内容没有变化，未作修改。")
            else:
                messages.success(request, f"已保存对 {saved.code}“{saved.title}”的修改。")
            return redirect("web:task", pk=task.pk)
    if conflict:
        # The person's input stays; the page shows what was saved meanwhile, and a second save — made knowing
        # it — goes against the version shown now.
        data = request.POST.copy()
        data["version"] = str(task.version)
        form.data = data
    return _edit_page(request, task, form, conflict=conflict, status=409 if conflict else 400)


def _edit_page(request, task, form, conflict=False, status=200):
    user = request.user
    row = _with_units(user, task_list_for(user=user).filter(pk=task.pk),
                      assignment_list_for(user=user, filters={"task": task.pk}))
    deadline_day = None
    if "deadline" in form.fields:
        chosen = _parse_date(form.data.get("deadline")) if form.is_bound else task.deadline
        deadline_day = day_facts(chosen) if chosen else None
    context = {
        "task": task,
        "form": form,
        "lead_units": row[0].lead_units if row else [],
        "other_units": row[0].other_units if row else [],
        "conflict": conflict,
        "edits_deadline": "deadline" in form.fields,
        "deadline_day": deadline_day,
    }
    return render(request, "web/decisions/task_edit.html", context, status=status)


# ---- 层层分解: decomposing an assignment the unit received ------------------------------------------


def _decomposes(user, received) -> bool:
    """A supervisor of the very unit that received the assignment (not a unit above it)."""
    return Role.SUPERVISOR in user.roles and user.unit_id is not None and user.unit_id == received.unit_id


@business_page
@require_http_methods(["GET", "POST"])
def assignment_decompose(request, pk: int):
    """层层分解: the received task, the form for a sub-task to the units below, and the sub-tasks made so far."""
    user = request.user
    received = assignment_get_for(user=user, id=pk)
    if not _decomposes(user, received):
        return _forbidden(request, ONLY_UNIT_SUPERVISORS)
    if request.method == "GET":
        return _decompose_page(request, received, DecomposeForm(user=user, received=received))
    if "assign" in request.POST:
        return _assign_subtask(request, received)
    form = DecomposeForm(request.POST, user=user, received=received)
    assign = request.POST.get("then") == "assign"
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # 保存并交办: both or neither
                task = s.task_create(
                    actor=user, decision=received.task.decision, parent_assignment=received, title=data["title"],
                    requirements=data["requirements"], lead_unit_ids=[u.pk for u in data["lead_units"]],
                    cooperating_unit_ids=[u.pk for u in data["other_units"]], deadline=data["deadline"],
                    cadence=data["cadence"], report_day=data["report_day"],
                    responsible_leader=data["responsible_leader"], urgency=data["urgency"], is_key=data["is_key"],
                    category=data["category"].strip(), milestones=form.milestones, targets=form.targets)
                if assign:
                    task = s.task_assign(actor=user, task=task)
        except DomainError as error:
            error_into_form(form, error, DECOMPOSE_ERROR_FIELDS)
        else:
            if assign:
                messages.success(request, f"已分解并交办 {task.code}“{task.title}”，各承办单位须在1个工作日内签收。")
            else:
                messages.success(request, f"已保存分解事项 {task.code}“{task.title}”（草稿），核对无误后请交办。")
            return redirect(_decompose_url(received) + "#subtasks")
    return _decompose_page(request, received, form, status=400)


def _decompose_url(received) -> str:
    return reverse("web:assignment_decompose", kwargs={"pk": received.pk})


def _subtasks(user, received) -> list:
    """The sub-tasks made from this assignment, with their units, in a fixed number of queries."""
    return _with_units(
        user,
        task_list_for(user=user, filters={"parent": received.task_id}).filter(parent_assignment=received),
        assignment_list_for(user=user).filter(task__parent_assignment=received),
    )


def _assign_subtask(request, received):
    """交办 one draft sub-task from its row, against the version the row showed."""
    back = redirect(_decompose_url(received) + "#subtasks")
    one, version = request.POST.get("assign", "").strip(), request.POST.get("version", "").strip()
    if not one.isdigit() or (version and not version.isdigit()):
        messages.error(request, "要交办的事项无效。")
        return back
    draft = (task_list_for(user=request.user, filters={"parent": received.task_id, "state": TaskState.DRAFT})
             .filter(parent_assignment=received, pk=int(one)).first())
    if draft is None:
        messages.error(request, "该事项已交办或不存在。")
        return back
    try:
        s.task_assign(actor=request.user, task=draft, expected_version=int(version) if version else None)
    except DomainError as error:
        messages.error(request, f"{draft.code}“{draft.title}”：{error.message}未交办。")
        return back
    messages.success(request, f"已交办 {draft.code}“{draft.title}”，各承办单位须在1个工作日内签收。")
    return back


def _decompose_page(request, received, form, status=200):
    user = request.user
    signed = received.state == AssignmentState.IN_PROGRESS
    refusal = ""
    if not signed:
        refusal = NOT_SIGNED if received.state == AssignmentState.PENDING else (
            f"本单位承办的这项工作当前为“{received.get_state_display()}”，不能再分解。")
    if form.is_bound:
        chosen = _parse_date(form.data.get("deadline"))
    else:
        chosen = form.fields["deadline"].initial
    context = {
        "received": received,
        "task": received.task,
        "form": form,
        # A refused POST keeps its input and shows the service's reason; a GET says why before any typing.
        "show_form": signed or form.is_bound,
        "refusal": refusal,
        "subtasks": _subtasks(user, received),
        "deadline_day": day_facts(chosen) if chosen else None,
        "deadline_max": form.deadline_max,
    }
    return render(request, "web/decisions/decompose.html", context, status=status)


# ---- the fragments the task form loads ------------------------------------------------------------


@business_page
@require_GET
def unit_search(request):
    """The unit picker's search: up to 20 units in scope matching a name, short name or alias."""
    if not _is_supervisor(request.user):
        return _forbidden(request)
    q = request.GET.get("q", "").strip()[:50]
    units = []
    if q:
        units = list(units_in_scope(request.user, q)[:UNIT_SEARCH_LIMIT])
    return render(request, "web/decisions/_unit_options.html",
                  {"q": q, "units": units, "limit": UNIT_SEARCH_LIMIT})


@business_page
@require_GET
def calendar_day(request):
    """Advice beside a date field: working day or not, and how many working days away."""
    text = (request.GET.get("date") or request.GET.get("deadline") or "").strip()
    if not text:
        return render(request, "web/decisions/_calendar_day.html", {"facts": None, "error": ""})
    day = _parse_date(text)
    if day is None:
        return render(request, "web/decisions/_calendar_day.html",
                      {"facts": None, "error": "日期格式不正确，请按“年-月-日”选择日期。"})
    return render(request, "web/decisions/_calendar_day.html", {"facts": day_facts(day), "error": ""})


urlpatterns = [
    path("decisions/", decisions, name="decisions"),
    path("decisions/new/", decision_new, name="decision_new"),
    path("decisions/<int:pk>/", decision, name="decision"),
    path("decisions/<int:pk>/tasks/", decision_task_new, name="decision_task_new"),
    path("decisions/<int:pk>/assign/", decision_assign, name="decision_assign"),
    path("units/search/", unit_search, name="unit_search"),
    path("calendar/day/", calendar_day, name="calendar_day"),
    path("tasks/<int:pk>/edit/", task_edit, name="task_edit"),
    path("assignments/<int:pk>/decompose/", assignment_decompose, name="assignment_decompose"),
]
