"""领导驾驶舱: the whole picture of a person's scope, each figure a link to the list behind it."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_safe

from duban.core import clock
from duban.supervision.models import Light
from duban.web import dashboard as figures
from duban.web.actions import leads
from duban.web.views.common import business_page

# The site's palette (site.css): told apart by the charts' patterns (decals) and the table as well.
RED, YELLOW, GREEN, GREY, BLUE = "#c4161c", "#b35c00", "#1f6f43", "#6e7781", "#0b5cad"


def tasks_url(**filters) -> str:
    query = urlencode({k: v for k, v in filters.items() if v not in (None, "")})
    return reverse("web:tasks") + (f"?{query}" if query else "")


def assignments_url(**filters) -> str:
    query = urlencode({k: v for k, v in filters.items() if v not in (None, "")})
    return reverse("web:assignments") + (f"?{query}" if query else "")


def _stats(h: figures.Headline) -> list[dict]:
    """The headline figures, each with the list it counts (or the part of this page that lists it)."""
    rate = h.on_time_rate
    return [
        {"label": "在办事项", "value": h.open, "href": tasks_url(state="open"), "parts": [
            {"label": "已交办", "value": h.by_state["assigned"], "href": tasks_url(state="assigned")},
            {"label": "办理中", "value": h.by_state["in_progress"], "href": tasks_url(state="in_progress")},
            {"label": "待销号", "value": h.by_state["closing"], "href": tasks_url(state="closing")},
        ]},
        {"label": "已办结", "value": h.closed, "href": tasks_url(state="closed")},
        {"label": "按期办结率", "value": "—" if rate is None else f"{rate:.0f}%",
         "href": tasks_url(state="closed", light=Light.DONE_ON_TIME),
         "note": f"按期 {h.closed_on_time} / 办结 {h.closed}" if h.closed else "尚无办结事项"},
        {"label": "逾期/红灯", "value": h.red, "href": tasks_url(light=Light.RED), "alert": h.red > 0},
        {"label": "黄灯", "value": h.yellow, "href": tasks_url(light=Light.YELLOW)},
        {"label": "挂牌督办", "value": h.key_open, "href": tasks_url(is_key="true", state="open"),
         "note": "在办的挂牌事项"},
        {"label": "待协调堵点", "value": h.blockers, "href": "#blockers", "alert": h.blockers > 0},
    ]


def _unit_rows(units: list[figures.UnitLights]) -> list[dict]:
    rows = []
    for u in units:
        cells = []
        for light, count in ((Light.RED, u.red), (Light.YELLOW, u.yellow), (Light.GREEN, u.green)):
            href = assignments_url(unit=u.unit_id, light=light) if u.unit_id else assignments_url(light=light)
            cells.append({"light": light, "value": count, "href": href if count else ""})
        rows.append({"unit": u, "href": assignments_url(unit=u.unit_id) if u.unit_id else "", "cells": cells})
    return rows


def _unit_chart(rows: list[dict]) -> dict:
    """A stacked horizontal bar per unit; a click on a segment opens that unit's assignments of that light."""
    series = []
    for index, name in enumerate(("红灯", "黄灯", "绿灯")):
        data = []
        for row in rows:
            cell = row["cells"][index]
            item = {"value": cell["value"]}
            if cell["href"]:
                item["href"] = cell["href"]
            data.append(item)
        series.append({"name": name, "type": "bar", "stack": "lights", "barMaxWidth": 22, "data": data,
                       "emphasis": {"focus": "series"}})
    return {
        "aria": {"enabled": True, "decal": {"show": True}},
        "color": [RED, YELLOW, GREEN],
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "inverse": True, "data": [row["unit"].name for row in rows]},
        "series": series,
    }


def _month_rows(months: list[figures.MonthFigures]) -> list[dict]:
    return [{"month": m,
             "due_href": tasks_url(deadline_from=m.month.isoformat(), deadline_to=m.last_day.isoformat()),
             "closed_href": tasks_url(state="closed", closed_from=m.month.isoformat(),
                                      closed_to=m.last_day.isoformat())}
            for m in months]


def _month_chart(rows: list[dict]) -> dict:
    """Due and closed tasks per month as bars, closed on time as a line; a due bar opens those tasks."""
    labels = [row["month"].label for row in rows]
    return {
        "aria": {"enabled": True, "decal": {"show": True}},
        "color": [GREY, GREEN, BLUE],
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": "到期事项", "type": "bar",
             "data": [{"value": row["month"].due, "href": row["due_href"]} for row in rows]},
            {"name": "办结事项", "type": "bar",
             "data": [{"value": row["month"].closed, "href": row["closed_href"]} for row in rows]},
            {"name": "其中按期办结", "type": "line", "symbol": "triangle", "symbolSize": 9,
             "data": [row["month"].closed_on_time for row in rows]},
        ],
    }


def _with_instruct(user, tasks: list) -> list:
    """A 批示 form on the rows this leader may instruct (the task's leaders, not every leader who follows it)."""
    for t in tasks:
        t.may_instruct = leads(user, t)
    return tasks


@business_page
@require_safe
def dashboard(request):
    user = request.user
    headline = figures.headline_for(user=user)
    empty = headline.total == 0 and headline.blockers == 0
    context = {"headline": headline, "now": clock.now(), "empty": empty}
    if not empty:
        units = _unit_rows(figures.unit_lights_for(user=user))
        months = _month_rows(figures.months_for(user=user))
        context.update({
            "stats": _stats(headline),
            "units": units,
            "units_merged": any(row["unit"].unit_id is None for row in units),
            "unit_chart": _unit_chart(units),
            "unit_chart_height": 72 + 30 * len(units),
            "months": months,
            "month_chart": _month_chart(months),
            "overdue": figures.overdue_for(user=user),
            "overdue_href": assignments_url(light=Light.RED),
            "key_tasks": _with_instruct(user, figures.key_tasks_for(user=user)),
            "key_href": tasks_url(is_key="true", state="open"),
            "blockers": figures.blockers_for(user=user),
        })
    return render(request, "web/dashboard/page.html", context)


urlpatterns = [path("dashboard/", dashboard, name="dashboard")]
