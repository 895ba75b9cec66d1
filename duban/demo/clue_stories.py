"""The public's clues, told through the real services (duban.voice).

A citizen submits a clue from the portal (any hour, an address of its own, a name and phone or none, now
and then a photo). The office forwards it (转办: clue_forward makes the decision of kind `clue`, the task
and its 交办), and the task lives like any other (duban.demo.stories) except at its end: the county's answer
to the sender (clue_answer) is its request to close. The sender rates the answer a few days later; 不满意
reopens the clue once (重办), and the units work again to a new deadline. Some clues are merged into an
earlier one of the same matter or declined with a reason; the last days' are still waiting in the queue.
Answers never rated are closed by the worker's sweep, which runs here every working morning.
"""

import datetime as dt

from duban.core import clock
from duban.demo.history import History, Story, TaskRun
from duban.demo.pictures import picture
from duban.demo.planned import Fate, PlannedClue, PlannedTask
from duban.demo.stories import assignment_story, begin_task, final_report, resume_work, unit_approves
from duban.supervision.models import Assignment, Report, Task
from duban.voice.models import Clue, ClueState
from duban.voice.services import (
    clue_answer,
    clue_contact_reveal,
    clue_decline,
    clue_forward,
    clue_merge,
    clue_rate,
    clue_submit,
)
from duban.voice.worker import clues_close_unrated

OFFICE_OPENS, OFFICE_CLOSES = 9, 17


def clue_story(h: History, plan: PlannedClue) -> Story:
    """A citizen sends the clue; the office merges or declines it when that is its fate."""
    rng = h.rng("clue", plan.key)
    photos = [("现场照片.jpg", picture(rng))] if plan.photo else None
    clue = h.act(clue_submit, category=plan.category, description=plan.description,
                 place_unit_id=h.units[plan.place].pk if plan.place else None, place_text=plan.place_text,
                 name=plan.name, phone=plan.phone, photos=photos, address=plan.address)
    if clue is None:
        return
    h.clues[plan.key] = clue
    if plan.route not in ("merge", "decline"):
        return
    yield office_moment(h, plan.routed_on, rng)
    router = h.people[plan.router]
    if plan.route == "decline":
        h.act(clue_decline, actor=router, clue=clue, reason=plan.reason)
    elif plan.into in h.clues:
        h.act(clue_merge, actor=router, clue=clue, into=h.clues[plan.into])


def office_moment(h: History, day: dt.date, rng) -> dt.datetime:
    """The office's hours on `day`, or its next working morning when the clue came in after them."""
    if h.today() >= day and clock.local(h.now).hour >= OFFICE_CLOSES - 1:
        day = h.workdays(h.today(), 1)
    return h.on(day, rng)


def forward_story(h: History, spec: PlannedTask) -> Story:
    """转办: the office forwards the clue to the county (属地) with the department that helps; the task follows."""
    rng = h.rng("task", spec.index)
    plan = h.clue_plans[spec.clue]
    clue = h.clues.get(spec.clue)
    if clue is None:
        return
    supervisor = h.people[spec.supervisor]
    if plan.reveal:  # to call the sender back: read, and audited
        h.act(clue_contact_reveal, actor=supervisor, clue=clue)
        yield h.after(rng, 0)
    clue = h.act(clue_forward, actor=supervisor, clue=clue, unit_ids=[h.units[k].pk for k in spec.lead + spec.cooperate],
                 title=spec.title, requirements=spec.requirements, deadline=spec.deadline)
    if clue is None:
        return
    h.clues[spec.clue] = clue
    yield h.after(rng, 0)
    task = Task.objects.select_related("decision").get(pk=clue.task_id)
    begin_task(h, spec, task, supervisor, clue=clue, clue_plan=plan, final=answer_sender)


def answer_sender(h: History, run: TaskRun, a: Assignment, rng) -> Story:
    """The county's request to close is its answer to the sender (答复), through the unit head's approval.
    A request asked again after the office sent it back is an ordinary final report: the sender has read
    the answer already."""
    state, round_ = Clue.objects.filter(pk=run.clue.pk).values_list("state", "round").get()
    if state not in (ClueState.FORWARDED, ClueState.REOPENED) or run.task.parent_assignment_id is not None:
        return (yield from final_report(h, run, a, rng))
    liaison, head = h.staff[a.unit_id]
    text = run.clue_plan.answers[min(round_, len(run.clue_plan.answers)) - 1]
    reply = h.act(clue_answer, actor=head if rng.random() < 0.3 else liaison, clue=run.clue, text=text)
    if reply is None:
        return None
    h.spawn(rating_story(h, run, reply.round))
    report = Report.objects.filter(assignment=a, is_final=True).order_by("-pk").first()
    if report is None:
        return None
    return (yield from unit_approves(h, a, rng, report))


def rating_story(h: History, run: TaskRun, round_: int) -> Story:
    """The sender reads the answer by the code and rates it, or never does (the sweep closes it then)."""
    plan = run.clue_plan
    rng = h.rng("rating", plan.key, round_)
    rating = plan.ratings[round_ - 1] if round_ <= len(plan.ratings) else ""
    if not rating:
        return
    yield h.after(rng, plan.rate_after if round_ == 1 else rng.randint(1, 5))
    clue = Clue.objects.get(pk=run.clue.pk)
    if clue.state != ClueState.ANSWERED or clue.round != round_:
        return
    rated = h.act(clue_rate, clue=clue, rating=rating, comment=plan.comments[round_ - 1])
    if rated is not None and rated.state == ClueState.REOPENED:
        redo(h, run)


def redo(h: History, run: TaskRun) -> None:
    """重办: clue_rate opened the task again (task_redo); every unit asked again signs anew, a lead still at
    work goes on to the new deadline."""
    run.round += 1
    run.fate = Fate(pace=run.clue_plan.redo_pace)
    run.closing = False
    for a in Assignment.objects.filter(task=run.task).order_by("pk"):
        if a.state == "pending":
            h.spawn(assignment_story(h, run, a))
        elif a.state == "in_progress" and a.role == "lead":
            h.spawn(resume_work(h, run, a))


def sweep_story(h: History) -> Story:
    """The worker's clue sweep, every working morning: answers the sender never rated are closed."""
    day = h.today()
    while True:
        h.executed += clues_close_unrated()
        day = h.calendar.next_workday(day + dt.timedelta(days=1))
        yield clock.at_local(day, 7)
