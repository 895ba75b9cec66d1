"""The task and assignment lists (督办事项, 承办情况): filters in the URL, sorting, pages, and the same list as .xlsx.

A list's URL is its whole state, so that a list can be bookmarked, shared and
exported as shown. The filters are exactly those the scoped selectors know; a
value they cannot read is shown beside its field, with an empty result.
"""

from dataclasses import dataclass

from django import forms
from django.db.models import Case, F, IntegerField, Prefetch, Value, When
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers

from duban.core import clock
from duban.core.errors import DomainError, NotFound
from duban.org.models import Role
from duban.org.selectors import unit_list_for, viewer_of
from duban.supervision.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Light,
    TaskPlan,
    TaskState,
)
from duban.supervision.selectors import (
    assignment_list_for,
    decision_get_for,
    task_get_for,
    task_list_for,
)
from duban.supervision.selectors.scope import LIVE_ASSIGNMENT
from duban.web import export
from duban.web.views.common import business_page, error_into_form, is_htmx, page_of, url_filters
from duban.workdays.store import get_calendar

TASK_FILTERS = ("unit", "state", "light", "deadline_from", "deadline_to", "closed_from", "closed_to", "decision",
                "is_key", "q")
ASSIGNMENT_FILTERS = ("unit", "state", "light", "deadline_from", "deadline_to", "decision", "task", "is_key", "q")

# The unit select is a convenience, not the unit tree: a province has thousands of units.
UNIT_OPTIONS_MAX = 500

LIGHT_CHOICES = [("", "全部"), *[(v, Light(v).label) for v in (Light.RED, Light.YELLOW, Light.GREEN,
                                                                Light.DONE_ON_TIME, Light.DONE_LATE)]]
KEY_CHOICES = [("", "全部"), ("true", "是"), ("false", "否")]

# Worst first: a sort by light puts what needs attention at the top.
LIGHT_SEVERITY = Case(
    When(light=Light.RED, then=Value(0)),
    When(light=Light.YELLOW, then=Value(1)),
    When(light=Light.GREEN, then=Value(2)),
    When(light=Light.NONE, then=Value(3)),
    When(light=Light.DONE_LATE, then=Value(4)),
    default=Value(5),
    output_field=IntegerField(),
)


def _sorts(code_field: str) -> dict[str, tuple]:
    # Every order ends on the id, so that pages never overlap or skip a row.
    return {
        "-id": ("-id",),
        "deadline": (F("deadline").asc(nulls_last=True), "-id"),
        "-deadline": (F("deadline").desc(nulls_last=True), "-id"),
        "code": (code_field, "-id"),
        "-code": (f"-{code_field}", "-id"),
        "light": (LIGHT_SEVERITY.asc(), F("deadline").asc(nulls_last=True), "-id"),
        "-light": (LIGHT_SEVERITY.desc(), F("deadline").asc(nulls_last=True), "-id"),
    }


DEFAULT_SORT = "-id"


@dataclass(frozen=True)
class ListKind:
    """What differs between the two lists."""

    name: str  # URL name of the list
    filters: tuple[str, ...]
    states: list[tuple[str, str]]
    sorts: dict[str, tuple]
    selector: object
    page_template: str
    results_template: str


TASKS = ListKind("tasks", TASK_FILTERS, [("open", "在办（已交办、办理中、待销号）"), *TaskState.choices],
                 _sorts("code"), task_list_for, "web/lists/tasks.html", "web/lists/tasks_results.html")
ASSIGNMENTS = ListKind("assignments", ASSIGNMENT_FILTERS,
                       [("open", "在办（待签收、办理中、待审核）"), *AssignmentState.choices], _sorts("task__code"),
                       assignment_list_for, "web/lists/assignments.html", "web/lists/assignments_results.html")


# ---- the filter form -----------------------------------------------------------------------------

# What a filter that does not parse should tell the person, by filter.
INVALID = {
    "unit": "请从列表中选择单位。",
    "deadline_from": "请按“年-月-日”填写日期，例如 2026-06-30。",
    "deadline_to": "请按“年-月-日”填写日期，例如 2026-06-30。",
    "is_key": "请选择“是”“否”或“全部”。",
    "decision": "链接中的决策部署条件无效，请清除该条件后重试。",
    "task": "链接中的督办事项条件无效，请清除该条件后重试。",
    "closed_from": "链接中的办结日期条件无效，请清除该条件后重试。",
    "closed_to": "链接中的办结日期条件无效，请清除该条件后重试。",
}


class ListFilterForm(forms.Form):
    """Read from the URL (GET). Values the selectors parse (ids, dates) are checked by the selectors."""

    q = forms.CharField(label="关键词", required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "编号、标题"}))
    state = forms.ChoiceField(label="状态", required=False,
                              error_messages={"invalid_choice": "请从列表中选择状态。"})
    light = forms.ChoiceField(label="亮灯", required=False, choices=LIGHT_CHOICES,
                              error_messages={"invalid_choice": "请从列表中选择亮灯。"})
    is_key = forms.CharField(label="挂牌督办", required=False, widget=forms.Select(choices=KEY_CHOICES))
    unit = forms.CharField(label="单位", required=False, widget=forms.Select)
    deadline_from = forms.CharField(label="完成时限起", required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    deadline_to = forms.CharField(label="完成时限止", required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    decision = forms.CharField(required=False, widget=forms.HiddenInput)
    task = forms.CharField(required=False, widget=forms.HiddenInput)
    # The dashboard links a month's closed tasks; the range rides along while other filters change.
    closed_from = forms.CharField(required=False, widget=forms.HiddenInput)
    closed_to = forms.CharField(required=False, widget=forms.HiddenInput)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, *, kind: ListKind, url: str, unit_choices: list[tuple[str, str]]):
        super().__init__(data)
        # Typing narrows the list after a pause; the form's own change and submit do the rest.
        self.fields["q"].widget.attrs.update({
            "hx-get": url, "hx-trigger": "input changed delay:400ms, search", "hx-target": "#results",
            "hx-push-url": "true", "hx-include": "closest form", "hx-sync": "closest form:replace",
        })
        for key in ("task", "closed_from", "closed_to"):
            if key not in kind.filters:
                del self.fields[key]
        self.fields["state"].choices = [("", "全部"), *kind.states]
        self.fields["unit"].widget.choices = [("", "全部"), *unit_choices]
        if kind is TASKS:
            self.fields["q"].widget.attrs["placeholder"] = "编号、标题、工作要求"

    def add_invalid(self, error: DomainError) -> None:
        key = error.detail.get("filter")
        if key in INVALID and key in self.fields and not self.fields[key].widget.is_hidden:
            self.add_error(key, INVALID[key])
        elif key in INVALID:
            self.add_error(None, INVALID[key])
        else:
            error_into_form(self, error)


def _unit_choices(user, chosen: str | None) -> list[tuple[str, str]]:
    """Units in the person's part of the tree, indented by depth; the chosen one is always offered."""
    units = unit_list_for(user=user)
    viewer = viewer_of(user)
    if viewer is not None and viewer.oversees:
        units = units.filter(path__startswith=viewer.unit_path)
    units = list(units[:UNIT_OPTIONS_MAX])
    if chosen and chosen.isdigit() and all(str(u.pk) != chosen for u in units):
        units += list(unit_list_for(user=user).filter(pk=int(chosen)))
    if not units:
        return []
    top = min(u.path.count("/") for u in units)
    return [(str(u.pk), "\u3000" * (u.path.count("/") - top) + u.display_name) for u in units]


@dataclass
class Filtered:
    form: ListFilterForm
    queryset: object | None  # None when the filters are invalid
    sort: str
    filters: dict[str, str]


def _filtered(request, kind: ListKind) -> Filtered:
    """The form, and the scoped, filtered, sorted queryset (or None when a filter is invalid)."""
    filters = url_filters(request, kind.filters)
    form = ListFilterForm(request.GET, kind=kind, url=reverse(f"web:{kind.name}"),
                          unit_choices=_unit_choices(request.user, filters.get("unit")))
    sort = request.GET.get("sort", "")
    sort = sort if sort in kind.sorts else DEFAULT_SORT
    queryset = None
    if form.is_valid():
        try:
            queryset = kind.selector(user=request.user, filters=filters).order_by(*kind.sorts[sort])
        except DomainError as error:
            if error.code != "filter_invalid":
                raise
            form.add_invalid(error)
    return Filtered(form, queryset, sort, filters)


def _sort_headers(sort: str) -> dict[str, dict]:
    """Per sortable column: the sort its header link asks for, and how the column is sorted now."""
    headers = {}
    for key in ("deadline", "code", "light"):
        if sort == key:
            headers[key] = {"next": f"-{key}", "aria": "ascending", "mark": "↑"}
        elif sort == f"-{key}":
            headers[key] = {"next": key, "aria": "descending", "mark": "↓"}
        else:
            headers[key] = {"next": key, "aria": "none", "mark": ""}
    return headers


def _chosen(request, filters: dict[str, str]) -> dict:
    """The decision (and task) a list is narrowed to, named above the list with a link to clear it."""
    chosen = {}
    for key, get in (("decision", decision_get_for), ("task", task_get_for)):
        if key not in filters:
            continue
        try:
            chosen[key] = get(user=request.user, id=filters[key])
        except NotFound:
            chosen[key] = None
    return chosen


def _mark_estimated(rows) -> None:
    """Flag deadlines in a year whose holiday arrangement is not published yet (counted Mon–Fri)."""
    calendar = get_calendar()
    for row in rows:
        row.deadline_estimated = row.deadline is not None and calendar.is_estimated(row.deadline)


def _render_list(request, kind: ListKind, prefetch: tuple = ()):
    listed = _filtered(request, kind)
    page = None
    if listed.queryset is not None:
        page = page_of(request, listed.queryset.prefetch_related(*prefetch))
        _mark_estimated(page.object_list)
    user = request.user
    context = {
        "form": listed.form,
        "page": page,
        "rows": page.object_list if page is not None else [],
        "sort": listed.sort,
        "sort_value": "" if listed.sort == DEFAULT_SORT else listed.sort,
        "headers": _sort_headers(listed.sort),
        "filtered": bool(listed.filters) or not listed.form.is_valid() or listed.queryset is None,
        "chosen": _chosen(request, listed.filters),
        "list_url": reverse(f"web:{kind.name}"),
        "export_url": reverse(f"web:{kind.name}_export"),
        "can_register": user.has_role(Role.SUPERVISOR),
        "partial": False,
    }
    # A history restore after a cache miss needs the whole page, not the fragment.
    if is_htmx(request) and request.headers.get("HX-History-Restore-Request") != "true":
        context["partial"] = True
        response = render(request, kind.results_template, context)
    else:
        response = render(request, kind.page_template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---- pages ---------------------------------------------------------------------------------------


def _lead_units():
    """Which units lead a task is part of the task itself, shown with it (names only)."""
    return (
        Prefetch("assignments", to_attr="lead_assignments",
                 queryset=Assignment.objects.filter(LIVE_ASSIGNMENT, role=AssignmentRole.LEAD)
                 .select_related("unit").order_by("id")),
        # A draft has no assignments yet: its planned lead units stand in.
        Prefetch("plan", to_attr="lead_plan",
                 queryset=TaskPlan.objects.filter(role=AssignmentRole.LEAD, task__state=TaskState.DRAFT)
                 .select_related("unit").order_by("id")),
    )


@business_page
def tasks(request):
    """督办事项: the tasks in the person's scope."""
    return _render_list(request, TASKS, prefetch=_lead_units())


@business_page
def assignments(request):
    """承办情况: one row per unit's assignment."""
    return _render_list(request, ASSIGNMENTS)


def _export(request, kind: ListKind, write):
    listed = _filtered(request, kind)
    if listed.queryset is None:
        # The list page shows what is wrong with the filters, beside the field.
        query = request.GET.urlencode()
        return redirect(reverse(f"web:{kind.name}") + (f"?{query}" if query else ""))
    return write(user=request.user, queryset=listed.queryset, today=clock.today())


@business_page
def tasks_export(request):
    """The filtered task list as the 台账 offices keep (.xlsx)."""
    return _export(request, TASKS, export.tasks_xlsx)


@business_page
def assignments_export(request):
    """The filtered assignment list (.xlsx)."""
    return _export(request, ASSIGNMENTS, export.assignments_xlsx)


urlpatterns = [
    path("tasks/", tasks, name="tasks"),
    path("tasks/export.xlsx", tasks_export, name="tasks_export"),
    path("assignments/", assignments, name="assignments"),
    path("assignments/export.xlsx", assignments_export, name="assignments_export"),
]
