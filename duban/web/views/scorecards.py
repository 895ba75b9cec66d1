"""效能评估 (unit scorecards) and 研判 (a supervisor's judgement of a task's delivery confidence)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from duban.core import clock
from duban.core.errors import DomainError, PermissionDenied
from duban.core.periods import period_or_this_month, recent_periods
from duban.org.models import Role
from duban.scorecards.figures import scorecard_for
from duban.scorecards.models import ConfidenceLevel
from duban.scorecards.selectors import confidence_for_task
from duban.scorecards.services import confidence_record
from duban.supervision.selectors import task_get_for
from duban.web.views.common import business_page, error_into_form

SCORECARD_ROLES = (Role.LEADER, Role.SUPERVISOR)


class ConfidenceForm(forms.Form):
    level = forms.ChoiceField(label="研判等级", choices=ConfidenceLevel.choices, widget=forms.RadioSelect,
                              error_messages={"required": "请选择研判等级。", "invalid_choice": "请选择研判等级。"})
    reason = forms.CharField(label="研判理由", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             error_messages={"required": "请写明研判理由。",
                                             "max_length": "研判理由不超过2000字。"})


def _percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


@require_safe
@business_page
def scorecards(request):
    if not request.user.has_role(*SCORECARD_ROLES):
        return render(request, "403.html", {"reason": "效能评估供领导和督查员查看。"}, status=403)
    today = clock.today()
    period = period_or_this_month(request.GET.get("period"), today)
    card = scorecard_for(user=request.user, period=period)
    rows = [{
        "card": c,
        "sign_rate": _percent(c.sign_rate),
        "on_time_rate": _percent(c.on_time_rate),
        "return_rate": _percent(c.return_rate),
        "copied_rate": _percent(c.copied_rate),
        "padded_rate": _percent(c.padded_rate),
        "answer_on_time_rate": _percent(c.answer_on_time_rate),
        "satisfaction_rate": _percent(c.satisfaction_rate),
        "score": "—" if c.score is None else f"{c.score:.1f}",
        "overdue_penalised": c.penalised_overdue(card.rule),
    } for c in card.units]
    choices = recent_periods(today)
    if period.key not in {p.key for p in choices}:
        choices.insert(0, period)
    return render(request, "web/scorecards/page.html", {
        "period": period, "periods": choices, "rule": card.rule, "rows": rows,
        "show_ranking": card.rule.show_ranking,
    })


@require_POST
@business_page
def task_confidence(request, pk: int):
    task = task_get_for(user=request.user, id=pk)
    form = ConfidenceForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            confidence_record(actor=request.user, task=task, level=form.cleaned_data["level"],
                              reason=form.cleaned_data["reason"])
        except DomainError as error:
            if isinstance(error, PermissionDenied):
                status = 403
            error_into_form(form, error, {"confidence_reason_required": "reason",
                                          "confidence_level_invalid": "level"})
        else:
            messages.success(request, "研判已记录。")
            return redirect(reverse("web:task", args=[task.pk]) + "#confidence")
    return render(request, "web/scorecards/confidence_form.html", {
        "task": task, "form": form, "confidence": confidence_for_task(user=request.user, task=task),
    }, status=status)


urlpatterns = [
    path("scorecards/", scorecards, name="scorecards"),
    path("tasks/<int:pk>/confidence/", task_confidence, name="task_confidence"),
]
