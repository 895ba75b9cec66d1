"""Decisions and tasks: register, decompose, assign (交办), close (销号), cancel (撤销), 批示."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction

from duban.core import clock
from duban.core.errors import DomainError, NotFound, PermissionDenied
from duban.escalation.services import assignments_notify, instruction_notify, redo_notify
from duban.inspection.rules import rectification_close_check
from duban.org.models import Role, Unit
from duban.supervision.access import (
    access_act_for_unit,
    access_lead_task,
    access_supervise_task,
    can_see_task,
    in_subtree,
)
from duban.supervision.lights import lights_refresh
from duban.supervision.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Cadence,
    Decision,
    DecisionKind,
    Instruction,
    Light,
    Milestone,
    Report,
    ReportState,
    Target,
    Task,
    TaskCounter,
    TaskPlan,
    TaskState,
    Urgency,
)
from duban.supervision.services.common import (
    check_version,
    default_deadline,
    done_light,
    lock,
    move,
    record,
    require_text,
    save_versioned,
    sign_due_from,
    sync_task,
    withdraw_unit_reviews,
)
from duban.voice.store import index_add, index_remove, task_entries

# Tasks a new public clue may still join (duban.voice.store indexes them).
OPEN_STATES = (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.CLOSING)


def _require_supervisor(actor) -> None:
    if actor is None or not actor.is_active or not actor.has_role(Role.SUPERVISOR) or actor.unit is None:
        raise PermissionDenied("只有督查员可以登记决策部署和督办事项。")


@transaction.atomic
def decision_create(*, actor, kind: str, title: str, issued_on: dt.date, doc_number: str = "",
                    issuer: str = "", body: str = "") -> Decision:
    """登记决策部署."""
    _require_supervisor(actor)
    if kind not in DecisionKind.values:
        raise DomainError("decision_kind_invalid", "决策部署类型无效。", {"kind": kind})
    decision = Decision(
        kind=kind,
        title=require_text(title, "decision_title_required", "请填写决策部署的标题。", 200),
        doc_number=doc_number.strip()[:100],
        issuer=issuer.strip()[:100],
        issued_on=issued_on,
        body=body,
        owner_unit=actor.unit,
        created_by=actor,
        created_at=clock.now(),
    )
    decision.full_clean()
    decision.save()
    record(actor=actor, verb="decision.create", obj=decision, task=None, unit_id=actor.unit_id,
           kind=kind, title=decision.title)
    return decision


def _next_code(year: int) -> str:
    TaskCounter.objects.get_or_create(year=year)
    counter = lock(TaskCounter, year, "task_counter")
    TaskCounter.objects.filter(pk=year).update(last=counter.last + 1)
    return f"DB-{year}-{counter.last + 1:04d}"


def _units(ids, what: str) -> list[Unit]:
    ids = list(dict.fromkeys(int(i) for i in ids or []))
    units = list(Unit.objects.filter(pk__in=ids, is_active=True))
    if len(units) != len(ids):
        raise DomainError("unit_unknown", f"{what}中有不存在或已停用的单位。")
    by_id = {u.pk: u for u in units}
    return [by_id[i] for i in ids]


@transaction.atomic
def task_create(*, actor, decision: Decision, title: str, lead_unit_ids: list[int],
                cooperating_unit_ids: list[int] | None = None, requirements: str = "",
                deadline: dt.date | None = None, cadence: str = Cadence.NONE, report_day: int | None = None,
                responsible_leader=None, urgency: str = Urgency.NORMAL, is_key: bool = False,
                category: str = "", milestones: list[tuple[str, dt.date]] | None = None,
                targets: list[dict] | None = None, parent_assignment: Assignment | None = None) -> Task:
    """Create a task (a draft until 交办). With `parent_assignment`, a unit decomposes work it received."""
    _require_supervisor(actor)
    scope_root = actor.unit
    parent = None
    if parent_assignment is not None:
        parent_assignment = lock(Assignment, parent_assignment.pk, "assignment")
        if parent_assignment.unit_id != actor.unit_id:
            if not can_see_task(actor, parent_assignment.task):
                raise NotFound("assignment")
            raise PermissionDenied("只能分解本单位承办的事项。")
        if parent_assignment.state != AssignmentState.IN_PROGRESS:
            raise DomainError("cascade_needs_signed", "请先签收上级交办的事项，再进行分解。")
        parent = parent_assignment.task
        decision = parent.decision
        if deadline is None and cadence == Cadence.NONE:
            deadline = parent_assignment.deadline
        if deadline is not None and parent_assignment.deadline is not None and deadline > parent_assignment.deadline:
            raise DomainError("cascade_deadline_late", "分解事项的时限不能晚于上级交办的时限。")
    elif not in_subtree(decision.owner_unit, scope_root) and decision.owner_unit_id != scope_root.pk:
        raise PermissionDenied("只能在本单位登记的决策部署下创建事项。")
    if cadence not in Cadence.values:
        raise DomainError("task_cadence_invalid", "报送周期无效。")
    if urgency not in Urgency.values:
        raise DomainError("task_urgency_invalid", "紧急程度无效。")
    if report_day is not None and not 1 <= report_day <= 28:
        raise DomainError("task_report_day_invalid", "每期报送日应在1日至28日之间。")
    leads = _units(lead_unit_ids, "牵头单位")
    cooperating = _units(cooperating_unit_ids, "配合单位")
    if not leads:
        raise DomainError("task_lead_required", "请至少指定一个牵头单位。")
    overlap = {u.pk for u in leads} & {u.pk for u in cooperating}
    if overlap:
        raise DomainError("task_unit_twice", "同一单位不能既牵头又配合。")
    for unit in leads + cooperating:
        if not in_subtree(unit, scope_root) or unit.pk == scope_root.pk:
            raise DomainError("task_unit_out_of_scope", f"“{unit.name}”不在本单位的交办范围内。")
    if responsible_leader is not None and not responsible_leader.has_role(Role.LEADER):
        raise DomainError("task_leader_invalid", "责任领导必须是具有领导角色的人员。")
    if deadline is not None and deadline < clock.today():
        raise DomainError("task_deadline_past", "完成时限不能早于今天。")
    now = clock.now()
    task = Task(
        code=_next_code(clock.today().year),
        title=require_text(title, "task_title_required", "请填写督办事项。", 300),
        requirements=requirements,
        decision=decision,
        parent=parent,
        parent_assignment=parent_assignment,
        owner_unit=scope_root,
        responsible_leader=responsible_leader,
        category=category[:50],
        urgency=urgency,
        deadline=deadline,
        cadence=cadence,
        report_day=report_day,
        is_key=is_key,
        created_by=actor,
        created_at=now,
    )
    task.save()
    for title_, due in milestones or []:
        Milestone.objects.create(task=task, title=require_text(title_, "milestone_title_required",
                                                               "请填写节点名称。", 200), due=due)
    for spec in targets or []:
        try:
            Target.objects.create(task=task, name=require_text(spec.get("name"), "target_name_required",
                                                               "请填写指标名称。", 100),
                                  measure=str(spec.get("measure", ""))[:20],
                                  baseline=Decimal(str(spec.get("baseline", 0))),
                                  target=Decimal(str(spec["target"])))
        except (KeyError, InvalidOperation):
            raise DomainError("target_value_invalid", "指标的目标值必须是数字。") from None
    TaskPlan.objects.bulk_create(
        [TaskPlan(task=task, unit=u, role=AssignmentRole.LEAD) for u in leads]
        + [TaskPlan(task=task, unit=u, role=AssignmentRole.COOPERATE) for u in cooperating]
    )
    record(actor=actor, verb="task.create", obj=task, task=task, unit_id=actor.unit_id, code=task.code,
           title=task.title, lead=[u.pk for u in leads], cooperate=[u.pk for u in cooperating],
           deadline=deadline, cadence=cadence, parent_assignment=parent_assignment.pk if parent_assignment else None)
    return task


EDITABLE_STATES = (TaskState.DRAFT, TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.CLOSING)


@transaction.atomic
def task_update(*, actor, task: Task, expected_version: int, title: str | None = None,
                requirements: str | None = None, category: str | None = None, urgency: str | None = None,
                is_key: bool | None = None, responsible_leader=None, deadline: dt.date | None = None) -> Task:
    """Edit a task's wording and flags. Deadlines of assigned work move only through extensions (延期)."""
    task = lock(Task, task.pk, "task")
    access_supervise_task(actor, task)
    check_version(task, expected_version, "task")
    if task.state not in EDITABLE_STATES:
        raise DomainError("task_not_editable", "已销号或已撤销的事项不能修改。")
    changed: dict[str, object] = {}
    if title is not None:
        changed["title"] = require_text(title, "task_title_required", "请填写督办事项。", 300)
    if requirements is not None:
        changed["requirements"] = requirements
    if category is not None:
        changed["category"] = category.strip()[:50]
    if urgency is not None:
        if urgency not in Urgency.values:
            raise DomainError("task_urgency_invalid", "紧急程度无效。")
        changed["urgency"] = urgency
    if is_key is not None:
        changed["is_key"] = is_key
    if responsible_leader is not None:
        if not responsible_leader.has_role(Role.LEADER):
            raise DomainError("task_leader_invalid", "责任领导必须是具有领导角色的人员。")
        changed["responsible_leader"] = responsible_leader
    if deadline is not None:
        if task.state != TaskState.DRAFT:
            raise DomainError("task_deadline_locked", "事项交办后，完成时限只能通过延期申请调整。")
        if deadline < clock.today():
            raise DomainError("task_deadline_past", "完成时限不能早于今天。")
        changed["deadline"] = deadline
    changed = {k: v for k, v in changed.items() if getattr(task, k) != v}
    if not changed:
        return task
    for name, value in changed.items():
        setattr(task, name, value)
    save_versioned(task, list(changed), "task")
    record(actor=actor, verb="task.update", obj=task, task=task, unit_id=task.owner_unit_id,
           fields=sorted(changed),
           values={k: (v.pk if hasattr(v, "pk") else v) for k, v in changed.items() if k != "requirements"})
    if "is_key" in changed:
        lights_refresh(task_ids=[task.pk])
    if changed.keys() & {"title", "requirements", "category"} and task.state in OPEN_STATES:
        _index_task(task)
    return task


def _index_task(task: Task) -> None:
    """An open task is a place a new public clue may belong (duban.voice.store): its words are indexed."""
    index_add(**task_entries([task])[0])


@transaction.atomic
def task_assign(*, actor, task: Task, expected_version: int | None = None) -> Task:
    """交办: create one assignment per planned unit; each must sign within the SLA."""
    task = lock(Task, task.pk, "task")
    access_supervise_task(actor, task)
    check_version(task, expected_version, "task")
    if task.state != TaskState.DRAFT:
        raise DomainError("task_already_assigned", "该事项已经交办，不能重复交办。")
    move(task, "task", TaskState.ASSIGNED)
    today = clock.today()
    if task.deadline is None and task.cadence == Cadence.NONE:
        task.deadline = default_deadline(task.decision.kind, task.urgency, today)
    plans = list(task.plan.all())
    Assignment.objects.bulk_create([
        Assignment(task=task, unit_id=p.unit_id, role=p.role, assigned_on=today, sign_due=sign_due_from(today),
                   deadline=task.deadline)
        for p in plans
    ])
    task.assigned_at = clock.now()
    save_versioned(task, ["state", "deadline", "assigned_at"], "task")
    record(actor=actor, verb="task.assign", obj=task, task=task, unit_id=task.owner_unit_id,
           deadline=task.deadline, units=[p.unit_id for p in plans])
    lights_refresh(task_ids=[task.pk])
    assignments_notify(assignments=list(Assignment.objects.filter(task=task)), actor=actor)
    _index_task(task)
    return task


@transaction.atomic
def task_close(*, actor, task: Task, note: str, expected_version: int | None = None) -> Task:
    """销号: verify the result with evidence once every lead unit's work is verified."""
    task = lock(Task, task.pk, "task")
    access_supervise_task(actor, task)
    check_version(task, expected_version, "task")
    note = require_text(note, "task_close_note_required", "销号须写明核验意见和佐证情况。")
    assignments = list(Assignment.objects.filter(task=task).exclude(state__in=["reassigned", "cancelled"]))
    leads = [a for a in assignments if a.role == AssignmentRole.LEAD]
    if task.state != TaskState.CLOSING or any(a.state != AssignmentState.DONE for a in leads):
        raise DomainError("task_close_not_ready", "牵头单位的办结申请全部审核通过后才能销号。")
    rectification_close_check(task)
    move(task, "task", TaskState.CLOSED)
    now = clock.now()
    closed_along, cancelled_along = [], []
    for a in assignments:
        if a.state in (AssignmentState.IN_PROGRESS, AssignmentState.REVIEW):
            # A cooperating unit at work ends with the task, judged by the same rule as a verification.
            move(a, "assignment", AssignmentState.DONE)
            a.done_at, a.light = now, done_light(a)
            save_versioned(a, ["state", "done_at", "light"], "assignment")
            closed_along.append(a.pk)
        elif a.state in (AssignmentState.PENDING, AssignmentState.RETURNED):
            # One that never signed did no part of the work: it is cancelled, not counted as done.
            move(a, "assignment", AssignmentState.CANCELLED)
            a.light = Light.NONE
            save_versioned(a, ["state", "light"], "assignment")
            cancelled_along.append(a.pk)
    withdrawn = withdraw_unit_reviews([a.pk for a in assignments])
    on_time = all(a.light == Light.DONE_ON_TIME for a in leads)
    task.light = Light.DONE_ON_TIME if on_time else Light.DONE_LATE
    task.closed_at = now
    task.close_note = note
    task.leader_read_at = None
    save_versioned(task, ["state", "light", "closed_at", "close_note", "leader_read_at"], "task")
    record(actor=actor, verb="task.close", obj=task, task=task, unit_id=task.owner_unit_id, note=note,
           on_time=on_time, closed_along=closed_along, cancelled_along=cancelled_along,
           withdrawn_reports=withdrawn)
    index_remove(kind="task", ref_id=task.pk)
    return task


@transaction.atomic
def task_cancel(*, actor, task: Task, reason: str, expected_version: int | None = None) -> Task:
    """撤销: the decision no longer stands; every open assignment ends with it."""
    task = lock(Task, task.pk, "task")
    access_supervise_task(actor, task)
    check_version(task, expected_version, "task")
    reason = require_text(reason, "task_cancel_reason_required", "撤销须写明理由。")
    if task.state in (TaskState.CLOSED, TaskState.CANCELLED):
        raise DomainError("task_cancel_not_open", "已销号或已撤销的事项不能撤销。")
    # 层层分解: sub-tasks that units decomposed from this task end with it.
    family = _open_descendants(task)
    for member in [task, *family]:
        if member.pk != task.pk:
            member = lock(Task, member.pk, "task")
        move(member, "task", TaskState.CANCELLED)
        open_assignments = list(Assignment.objects.filter(
            task=member, state__in=["pending", "in_progress", "review", "returned"]))
        for a in open_assignments:
            move(a, "assignment", AssignmentState.CANCELLED)
            a.light = Light.NONE
            save_versioned(a, ["state", "light"], "assignment")
        withdraw_unit_reviews([a.pk for a in open_assignments])
        member.light = Light.NONE
        save_versioned(member, ["state", "light"], "task")
        index_remove(kind="task", ref_id=member.pk)
    record(actor=actor, verb="task.cancel", obj=task, task=task, unit_id=task.owner_unit_id, reason=reason,
           subtasks=[t.pk for t in family])
    return task


def _open_descendants(task: Task) -> list[Task]:
    """Every not-yet-ended task decomposed, at any depth, from this task's assignments."""
    found: list[Task] = []
    frontier = [task.pk]
    while frontier:
        children = list(Task.objects.filter(parent_assignment__task_id__in=frontier)
                        .exclude(state__in=[TaskState.CLOSED, TaskState.CANCELLED]))
        found.extend(children)
        frontier = [c.pk for c in children]
    return found


@transaction.atomic
def milestone_complete(*, actor, milestone: Milestone) -> Milestone:
    """A milestone (节点) reached: by a lead unit of the task, or by its supervisor."""
    milestone = lock(Milestone, milestone.pk, "milestone")
    task = Task.objects.select_related("owner_unit").get(pk=milestone.task_id)
    lead = Assignment.objects.filter(task=task, role=AssignmentRole.LEAD,
                                     unit_id=getattr(actor, "unit_id", None),
                                     state__in=["in_progress", "review"]).first()
    if lead is not None:
        access_act_for_unit(actor, lead)
    else:
        access_supervise_task(actor, task)
    if task.state not in (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.CLOSING):
        raise DomainError("task_not_open", "事项不在办理中。")
    if milestone.done_at is not None:
        raise DomainError("milestone_already_done", "该节点已经完成。")
    milestone.done_at = clock.now()
    milestone.save(update_fields=["done_at"])
    record(actor=actor, verb="milestone.complete", obj=milestone, task=task,
           unit_id=getattr(actor, "unit_id", None), title=milestone.title, due=milestone.due)
    lights_refresh(task_ids=[task.pk])
    return milestone


@transaction.atomic
def instruction_write(*, actor, task: Task, text: str, expected_version: int | None = None) -> Instruction:
    """领导批示. On a closed task it opens a new round on the same task (领导阅示后再批示)."""
    task = lock(Task, task.pk, "task")
    access_lead_task(actor, task)
    check_version(task, expected_version, "task")
    text = require_text(text, "instruction_text_required", "请填写批示内容。")
    if task.state == TaskState.CANCELLED:
        raise DomainError("task_cancelled", "该事项已撤销，不能再作批示。")
    reopened = task.state == TaskState.CLOSED
    if reopened:
        task.leader_read_at = clock.now()
        _new_round(task, default_deadline(DecisionKind.INSTRUCTION, task.urgency, clock.today()))
    instruction = Instruction.objects.create(task=task, leader=actor, text=text, created_at=clock.now(),
                                             round=task.round)
    record(actor=actor, verb="task.instruct", obj=instruction, task=task, unit_id=actor.unit_id, text=text,
           reopened=reopened, round=task.round)
    if reopened:
        sync_task(task)
    instruction_notify(instruction=instruction)
    return instruction


def _new_round(task: Task, deadline: dt.date) -> None:
    """A closed task opens again on the same record: every unit that did (or was to do) a part signs anew."""
    today = clock.today()
    move(task, "task", TaskState.ASSIGNED)
    task.round += 1
    task.deadline = deadline
    task.closed_at = None
    ended = list(Assignment.objects.filter(task=task, state__in=[AssignmentState.DONE, AssignmentState.CANCELLED]))
    done_units = {a.unit_id for a in ended if a.state == AssignmentState.DONE}
    for a in ended:
        if a.state == AssignmentState.DONE:
            _assignment_ask_again(a, today, deadline)
        elif a.unit_id not in done_units:
            # A unit whose part was cancelled when the task closed is asked again in the new round.
            done_units.add(a.unit_id)
            Assignment.objects.create(task=task, unit_id=a.unit_id, role=a.role, assigned_on=today,
                                      sign_due=sign_due_from(today), deadline=deadline)
    save_versioned(task, ["state", "round", "deadline", "closed_at", "leader_read_at"], "task")
    _index_task(task)


def _assignment_ask_again(a: Assignment, today: dt.date, deadline: dt.date) -> None:
    move(a, "assignment", AssignmentState.PENDING)
    a.assigned_on, a.sign_due, a.deadline = today, sign_due_from(today), deadline
    a.signed_at = a.signed_by = a.submitted_at = a.submitted_on = a.done_at = None
    a.progress, a.return_count = 0, 0
    save_versioned(a, ["state", "assigned_on", "sign_due", "deadline", "signed_at", "signed_by", "submitted_at",
                       "submitted_on", "done_at", "progress", "return_count"], "assignment")


@transaction.atomic
def task_redo(*, actor, task: Task, reason: str, deadline: dt.date, ref_id: int, verb: str = "task.redo") -> Task:
    """重办: the result was not accepted by those it was for (a clue's sender rated the answer 不满意, a
    复查 found the rectification did not hold).

    The lead units' work opens again with a new deadline: a request to close goes back to 办理中 (the report
    that carried it is returned with the reason), a verified part is asked again, and a closed task opens a new
    round. A supervisor's call is checked here; the public's (duban.voice.services.clue_rate, the sender
    holding the clue's code) comes with actor None. `ref_id` names the cause so that its notice is sent once."""
    task = lock(Task, task.pk, "task")
    if actor is not None:
        access_supervise_task(actor, task)
    if task.state in (TaskState.DRAFT, TaskState.CANCELLED):
        raise DomainError("task_not_open", "该事项未交办或已撤销，不能重办。")
    if task.state == TaskState.CLOSED:
        _new_round(task, deadline)
        reopened = list(Assignment.objects.filter(task=task, state=AssignmentState.PENDING))
    else:
        today = clock.today()
        reopened = list(Assignment.objects.filter(task=task, role=AssignmentRole.LEAD).exclude(
            state__in=[AssignmentState.REASSIGNED, AssignmentState.CANCELLED, AssignmentState.RETURNED]))
        withdraw_unit_reviews([a.pk for a in reopened], comment=f"事项重办，本次反馈不再报送：{reason}")
        Report.objects.filter(assignment__in=reopened, state=ReportState.SUBMITTED).update(
            state=ReportState.RETURNED, reviewed_at=clock.now(), review_comment=reason)
        for a in reopened:
            if a.state == AssignmentState.REVIEW:
                move(a, "assignment", AssignmentState.IN_PROGRESS)
                a.submitted_at = a.submitted_on = None
                a.deadline = deadline
                save_versioned(a, ["state", "submitted_at", "submitted_on", "deadline"], "assignment")
            elif a.state == AssignmentState.DONE:
                _assignment_ask_again(a, today, deadline)
            else:
                a.deadline = deadline
                save_versioned(a, ["deadline"], "assignment")
        task.deadline = deadline
        save_versioned(task, ["deadline"], "task")
    record(actor=actor, verb=verb, obj=task, task=task, unit_id=task.owner_unit_id, reason=reason,
           deadline=deadline, round=task.round, assignments=[a.pk for a in reopened])
    sync_task(task)
    redo_notify(assignments=reopened, ref_id=ref_id, message=reason, actor=actor)
    return task


@transaction.atomic
def task_leader_read(*, actor, task: Task, expected_version: int | None = None) -> Task:
    """领导阅示: the leader has read the result of a closed task."""
    task = lock(Task, task.pk, "task")
    access_lead_task(actor, task)
    check_version(task, expected_version, "task")
    if task.state != TaskState.CLOSED:
        raise DomainError("task_not_closed", "事项尚未办结，无需阅示。")
    if task.leader_read_at is not None:
        raise DomainError("task_already_read", "该事项的办理结果已阅示。")
    task.leader_read_at = clock.now()
    save_versioned(task, ["leader_read_at"], "task")
    record(actor=actor, verb="task.leader_read", obj=task, task=task, unit_id=actor.unit_id)
    return task
