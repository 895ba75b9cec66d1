"""反对形式主义 on the pages: the burden meter (基层减负) for leaders and supervisors, an office's stock-phrase list,
a report set beside the earlier one it resembles (the differing words marked), and the warning a unit reads
about its draft before it submits."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duban.core import clock
from duban.core.errors import DomainError, NotFound
from duban.core.periods import period_or_this_month, recent_periods
from duban.org.models import Role
from duban.quality import similarity
from duban.quality.burden import REPEAT_DAYS, burden_for, hours_rule
from duban.quality.models import StockPhrase
from duban.quality.services import phrases_for, report_quality_preview, stock_phrases_save
from duban.supervision.selectors import assignment_get_for, report_get_for
from duban.web.views.common import business_page, error_into_form

BURDEN_ROLES = (Role.LEADER, Role.SUPERVISOR)
CHART_UNITS = 15


def _percent(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@require_safe
@business_page
def burden(request):
    if not request.user.has_role(*BURDEN_ROLES):
        return render(request, "403.html", {"reason": "基层减负统计供领导和督查员查看。"}, status=403)
    today = clock.today()
    period = period_or_this_month(request.GET.get("period"), today)
    rows = burden_for(user=request.user, period=period)
    totals = {key: sum(getattr(r, key) for r in rows) for key in ("asked", "sent", "copied", "padded", "urges",
                                                                   "notices", "repeated")}
    totals["hours"] = round(sum(r.hours for r in rows), 1)
    choices = recent_periods(today)
    if period.key not in {p.key for p in choices}:
        choices.insert(0, period)
    top = rows[:CHART_UNITS]
    chart = {
        "aria": {"enabled": True, "decal": {"show": True}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value"},
        "yAxis": {"type": "category", "inverse": True, "data": [r.name for r in top]},
        "series": [{"name": "估算工时（小时）", "type": "bar", "barMaxWidth": 22, "data": [r.hours for r in top]},
                   {"name": "重复索要（次）", "type": "bar", "barMaxWidth": 22, "data": [r.repeated for r in top]}],
    } if top else None
    return render(request, "web/quality/burden.html", {
        "period": period, "periods": choices, "rows": [{"b": r, "copied_rate": _percent(r.copied_rate),
                                                        "padded_rate": _percent(r.padded_rate)} for r in rows],
        "totals": totals, "rule": hours_rule(), "repeat_days": REPEAT_DAYS, "chart": chart,
    })


class PhrasesForm(forms.Form):
    phrases = forms.CharField(label="套话清单", required=False, widget=forms.Textarea(attrs={"rows": 14}),
                              help_text="每行一条，如“高度重视”“取得明显成效”。清空后使用上级单位或系统默认的清单。")


@business_page
@require_http_methods(["GET", "POST"])
def stock_phrases(request):
    user = request.user
    if not user.has_role(Role.SUPERVISOR) or user.unit_id is None:
        return render(request, "403.html", {"reason": "只有督查员可以维护本单位的套话清单。"}, status=403)
    own = list(StockPhrase.objects.filter(unit_id=user.unit_id).order_by("id").values_list("text", flat=True))
    form = PhrasesForm(request.POST or None, initial={"phrases": "\n".join(own)})
    if request.method == "POST" and form.is_valid():
        try:
            saved = stock_phrases_save(actor=user, phrases=form.cleaned_data["phrases"].splitlines())
        except DomainError as error:
            error_into_form(form, error)
        else:
            messages.success(request, f"已保存本单位的套话清单（{len(saved)}条）。" if saved
                             else "已清空本单位的清单，改用上级单位或系统默认的清单。")
            return redirect(reverse("web:stock_phrases"))
    return render(request, "web/quality/phrases.html", {
        "form": form, "own": bool(own), "effective": phrases_for(user.unit)}, status=400 if form.errors else 200)


def _marked(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text in pieces, each marked when it lies in one of `spans`."""
    pieces, cursor = [], 0
    for start, end in sorted(spans):
        if start > cursor:
            pieces.append((text[cursor:start], False))
        pieces.append((text[max(start, cursor):end], True))
        cursor = max(cursor, end)
    if cursor < len(text):
        pieces.append((text[cursor:], False))
    return pieces


@require_safe
@business_page
def report_compare(request, report_id: int):
    """A report beside the earlier report it resembles, the words that differ marked in each. The earlier one is
    shown only to those who may open it; others read the similarity alone."""
    report = report_get_for(user=request.user, id=report_id)
    quality = getattr(report, "quality", None)
    match = None
    if quality is not None and quality.match_id:
        try:
            match = report_get_for(user=request.user, id=quality.match_id)
        except NotFound:
            match = None
    context = {"report": report, "quality": quality, "match": match}
    if match is not None:
        in_old, in_new = similarity.differing_spans_both(match.text, report.text)
        context["new_pieces"] = _marked(report.text, in_new)
        context["old_pieces"] = _marked(match.text, in_old)
    return render(request, "web/quality/compare.html", context)


@business_page
@require_POST
def report_check(request, assignment_id: int):
    """htmx: the advice on a draft report, before it is submitted (nothing is written)."""
    assignment = assignment_get_for(user=request.user, id=assignment_id)
    text = (request.POST.get("text") or "").strip()
    check = None
    if len(text) >= 10:
        try:
            # The target values are asked for right beside the text: the draft is not warned about them.
            check = report_quality_preview(actor=request.user, assignment=assignment, text=text, values_given=True)
        except DomainError:
            check = None
    return render(request, "web/quality/_check.html", {"check": check})


urlpatterns = [
    path("burden/", burden, name="burden"),
    path("quality/phrases/", stock_phrases, name="stock_phrases"),
    path("reports/<int:report_id>/compare/", report_compare, name="report_compare"),
    path("assignments/<int:assignment_id>/report-check/", report_check, name="report_check"),
]
