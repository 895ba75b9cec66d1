"""Reads of the escalation capability: a person's inbox, a task's urges, a unit's burden."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from duban.core import clock
from duban.escalation.models import Delivery, DeliveryState, Notice, NoticePreference, Step, Urge
from duban.supervision.access import can_see_task
from duban.supervision.models import Task
from duban.supervision.selectors import assignment_list_for


def notice_list_for(*, user, unread: bool | None = None) -> QuerySet[Notice]:
    """The person's own inbox, newest first; nobody reads another's."""
    qs = Notice.objects.filter(recipient=user).select_related("urge__task", "urge__unit", "urge__assignment").order_by("-id")
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs


def unread_count_for(*, user) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


def preference_for(*, user) -> dict:
    """The channels a person receives notices on: their choice, else the deployment's defaults."""
    pref = NoticePreference.objects.filter(user=user).first()
    if pref is None:
        return {"email": settings.DUBAN_NOTICE_EMAIL_DEFAULT, "sms": settings.DUBAN_NOTICE_SMS_DEFAULT}
    return {"email": pref.email, "sms": pref.sms}


def urge_list_for(*, user, task: Task) -> QuerySet[Urge]:
    """The urges on a task's assignments that the person may see."""
    if not can_see_task(user, task):
        return Urge.objects.none()
    # Only the urges of assignments the person may see: a unit is not told who else is being urged.
    seen = assignment_list_for(user=user, filters={"task": task.pk}).order_by().values("pk")
    return (Urge.objects.filter(task=task, assignment_id__in=seen).select_related("unit", "created_by")
            .annotate(notice_count=Count("notices")).order_by("-id"))


def failed_deliveries() -> QuerySet[Delivery]:
    """What the worker gave up on, for the administrator to fix and send again."""
    return Delivery.objects.filter(state=DeliveryState.FAILED).order_by("-created_at")


@dataclass(frozen=True)
class UnitBurden:
    unit_id: int
    urges: int  # 催办 of every kind the unit received: 提醒、催签、催办、督办通知、挂牌、催办单、批示
    assignments: int  # 交办通知: new work handed to it
    notices: int  # the notices all of these became, one per person told


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return clock.at_local(start, 0), clock.at_local(end, 0)


def unit_burden(*, month: dt.date, unit_ids: list[int] | None = None) -> list[UnitBurden]:
    """What reached each unit in a month (the notice side of the reporting-burden meter, 基层减负)."""
    start, end = _month_bounds(month)
    qs = Urge.objects.filter(created_at__gte=start, created_at__lt=end)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    rows = (qs.order_by().values("unit_id")
            .annotate(urges=Count("id", filter=~Q(step=Step.ASSIGN), distinct=True),
                      assignments=Count("id", filter=Q(step=Step.ASSIGN), distinct=True),
                      notices=Count("notices"))
            .order_by("unit_id"))
    return [UnitBurden(unit_id=r["unit_id"], urges=r["urges"], assignments=r["assignments"], notices=r["notices"])
            for r in rows]
