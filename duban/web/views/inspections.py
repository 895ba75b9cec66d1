"""实地督查 pages: the list, the plan form, one inspection's page with its visits and findings, the phone forms
for a visit, a finding and a 复查, the photos (served only within scope) and the report download."""

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duban.core import clock
from duban.core.errors import DomainError, NotFound
from duban.inspection import services as ins
from duban.inspection.models import FindingState, InspectionState
from duban.inspection.report import finding_state_label, inspection_report_docx, recheck_label, report_title
from duban.inspection.rules import OPEN_INSPECTION_STATES, latest_recheck, runs_office
from duban.inspection.selectors import (
    clue_candidates,
    finding_get_for,
    inspection_detail,
    inspection_get_for,
    inspection_list_for,
    task_candidates,
    team_candidates,
    unit_candidates,
    visit_photo_get_for,
)
from duban.org.models import Role
from duban.supervision.models import Assignment, AssignmentRole, AssignmentState, TaskState
from duban.web.views.common import business_page, error_into_form, page_of, photo_response, url_filters

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = {"rows": 3}
PICK_LIMIT = 1000
ENDED_FINDING_STATES = (FindingState.CLOSED, FindingState.CANCELLED)


def _indented(units) -> list[tuple[int, str]]:
    top = min((u.path.count("/") for u in units), default=0)
    return [(u.pk, "　" * (u.path.count("/") - top) + u.name) for u in units]


# ---- the list ------------------------------------------------------------------------------------------


@business_page
@require_safe
def inspections(request):
    filters = url_filters(request, ("state", "q"))
    try:
        page = page_of(request, inspection_list_for(user=request.user, filters=filters))
    except DomainError:
        raise Http404() from None
    user = request.user
    return render(request, "web/inspections/list.html", {
        "page": page, "filters": filters, "states": InspectionState.choices,
        "may_plan": user.has_role(Role.SUPERVISOR) and user.unit_id is not None,
    })


# ---- the plan -----------------------------------------------------------------------------------------


class PlanForm(forms.Form):
    title = forms.CharField(label="督查名称", max_length=200, help_text="如：优化营商环境专项督查")
    starts_on = forms.DateField(label="开始日期", widget=DATE)
    ends_on = forms.DateField(label="结束日期", widget=DATE)
    team_leader = forms.TypedChoiceField(label="组长", coerce=int)
    team = forms.TypedMultipleChoiceField(label="督查组成员", coerce=int, widget=forms.CheckboxSelectMultiple,
                                          required=False, help_text="组长自动列入督查组。")
    places = forms.TypedMultipleChoiceField(label="督查对象（单位）", coerce=int, required=False,
                                            widget=forms.SelectMultiple(attrs={"size": 8}),
                                            help_text="按住 Ctrl（苹果电脑为 ⌘）可选多个单位。")
    place_notes = forms.CharField(label="督查地点（补充）", required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}), help_text="如：城南工业园、政务服务大厅")
    focus = forms.CharField(label="督查重点", required=False, max_length=10000, widget=forms.Textarea(attrs=TEXT))
    tasks = forms.TypedMultipleChoiceField(label="检查事项", coerce=int, required=False,
                                           widget=forms.SelectMultiple(attrs={"size": 6}))
    clues = forms.TypedMultipleChoiceField(label="核查线索", coerce=int, required=False,
                                           widget=forms.SelectMultiple(attrs={"size": 6}))
    requires_recheck = forms.BooleanField(label="发现问题整改后须经复查才能销号", required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        office = user.unit
        people = [(p.pk, f"{p.full_name or p.username}（{p.unit.display_name}）")
                  for p in team_candidates(office)[:PICK_LIMIT]]
        self.fields["team_leader"].choices = [("", "请选择")] + people
        self.fields["team"].choices = people
        self.fields["places"].choices = _indented(list(unit_candidates(office)[:PICK_LIMIT]))
        self.fields["tasks"].choices = [(t.pk, f"{t.code} {t.title}") for t in task_candidates(user=user)[:PICK_LIMIT]]
        self.fields["clues"].choices = [(c.pk, f"{c.number} {c.description[:40]}")
                                        for c in clue_candidates(user=user, office=office)[:PICK_LIMIT]]


PLAN_ERRORS = {"inspection_title_required": "title", "inspection_dates_order": "ends_on",
               "inspection_leader_required": "team_leader", "inspection_team_invalid": "team",
               "inspection_place_invalid": "places", "inspection_task_invalid": "tasks",
               "inspection_clue_invalid": "clues"}


@business_page
@require_http_methods(["GET", "POST"])
def inspection_new(request):
    user = request.user
    if not (user.has_role(Role.SUPERVISOR) and user.unit_id is not None):
        return render(request, "403.html", {"reason": "只有督查员可以制定实地督查方案。"}, status=403)
    today = clock.today()
    form = PlanForm(request.POST or None, user=user,
                    initial={"starts_on": today, "ends_on": today + dt.timedelta(days=4)})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            inspection = ins.inspection_create(
                actor=user, title=d["title"], starts_on=d["starts_on"], ends_on=d["ends_on"],
                team_leader_id=d["team_leader"], team_ids=d["team"], place_ids=d["places"],
                place_notes=d["place_notes"], task_ids=d["tasks"], clue_ids=d["clues"], focus=d["focus"],
                requires_recheck=d["requires_recheck"])
        except DomainError as error:
            error_into_form(form, error, PLAN_ERRORS)
        else:
            messages.success(request, "督查方案已制定。")
            return redirect("web:inspection", pk=inspection.pk)
    return render(request, "web/inspections/new.html", {"form": form}, status=400 if form.errors else 200)


# ---- one inspection -------------------------------------------------------------------------------------


def _finding_rows(user, inspection, findings, runner: bool, worker: bool) -> None:
    """Each finding's state as the reader says it, and the acts this person may take on it now."""
    task_ids = [f.task_id for f in findings if f.task_id]
    in_review = set(Assignment.objects.filter(task_id__in=task_ids, role=AssignmentRole.LEAD,
                                              state=AssignmentState.REVIEW).values_list("task_id", flat=True))
    for f in findings:
        last = latest_recheck(list(f.rechecks.all()))
        live = f.current_state not in ENDED_FINDING_STATES
        closing = f.task is not None and f.task.state == TaskState.CLOSING
        f.awaits_return = bool(live and last and not last.passed and f.task_id in in_review
                               and f.current_state == FindingState.RECTIFYING)
        f.state_text = "复查未通过，待退回" if f.awaits_return else finding_state_label(f)
        f.recheck_text = recheck_label(f)
        f.may_issue = runner and live and f.task_id is None
        f.may_recheck = worker and live and closing
        f.may_return = runner and f.awaits_return
        f.may_close = runner and live and closing
        f.may_cancel = runner and live


def _detail_context(request, pk: int) -> dict:
    user = request.user
    inspection = inspection_get_for(user=user, id=pk)
    detail = inspection_detail(inspection)  # a page only reads: each finding's state comes from its task
    runner = runs_office(user, inspection)
    member = any(p.pk == user.pk for p in detail["team"])
    worker = runner or member
    open_ = inspection.state in OPEN_INSPECTION_STATES
    _finding_rows(user, inspection, detail["findings"], runner, worker)
    live_findings = [f for f in detail["findings"] if f.current_state != FindingState.CANCELLED]
    return {
        "inspection": inspection, **detail,
        "may_start": worker and inspection.state == InspectionState.PLANNED,
        "may_finish": (runner or user.pk == inspection.team_leader_id) and inspection.state == InspectionState.UNDER_WAY,
        "may_cancel": runner and open_ and not live_findings,
        "may_visit": worker and open_,
        "may_find": worker and inspection.state in (InspectionState.UNDER_WAY, InspectionState.FINISHED),
        "runner": runner,
        "today": clock.today(),
    }


@business_page
@require_safe
def inspection(request, pk: int):
    return render(request, "web/inspections/detail.html", _detail_context(request, pk))


def _run(request, target: str, call, success: str):
    """One act posted from the inspection page: its service, then back to the page with what happened."""
    try:
        call()
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect(target)


INSPECTION_ACTS = {
    "start": (lambda u, i, p: ins.inspection_start(actor=u, inspection=i), "督查已开始。"),
    "finish": (lambda u, i, p: ins.inspection_finish(actor=u, inspection=i), "督查已结束，发现问题继续跟踪整改。"),
    "cancel": (lambda u, i, p: ins.inspection_cancel(actor=u, inspection=i, reason=p.get("reason", "")),
               "督查已取消。"),
}


@business_page
@require_POST
def inspection_act(request, pk: int, name: str):
    if name not in INSPECTION_ACTS:
        raise Http404()
    found = inspection_get_for(user=request.user, id=pk)
    run, success = INSPECTION_ACTS[name]
    return _run(request, reverse("web:inspection", args=[pk]), lambda: run(request.user, found, request.POST),
                success)


def _date_or_none(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


FINDING_ACTS = {
    "issue": (lambda u, f, p: ins.finding_issue(actor=u, finding=f, deadline=_date_or_none(p.get("deadline", ""))),
              "已交办整改，责任单位将收到交办通知。"),
    "return": (lambda u, f, p: ins.finding_return(actor=u, finding=f), "已按复查意见退回单位继续整改。"),
    "close": (lambda u, f, p: ins.finding_close(actor=u, finding=f, note=p.get("note", "")), "整改事项已销号。"),
    "cancel": (lambda u, f, p: ins.finding_cancel(actor=u, finding=f, reason=p.get("reason", "")), "问题已撤销。"),
}


@business_page
@require_POST
def finding_act(request, pk: int, name: str):
    if name not in FINDING_ACTS:
        raise Http404()
    finding = finding_get_for(user=request.user, id=pk)
    run, success = FINDING_ACTS[name]
    target = reverse("web:inspection", args=[finding.inspection_id]) + f"#finding-{finding.pk}"
    return _run(request, target, lambda: run(request.user, finding, request.POST), success)


# ---- the phone forms ---------------------------------------------------------------------------------


class VisitForm(forms.Form):
    unit = forms.TypedChoiceField(label="被督查单位", coerce=int, required=False, empty_value=None)
    place = forms.CharField(label="地点", required=False, max_length=200, help_text="单位以外的地点，如：某村安置点")
    visited_on = forms.DateField(label="日期", widget=DATE)
    notes = forms.CharField(label="现场情况", max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))
    people_met = forms.CharField(label="座谈/走访对象", required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}), help_text="如：企业负责人2名、群众5名")

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "（不选则填写地点）")] + _indented(
            list(unit_candidates(inspection.office)[:PICK_LIMIT]))


def _photos(request) -> list[tuple[str, bytes]]:
    """The uploaded photos as (name, bytes). Their count and sizes are checked first, from the upload itself,
    so that too many or too large files are refused before any of them is read into memory."""
    files = request.FILES.getlist("photos")
    most, limit = settings.DUBAN_PHOTO_MAX_COUNT, settings.DUBAN_PHOTO_MAX_BYTES
    if len(files) > most:
        raise DomainError("photo_too_many", f"每次走访最多上传{most}张照片。")
    for f in files:
        if f.size > limit:
            raise DomainError("photo_too_large", f"照片“{f.name}”超过{limit // (1024 * 1024)}MB，请压缩后再上传。")
    return [(f.name, f.read()) for f in files]


@business_page
@require_http_methods(["GET", "POST"])
def visit_new(request, pk: int):
    user = request.user
    found = inspection_get_for(user=user, id=pk)
    form = VisitForm(request.POST or None, inspection=found, initial={"visited_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit = next((u for u in unit_candidates(found.office) if u.pk == d["unit"]), None) if d["unit"] else None
        try:
            photos = _photos(request)
            ins.visit_record(actor=user, inspection=found, visited_on=d["visited_on"], notes=d["notes"], unit=unit,
                             place=d["place"], people_met=d["people_met"], photos=photos)
        except NotFound:
            raise
        except DomainError as error:
            error_into_form(form, error, {"visit_notes_required": "notes"})
            if error.code.startswith("photo_"):
                form.photo_error = error.message
        else:
            messages.success(request, "走访记录已保存。")
            return redirect(reverse("web:inspection", args=[pk]) + "#visits")
    return render(request, "web/inspections/visit_form.html", {
        "inspection": found, "form": form, "max_photos": settings.DUBAN_PHOTO_MAX_COUNT,
        "max_mb": settings.DUBAN_PHOTO_MAX_BYTES // (1024 * 1024),
    }, status=400 if form.errors else 200)


class FindingForm(forms.Form):
    unit = forms.TypedChoiceField(label="责任单位", coerce=int)
    text = forms.CharField(label="发现问题", max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))
    requirement = forms.CharField(label="整改要求", required=False, max_length=10000, widget=forms.Textarea(attrs=TEXT))
    deadline = forms.DateField(label="整改时限", widget=DATE, help_text="须为工作日；默认20个工作日。")
    visit = forms.TypedChoiceField(label="关联走访", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, inspection, visits, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "请选择")] + _indented(list(unit_candidates(inspection.office)[:PICK_LIMIT]))
        self.visits = {v.pk: v for v in visits}
        self.fields["visit"].choices = [("", "（不关联）")] + [
            (v.pk, f"{v.visited_on:%m-%d} {v.unit.name if v.unit else v.place}") for v in visits]


FINDING_ERRORS = {"finding_unit_out_of_scope": "unit", "finding_text_required": "text",
                  "finding_deadline_past": "deadline", "finding_deadline_not_workday": "deadline"}


@business_page
@require_http_methods(["GET", "POST"])
def finding_new(request, pk: int):
    user = request.user
    found = inspection_get_for(user=user, id=pk)
    visits = list(found.visits.select_related("unit").order_by("-visited_on", "-pk"))
    form = FindingForm(request.POST or None, inspection=found, visits=visits,
                       initial={"deadline": ins.default_rectify_deadline(), "visit": request.GET.get("visit")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit = next((u for u in unit_candidates(found.office).filter(pk=d["unit"])), None)
        try:
            finding = ins.finding_record(actor=user, inspection=found, unit=unit, text=d["text"],
                                         requirement=d["requirement"], deadline=d["deadline"],
                                         visit=form.visits.get(d["visit"]) if d["visit"] else None)
        except NotFound:
            raise
        except DomainError as error:
            error_into_form(form, error, FINDING_ERRORS)
        else:
            messages.success(request, "问题已记录并交办整改。" if finding.task_id else
                             "问题已记录，待督查室交办整改。")
            return redirect(reverse("web:inspection", args=[pk]) + f"#finding-{finding.pk}")
    return render(request, "web/inspections/finding_form.html", {"inspection": found, "form": form},
                  status=400 if form.errors else 200)


class RecheckForm(forms.Form):
    passed = forms.TypedChoiceField(label="复查结论", choices=[("1", "整改到位，复查通过"), ("0", "整改不到位")],
                                    coerce=lambda v: v == "1", widget=forms.RadioSelect,
                                    error_messages={"required": "请选择复查结论。"})
    checked_on = forms.DateField(label="复查日期", widget=DATE)
    notes = forms.CharField(label="复查情况", max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))


@business_page
@require_http_methods(["GET", "POST"])
def recheck_new(request, pk: int):
    user = request.user
    finding = finding_get_for(user=user, id=pk)
    form = RecheckForm(request.POST or None, initial={"checked_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            ins.finding_recheck(actor=user, finding=finding, passed=d["passed"], notes=d["notes"],
                                checked_on=d["checked_on"])
        except NotFound:
            raise
        except DomainError as error:
            error_into_form(form, error, {"recheck_notes_required": "notes"})
        else:
            messages.success(request, "复查结果已记录。")
            return redirect(reverse("web:inspection", args=[finding.inspection_id]) + f"#finding-{finding.pk}")
    return render(request, "web/inspections/recheck_form.html", {"finding": finding, "form": form},
                  status=400 if form.errors else 200)


# ---- files ---------------------------------------------------------------------------------------------


@business_page
@require_safe
def visit_photo(request, pk: int):
    """A visit photo, shown only to someone who may see its inspection; it has no public address."""
    photo = visit_photo_get_for(user=request.user, id=pk)
    return photo_response(photo.file)


@business_page
@require_safe
def inspection_report(request, pk: int):
    found = inspection_get_for(user=request.user, id=pk)
    response = HttpResponse(inspection_report_docx(found),
                            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = content_disposition_header(True, f"{report_title(found)}.docx")
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("inspections/", inspections, name="inspections"),
    path("inspections/new/", inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", inspection, name="inspection"),
    path("inspections/<int:pk>/do/<str:name>/", inspection_act, name="inspection_act"),
    path("inspections/<int:pk>/visits/new/", visit_new, name="visit_new"),
    path("inspections/<int:pk>/findings/new/", finding_new, name="finding_new"),
    path("inspections/<int:pk>/report.docx", inspection_report, name="inspection_report"),
    path("inspections/findings/<int:pk>/recheck/", recheck_new, name="recheck_new"),
    path("inspections/findings/<int:pk>/do/<str:name>/", finding_act, name="finding_act"),
    path("inspections/photos/<int:pk>/", visit_photo, name="inspection_photo"),
]
