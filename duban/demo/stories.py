"""The stories of the 示范州's year, each told through the real services.

A decision is registered; a task is created and assigned (交办); each unit
signs (签收) or returns it (退办, then 改派), reports progress with its unit
head's approval (二级审核), has reports accepted or sent back (退回重报), asks
for more time (延期), raises blockers (堵点) that a leader answers, and asks to
close (申请办结); the supervisor verifies or rejects, and closes (销号) the
task once every lead unit is done. A county may decompose what it received
(层层分解). A 批示's result goes back to its leader, who reads it or instructs
again. See `duban.demo.history` for how the steps are ordered in time.
"""

from decimal import Decimal

from duban.demo import topics as words
from duban.demo.history import History, Story, TaskRun
from duban.demo.plan import Fate, PlannedDecision, PlannedTask
from duban.supervision.models import Assignment, Blocker, Milestone, Report, Task
from duban.supervision.services import (
    assignment_reassign,
    assignment_reject,
    assignment_return,
    assignment_sign,
    assignment_verify,
    blocker_answer,
    blocker_escalate,
    decision_create,
    extension_decide,
    extension_request,
    instruction_write,
    milestone_complete,
    report_review,
    report_submit,
    report_unit_approve,
    task_assign,
    task_cancel,
    task_close,
    task_create,
    task_leader_read,
)

ACTIVE_TASK = ("assigned", "in_progress", "closing")


def decision_story(h: History, spec: PlannedDecision) -> Story:
    decision = h.act(decision_create, actor=h.people[spec.registrar], kind=spec.kind, title=spec.title,
                     issued_on=spec.issued_on, doc_number=spec.doc_number, issuer=spec.issuer, body=spec.body)
    if decision is not None:
        h.decisions[spec.key] = decision
    return
    yield


def task_story(h: History, spec: PlannedTask) -> Story:
    rng = h.rng("task", spec.index)
    supervisor = h.people[spec.supervisor]
    decision = h.decisions.get(spec.decision)
    if decision is None:
        return
    leader = h.people[spec.leader] if spec.leader else None
    task = h.act(task_create, actor=supervisor, decision=decision, title=spec.title, requirements=spec.requirements,
                 lead_unit_ids=[h.units[k].pk for k in spec.lead],
                 cooperating_unit_ids=[h.units[k].pk for k in spec.cooperate], deadline=spec.deadline,
                 cadence=spec.cadence, report_day=spec.report_day, responsible_leader=leader, urgency=spec.urgency,
                 is_key=spec.is_key, category=spec.category, milestones=list(spec.milestones),
                 targets=[{"name": n, "measure": m, "baseline": b, "target": v} for n, m, b, v in spec.targets])
    if task is None:
        return
    yield h.after(rng, 0)
    if h.act(task_assign, actor=supervisor, task=task) is None:
        return
    begin_task(h, spec, task, supervisor, leader)


def begin_task(h: History, spec: PlannedTask, task: Task, supervisor, leader=None, **ways) -> TaskRun:
    """An assigned task starts its life: every unit's story, its milestones, the supervisor's and leader's moves.
    `ways`: the TaskRun steps of a clue's or a finding's task (see TaskRun)."""
    run = TaskRun(key=str(spec.index), spec=spec, task=task, supervisor=supervisor,
                  leader=leader or h.people["zhou.fuzhouzhang"], kind=task.decision.kind, fate=spec.fate,
                  cadence=spec.cadence,
                  targets=[(pk, float(b), float(v)) for pk, b, v in task.targets.values_list("pk", "baseline", "target")],
                  **ways)
    returned_to = spec.fate.returned_to
    if returned_to and returned_to not in spec.lead + spec.cooperate:
        first = Assignment.objects.filter(task=task).order_by("role", "pk").first()  # a cooperating unit if any
        run.return_pk = first.pk
    start_assignments(h, run)
    for milestone in task.milestones.order_by("due", "pk"):
        h.spawn(milestone_story(h, run, milestone))
    if spec.fate.cancel:
        h.spawn(cancel_story(h, run))
    if spec.fate.leader_note:
        h.spawn(leader_note_story(h, run))
    return run


def milestone_story(h: History, run: TaskRun, milestone: Milestone) -> Story:
    """A lead unit reports a milestone reached: mostly a few days early, sometimes late."""
    rng = h.rng("milestone", run.key, milestone.pk)
    when = h.workdays(milestone.due, rng.choices([-3, -1, 0, 2, 6], weights=[30, 30, 20, 12, 8])[0])
    yield h.on(when, rng)
    if h.task_state(run) not in ACTIVE_TASK:
        return
    lead = Assignment.objects.filter(task=run.task, role="lead", state="in_progress").order_by("pk").first()
    if lead is not None:
        liaison, _ = h.staff[lead.unit_id]
        h.act(milestone_complete, actor=liaison, milestone=milestone)


def start_assignments(h: History, run: TaskRun) -> None:
    for a in Assignment.objects.filter(task=run.task, state="pending").order_by("pk"):
        h.spawn(assignment_story(h, run, a))


def assignment_story(h: History, run: TaskRun, a: Assignment) -> Story:
    rng = h.rng("assignment", run.key, a.pk, run.round)
    liaison, head = h.staff[a.unit_id]
    yield h.after(rng, rng.choices([0, 1, 2, 3], weights=[60, 28, 8, 4])[0])
    if h.fresh(a).state != "pending":
        return
    if a.pk == run.return_pk:
        yield from return_and_reassign(h, run, a, rng)
        return
    if h.act(assignment_sign, actor=head if rng.random() < 0.15 else liaison, assignment=a) is None:
        return
    if a.role == "cooperate":
        if run.cadence != "none":
            yield from reports_by_cadence(h, run, a, rng, finish=None)
        else:
            yield from reports_until(h, run, a, rng, h.fresh(a).deadline)
        return
    if run.fate.cascade and run.round == 1 and a.unit_id in h.county_office:
        h.spawn(cascade_story(h, run, a))
    if run.cadence != "none":
        yield from reports_by_cadence(h, run, a, rng, finish=cadence_finish(h, run, a, rng))
    else:
        yield from work_to_deadline(h, run, a, rng)


def return_and_reassign(h: History, run: TaskRun, a: Assignment, rng) -> Story:
    liaison, _ = h.staff[a.unit_id]
    if h.act(assignment_return, actor=liaison, assignment=a, reason=rng.choice(words.RETURN_REASONS)) is None:
        return
    yield h.after(rng, rng.randint(0, 1))
    new = h.act(assignment_reassign, actor=run.supervisor, assignment=a, unit=h.units[run.fate.returned_to])
    if new is not None:
        h.spawn(assignment_story(h, run, new))


# --- a lead unit's work toward its deadline -------------------------------------------------------

def work_to_deadline(h: History, run: TaskRun, a: Assignment, rng) -> Story:
    deadline = h.fresh(a).deadline
    pace = run.fate.pace
    ask_on = h.workdays(deadline, -rng.randint(2, 5)) if run.fate.extension else None
    if ask_on is not None and ask_on > h.today():
        if not (yield from reports_until(h, run, a, rng, ask_on)):
            return
        yield h.on(ask_on, rng)
        granted = yield from ask_for_time(h, run, a, rng, deadline)
        if granted is None:
            return
        if granted:
            deadline, pace = h.fresh(a).deadline, "tight"
        elif pace in ("prompt", "tight"):
            pace = "late"
    finish = finish_day(h, pace, deadline, rng)
    if not (yield from reports_until(h, run, a, rng, finish)):
        return
    yield h.on(finish, rng)
    yield from ask_to_close(h, run, a, rng)


def finish_day(h: History, pace: str, deadline, rng):
    today = h.today()
    if pace == "prompt":
        span = max(1, h.calendar.workdays_between(today, deadline))
        return h.workdays(today, max(1, round(span * rng.uniform(0.45, 0.85))))
    if pace == "tight":
        return max(h.workdays(today, 1), h.workdays(deadline, -rng.randint(0, 2)))
    if pace == "late":
        return h.workdays(deadline, rng.randint(2, 10))
    return h.workdays(deadline, rng.randint(15, 45))


def cadence_finish(h: History, run: TaskRun, a: Assignment, rng):
    if run.spec.finish_on:
        return run.spec.finish_on
    deadline = h.fresh(a).deadline
    return finish_day(h, run.fate.pace, deadline, rng) if deadline else None


def reports_until(h: History, run: TaskRun, a: Assignment, rng, until) -> Story:
    """Progress reports every two or three weeks until shortly before `until`. False when the work has ended."""
    while True:
        day = h.workdays(h.today(), rng.randint(10, 16) if a.role == "lead" else rng.randint(13, 20))
        if until is None or day >= h.workdays(until, -1):
            return True
        yield h.on(day, rng)
        fresh = h.fresh(a)
        if fresh.state != "in_progress":
            return False
        lag = run.fate.pace in ("late", "very_late") and a.role == "lead"
        report = yield from submit(h, run, a, rng, progress_for(h, fresh, rng, lag=lag))
        if report is None:
            return False
        if rng.random() < (0.5 if a.role == "lead" else 0.2):
            yield from review(h, run, a, report, rng)


def reports_by_cadence(h: History, run: TaskRun, a: Assignment, rng, finish) -> Story:
    """A long-running task reports before each due date (每月5日前 / 每季度), now and then a little late."""
    while True:
        fresh = h.fresh(a)
        due = fresh.next_report_due
        if due is None or (finish is not None and due >= finish):
            break
        late = rng.random() < 0.08
        yield h.on(h.workdays(due, rng.randint(1, 3) if late else -rng.randint(0, 4)), rng)
        fresh = h.fresh(a)
        if fresh.state != "in_progress":
            return
        report = yield from submit(h, run, a, rng, progress_for(h, fresh, rng, horizon=100 if
                                                                 run.cadence == "quarterly" else 40))
        if report is None:
            return
        if rng.random() < (0.5 if a.role == "lead" else 0.2):
            yield from review(h, run, a, report, rng)
    if finish is not None:
        yield h.on(finish, rng)
        yield from ask_to_close(h, run, a, rng)


def progress_for(h: History, fresh, rng, *, lag: bool = False, horizon: int = 16) -> int:
    """Where the work stands: ahead of the straight line to the deadline, or behind it when late."""
    today = h.today()
    if fresh.deadline and fresh.deadline > fresh.assigned_on:
        span = (fresh.deadline - fresh.assigned_on).days
        expected = 100 * ((today - fresh.assigned_on).days + horizon) / span
        if lag:
            expected *= 0.7
        value = int(expected) + rng.randint(0, 8)
    else:
        value = max(fresh.progress, 5) + rng.randint(6, 12) * (2 if horizon > 50 else 1)
    return max(5, min(95, max(fresh.progress, value)))


def ask_for_time(h: History, run: TaskRun, a: Assignment, rng, deadline) -> Story:
    """延期申请 and its 批复 (by a leader for a 挂牌 task). True if granted, False if not, None if it failed."""
    liaison, _ = h.staff[a.unit_id]
    if h.fresh(a).state != "in_progress":
        return None
    wanted = h.workdays(deadline, rng.randint(10, 25))
    extension = h.act(extension_request, actor=liaison, assignment=a, reason=rng.choice(words.EXTENSION_REASONS),
                      requested_deadline=wanted)
    if extension is None:
        return None
    yield h.after(rng, rng.randint(1, 2))
    approve = run.fate.extension == "approved"
    decider = run.leader if run.task.is_key else run.supervisor
    decided = h.act(extension_decide, actor=decider, extension=extension, approve=approve,
                    comment="同意延期，请按新时限完成。" if approve else rng.choice(words.EXTENSION_DENIALS))
    return None if decided is None else approve


# --- reports, reviews, closing ----------------------------------------------------------------------

def submit(h: History, run: TaskRun, a: Assignment, rng, progress: int, final: bool = False,
           files: list[tuple[str, bytes]] | None = None) -> Story:
    """One report, through the unit head's approval when a liaison writes it (二级审核). Returns the report."""
    liaison, head = h.staff[a.unit_id]
    text = rng.choice(words.FINAL_REPORTS) if final else (
        rng.choice(words.REPORT_OPENINGS) + "".join(rng.sample(words.REPORT_MEASURES, 2)))
    blockers = [rng.choice(words.BLOCKERS)] if not final and rng.random() < 0.05 else None
    values = target_values(run, progress) if a.role == "lead" else None
    report = h.act(report_submit, actor=head if rng.random() < 0.4 else liaison, assignment=a, text=text,
                   progress=progress, is_final=final, target_values=values, blockers=blockers, files=files)
    if report is None:
        return None
    for blocker in Blocker.objects.filter(report=report).order_by("pk"):
        h.spawn(blocker_story(h, run, blocker))
    if report.state != "unit_review":
        return report
    yield h.after(rng, rng.choice([0, 0, 1]))
    if h.fresh(a).state != "in_progress":
        return None  # the work ended meanwhile; 销号 or 撤销 withdrew the waiting report
    if not final and rng.random() < 0.05:
        if h.act(report_unit_approve, actor=head, report=report, approve=False,
                 comment=rng.choice(words.UNIT_RETURN_COMMENTS)) is None:
            return None
        yield h.after(rng, rng.choice([0, 1]))
        report = h.act(report_submit, actor=liaison, assignment=a, text=text + "已按单位负责人意见补充完善。",
                       progress=progress, target_values=values)
        if report is None:
            return None
        yield h.after(rng, 0)
        if h.fresh(a).state != "in_progress":
            h.act(report_unit_approve, actor=head, report=report, approve=False, comment="该事项已结束，本次反馈不再报送。")
            return None
    if h.act(report_unit_approve, actor=head, report=report, approve=True) is None:
        return None
    return report


def unit_approves(h: History, a: Assignment, rng, report: Report) -> Story:
    """The unit head approves a report its liaison wrote (二级审核). Returns the report, or None."""
    if report.state != "unit_review":
        return report
    yield h.after(rng, rng.choice([0, 0, 1]))
    if h.fresh(a).state != "in_progress":
        return None
    _, head = h.staff[a.unit_id]
    if h.act(report_unit_approve, actor=head, report=report, approve=True) is None:
        return None
    return report


def final_report(h: History, run: TaskRun, a: Assignment, rng) -> Story:
    """申请办结: the ordinary last report."""
    return (yield from submit(h, run, a, rng, 100, final=True))


def target_values(run: TaskRun, progress: int) -> dict:
    return {pk: Decimal(str(round(base + (goal - base) * progress / 100, 2))) for pk, base, goal in run.targets}


def review(h: History, run: TaskRun, a: Assignment, report: Report, rng) -> Story:
    """The supervisor reads a progress report: accepted, or sent back to be done again (退回重报)."""
    yield h.after(rng, rng.randint(1, 3))
    if Report.objects.filter(pk=report.pk).values_list("state", flat=True).get() != "submitted":
        return
    if rng.random() >= 0.06:
        h.act(report_review, actor=run.supervisor, report=report, accept=True)
        return
    if h.act(report_review, actor=run.supervisor, report=report, accept=False,
             comment=rng.choice(words.RETURN_COMMENTS)) is None:
        return
    yield h.after(rng, rng.randint(1, 2))
    if h.fresh(a).state == "in_progress":
        yield from submit(h, run, a, rng, report.progress)


def ask_to_close(h: History, run: TaskRun, a: Assignment, rng) -> Story:
    """申请办结, once the county's own units have finished; verified, or rejected once and done again.

    A finding's request waits for the team's 复查 (run.check); a failed one sends it back instead."""
    round_ = run.round  # a clue reopened meanwhile (重办) starts the work again in its own stories
    for _ in range(6):
        if not Task.objects.filter(parent_assignment=a, state__in=ACTIVE_TASK).exists():
            break
        yield h.after(rng, 2)
    for attempt in (1, 2):
        if run.round != round_ or h.fresh(a).state != "in_progress":
            return
        if (yield from (run.final or final_report)(h, run, a, rng)) is None:
            return
        if run.check is not None:
            passed = yield from run.check(h, run, a, rng, attempt)
            if passed is None or run.round != round_:
                return
            if not passed:
                yield h.after(rng, rng.randint(3, 8))
                continue
            yield h.after(rng, rng.randint(0, 2))
        else:
            yield h.after(rng, rng.randint(1, 3))
        if run.round != round_ or h.fresh(a).state != "review":
            return
        if attempt == 1 and run.fate.reject_final and run.check is None:
            if h.act(assignment_reject, actor=run.supervisor, assignment=a,
                     comment=rng.choice(words.REJECT_COMMENTS)) is None:
                return
            yield h.after(rng, rng.randint(3, 8))
            continue
        if h.act(assignment_verify, actor=run.supervisor, assignment=a,
                 comment=rng.choice(words.VERIFY_COMMENTS)) is not None:
            close_when_done(h, run)
        return


def resume_work(h: History, run: TaskRun, a: Assignment) -> Story:
    """A lead unit whose work opened again (重办) while it was still in hand goes on to its new deadline."""
    rng = h.rng("resume", run.key, a.pk, run.round)
    yield h.after(rng, rng.randint(0, 1))
    if h.fresh(a).state == "in_progress":
        yield from work_to_deadline(h, run, a, rng)


def close_when_done(h: History, run: TaskRun) -> None:
    states = list(Assignment.objects.filter(task=run.task, role="lead")
                  .exclude(state__in=["reassigned", "cancelled"]).values_list("state", flat=True))
    if states and all(s == "done" for s in states) and not run.closing:
        run.closing = True
        h.spawn(close_story(h, run))


def close_story(h: History, run: TaskRun) -> Story:
    rng = h.rng("close", run.key, run.round)
    round_ = run.round
    yield h.after(rng, rng.randint(0, 2))
    if run.round != round_:
        return
    note = rng.choice(words.CLOSE_NOTES)
    closed = run.close(h, run, note) if run.close else h.act(task_close, actor=run.supervisor, task=run.task,
                                                                   note=note)
    run.closing = False
    if closed is None or run.kind != "instruction" or run.task.parent_assignment_id is not None:
        return
    yield h.after(rng, rng.randint(1, 4))  # 领导阅示
    if run.fate.follow_up == "reinstruct" and run.round == 1:
        if h.act(instruction_write, actor=run.leader, task=run.task,
                 text=rng.choice(words.INSTRUCTION_FOLLOW_UPS)) is None:
            return
        run.round, run.fate = 2, Fate(follow_up="read")
        start_assignments(h, run)
    else:
        h.act(task_leader_read, actor=run.leader, task=run.task)


# --- the supervisor's and the leaders' own moves ----------------------------------------------------

def cancel_story(h: History, run: TaskRun) -> Story:
    rng = h.rng("cancel", run.key)
    yield h.after(rng, rng.randint(3, 12))
    if h.task_state(run) not in ACTIVE_TASK:
        return
    reason = rng.choice(words.CANCEL_REASONS)
    if run.cancel is not None:
        run.cancel(h, run, reason)
    else:
        h.act(task_cancel, actor=run.supervisor, task=run.task, reason=reason)  # reaches the counties' sub-tasks too


def leader_note_story(h: History, run: TaskRun) -> Story:
    rng = h.rng("note", run.key)
    yield h.after(rng, rng.randint(5, 20))
    if h.task_state(run) in ACTIVE_TASK:
        h.act(instruction_write, actor=run.leader, task=run.task, text=rng.choice(words.LEADER_NOTES))


def blocker_story(h: History, run: TaskRun, blocker: Blocker) -> Story:
    """堵点: the supervisor asks a leader to coordinate (协调); the leader answers."""
    rng = h.rng("blocker", blocker.pk)
    yield h.after(rng, rng.randint(1, 2))
    escalated = h.act(blocker_escalate, actor=run.supervisor, blocker=blocker, leader=run.leader)
    yield h.after(rng, rng.randint(1, 4))
    h.act(blocker_answer, actor=run.leader if escalated else run.supervisor, blocker=blocker,
          answer=rng.choice(words.BLOCKER_ANSWERS))


def cascade_story(h: History, run: TaskRun, parent: Assignment) -> Story:
    """层层分解: the county's 督查室 passes what it signed for on to its departments and townships."""
    rng = h.rng("cascade", run.key)
    supervisor, leader = h.county_office[parent.unit_id]
    yield h.after(rng, rng.randint(0, 2))
    fresh = h.fresh(parent)
    if fresh.state != "in_progress" or (fresh.deadline and fresh.deadline <= h.workdays(h.today(), 2)):
        return
    if fresh.deadline:
        deadline = h.workdays(fresh.deadline, -3)
        if deadline <= h.workdays(h.today(), 3):
            deadline = fresh.deadline
    else:
        deadline = h.workdays(h.today(), rng.randint(20, 40))
    county = supervisor.unit.name
    sub = h.act(task_create, actor=supervisor, decision=run.task.decision, parent_assignment=parent,
                title=f"{run.spec.title}（{county}分解落实）", lead_unit_ids=[h.units[k].pk for k in run.fate.cascade],
                deadline=deadline, responsible_leader=leader, category=run.spec.category,
                requirements=f"{county}承接州级交办事项，分解至相关单位落实，按时限办结并报县督查室。")
    if sub is None:
        return
    yield h.after(rng, 0)
    if h.act(task_assign, actor=supervisor, task=sub) is None:
        return
    sub_run = TaskRun(key=f"{run.key}.sub", spec=run.spec, task=sub, supervisor=supervisor, leader=leader,
                      kind=run.kind, fate=Fate(pace=rng.choice(["prompt", "prompt", "tight"])), cadence="none")
    start_assignments(h, sub_run)
