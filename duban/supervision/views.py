"""The home page: what waits in the user's scope, in Chinese."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render

from duban.supervision.models import Light
from duban.supervision.selectors import light_counts_for, task_list_for
from duban.supervision.states import state_label
from duban.workdays.store import get_calendar


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    return _workbench(request)


@login_required
def _workbench(request):
    user = request.user
    counts = light_counts_for(user=user)
    tasks = list(task_list_for(user=user, filters={"light": request.GET.get("light") or None})[:50])
    calendar = get_calendar()
    rows = [
        {
            "task": t,
            "state_label": state_label("task", t.state, user),
            "estimated": t.deadline is not None and calendar.is_estimated(t.deadline),
        }
        for t in tasks
    ]
    return render(request, "home.html", {
        "counts": counts,
        "total": sum(counts.values()),
        "rows": rows,
        "lights": [(Light.RED, "红灯"), (Light.YELLOW, "黄灯"), (Light.GREEN, "绿灯")],
    })


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})



