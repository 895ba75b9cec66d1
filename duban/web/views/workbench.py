"""The two workbenches: what waits for the 督查室, and what waits for a 承办单位 — each queue a few rows
and its count, in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from duban.core import clock
from duban.org.models import Role
from duban.supervision.models import Assignment, AssignmentRole, AssignmentState, Light, Report
from duban.supervision.selectors import (
    assignment_list_for,
    blocker_list_for,
    extension_list_for,
    light_counts_for,
    report_list_for,
    task_list_for,
)
from duban.web.views.common import business_page

QUEUE_ROWS = 8


@dataclass
class Queue:
    key: str
    title: str
    hint: str  # what to do with the rows
    rows: list
    count: int
    more: str = ""  # the list behind the queue
    kind: str = "assignment"


def _queue(key, title, hint, queryset, kind="assignment", more="") -> Queue:
    rows = list(queryset[:QUEUE_ROWS])
    count = len(rows) if len(rows) < QUEUE_ROWS else queryset.count()
    return Queue(key, title, hint, rows, count, more, kind)


def _light_stats(counts: dict, base: str) -> list[dict]:
    return [
        {"label": "红灯", "light": Light.RED, "n": counts.get(Light.RED, 0), "href": f"{base}light=red", "alert": True},
        {"label": "黄灯", "light": Light.YELLOW, "n": counts.get(Light.YELLOW, 0), "href": f"{base}light=yellow"},
        {"label": "绿灯", "light": Light.GREEN, "n": counts.get(Light.GREEN, 0), "href": f"{base}light=green"},
    ]


@business_page
@require_safe
def supervisor(request):
    """督查室工作台: reports to review, close requests, extensions, returned work, closing, blockers, drafts."""
    user = request.user
    if not user.has_role(Role.SUPERVISOR):
        return render(request, "403.html", {"reason": "督查室工作台只对督查员开放。"}, status=403)
    # What the office may act on: tasks its unit (or a unit below) owns; it follows more than that.
    own = user.unit.path
    reports = (report_list_for(user=user, filters={"state": "submitted"})
               .filter(is_final=False, assignment__task__owner_unit__path__startswith=own)
               .order_by("submitted_at", "id"))
    unfinished_lead = Assignment.objects.filter(task_id=OuterRef("pk"), role=AssignmentRole.LEAD).exclude(
        state__in=[AssignmentState.DONE, AssignmentState.REASSIGNED, AssignmentState.CANCELLED])
    queues = [
        _queue("reports", "待审核的进展反馈", "采纳，或写明意见退回重报。", reports, kind="report"),
        _queue("review", "待审核的办结申请", "核验成效后审核通过，或退回。",
               assignment_list_for(user=user, filters={"state": "review"})
               .filter(task__owner_unit__path__startswith=own).order_by("submitted_at", "id"),
               more="/assignments/?state=review"),
        _queue("extensions", "待批复的延期申请", "批准或不予批准（挂牌督办事项的延期由领导批复）。",
               extension_list_for(user=user, filters={"state": "pending"})
               .filter(assignment__task__owner_unit__path__startswith=own, assignment__task__is_key=False)
               .order_by("requested_at", "id"), kind="extension"),
        _queue("returned", "被退办、待改派", "改派给正确的承办单位。",
               assignment_list_for(user=user, filters={"state": "returned"})
               .filter(task__owner_unit__path__startswith=own).order_by("id"),
               more="/assignments/?state=returned"),
        _queue("closing", "待销号", "牵头单位的办结申请均已审核通过，核验成效后销号。",
               task_list_for(user=user, filters={"state": "closing"})
               .filter(owner_unit__path__startswith=own).exclude(Exists(unfinished_lead))
               .order_by("deadline", "id"), kind="task", more="/tasks/?state=closing"),
        _queue("blockers", "待协调的堵点难点", "答复，或提请领导协调。",
               blocker_list_for(user=user, filters={"state": "open"})
               .filter(assignment__task__owner_unit__path__startswith=own).order_by("raised_at", "id"),
               kind="blocker"),
        _queue("drafts", "已登记、未交办", "确认承办单位和时限后交办。",
               task_list_for(user=user, filters={"state": "draft"}).filter(owner_unit__path__startswith=own)
               .order_by("id"), kind="task", more="/tasks/?state=draft"),
    ]
    counts = light_counts_for(user=user)
    return render(request, "web/workbench/supervisor.html", {
        "queues": queues,
        "stats": _light_stats(counts, "/tasks/?"),
        "active": sum(counts.values()),
        "waiting": sum(q.count for q in queues),
    })


@business_page
@require_safe
def unit(request):
    """承办工作台: 待签收, 待反馈, 待审核 (the unit head's step), returned reports, pending requests."""
    user = request.user
    if not user.has_role(Role.LIAISON, Role.UNIT_HEAD):
        return render(request, "403.html", {"reason": "承办工作台只对承办单位的联络员和负责人开放。"}, status=403)
    own = {"unit": user.unit_id}
    mine = assignment_list_for(user=user, filters=own)
    own_reports = report_list_for(user=user).filter(assignment__unit_id=user.unit_id)
    # A report waiting for the unit head holds the next one back (the task page offers none meanwhile).
    waiting_head = Report.objects.filter(assignment_id=OuterRef("pk"), state="unit_review")
    queues = [
        _queue("sign", "待签收", "一个工作日内签收；不属于本单位职责的，写明理由退办。",
               mine.filter(state="pending").order_by("sign_due", "id"), more=f"/assignments/?unit={user.unit_id}&state=pending"),
        _queue("report", "待反馈", "按时报送工作举措、进展和量化指标；完成后申请办结。",
               mine.filter(state="in_progress").exclude(Exists(waiting_head))
               .order_by("next_report_due", "deadline", "id"),
               more=f"/assignments/?unit={user.unit_id}&state=in_progress"),
    ]
    if user.has_role(Role.UNIT_HEAD):
        queues.append(_queue("approve", "待审核（单位负责人）", "审核后报送督查室，或退回联络员修改。",
                             own_reports.filter(state="unit_review").order_by("submitted_at", "id"), kind="report"))
    queues += [
        _queue("returned", "被退回、需重新报送", "按审核意见补充后重新报送。",
               own_reports.filter(Q(state="returned") | Q(state="unit_returned"),
                                  assignment__state="in_progress").order_by("-id"), kind="report"),
        _queue("waiting", "已申请办结、等待审核", "督查室审核中，无需操作。",
               mine.filter(state="review").order_by("submitted_at", "id"), more=f"/assignments/?unit={user.unit_id}&state=review"),
    ]
    counts = {row["light"]: row["n"] for row in
              mine.filter(state__in=["pending", "in_progress", "review"]).order_by().values("light")
              .annotate(n=Count("pk"))}
    return render(request, "web/workbench/unit.html", {
        "queues": queues,
        "stats": _light_stats(counts, f"/assignments/?unit={user.unit_id}&"),
        "active": sum(counts.values()),
        "today": clock.today(),
    })


urlpatterns = [
    path("work/", supervisor, name="supervisor"),
    path("unit/", unit, name="unit"),
]
