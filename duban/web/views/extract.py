"""智能分解: a supervisor uploads a document (or pastes its text), checks the proposed tasks beside the words
they came from — edits, merges, splits, drops — and accepts them as a decision with its draft tasks.

Every change is one service call (duban.extract.services) with the extraction's version, so two people working
on one document never overwrite each other silently. With htmx an item's card is replaced in place; without
scripts every form posts and the page comes back.
"""

from pathlib import Path

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from duban.core import clock
from duban.core.errors import Conflict, DomainError
from duban.extract import services
from duban.extract.models import ExtractionState
from duban.extract.selectors import (
    extraction_get_for,
    extraction_list_for,
    proposed_task_get_for,
    proposed_task_list_for,
)
from duban.org.models import Role, Unit
from duban.supervision.models import Cadence, DecisionKind
from duban.web.forms_decisions import DATE_ERRORS, DATE_INPUT, STALE_PAGE, UnitTreeChoices, units_in_scope
from duban.web.views.common import business_page, error_into_form, is_htmx, page_of

UPLOAD_MAX = 20 * 1024 * 1024
PASTE_MAX = 500_000
ONLY_SUPERVISORS = "只有督查员可以使用智能分解。"
ACCEPT_FIELDS = {"decision_kind_invalid": "kind", "decision_title_required": "title",
                 "decision_title_required_too_long": "title"}
ITEM_FIELDS = {"extract_text_required": "text", "extract_text_too_long": "text", "extract_unit_out_of_scope": "lead_units",
               "extract_unit_twice": "other_units", "extract_cadence_invalid": "cadence",
               "extract_report_day_invalid": "report_day"}


class UploadForm(forms.Form):
    document = forms.FileField(label="文件", required=False,
                               help_text=f"Word（.docx）、文字版 PDF 或文本（.txt），不超过{UPLOAD_MAX // 2**20}MB。")
    text = forms.CharField(label="或粘贴正文", required=False, max_length=PASTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 8}),
                           error_messages={"max_length": f"粘贴的正文不超过{PASTE_MAX}字，较长的文件请上传。"},
                           help_text="没有文件时，可把分工方案、会议纪要等正文粘贴在这里。")
    issued_on = forms.DateField(label="文档日期", required=False, widget=DATE_INPUT, error_messages=DATE_ERRORS,
                                help_text="用于推算“6月底前”“年底前”等未写年份的时限；不填则取文中落款日期，再无则取今天。")

    def clean(self):
        data = super().clean()
        upload, text = data.get("document"), (data.get("text") or "").strip()
        if upload is None and not text:
            raise forms.ValidationError("请上传文件，或粘贴文件正文。")
        if upload is not None:
            if upload.size > UPLOAD_MAX:
                self.add_error("document", f"文件不能超过{UPLOAD_MAX // 2**20}MB。")
            elif not upload.name.lower().endswith((".docx", ".pdf", ".txt")):
                self.add_error("document", "只能读取 Word（.docx）、PDF 和文本（.txt）文件；旧版 .doc 请先另存为 .docx。")
        return data


class ItemForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(label="事项内容", max_length=services.ITEM_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}),
                           error_messages={"required": "请填写事项内容。",
                                           "max_length": f"事项内容不超过{services.ITEM_TEXT_MAX}字。"},
                           help_text="第一句作为督办事项的名称，全文作为工作要求。")
    lead_units = UnitTreeChoices(label="牵头单位", queryset=None, required=False,
                                 widget=forms.SelectMultiple(attrs={"size": 6}),
                                 error_messages={"invalid_choice": "所选单位不在本单位的交办范围内，或已停用。",
                                                 "invalid_pk_value": "所选单位无效。"},
                                 help_text="确认前须至少指定一个。")
    other_units = UnitTreeChoices(label="配合单位", queryset=None, required=False,
                                  widget=forms.SelectMultiple(attrs={"size": 6}),
                                  error_messages={"invalid_choice": "所选单位不在本单位的交办范围内，或已停用。",
                                                  "invalid_pk_value": "所选单位无效。"})
    deadline = forms.DateField(label="完成时限", required=False, widget=DATE_INPUT, error_messages=DATE_ERRORS,
                               help_text="长期事项可不填，选择报送周期。")
    cadence = forms.ChoiceField(label="报送周期", choices=Cadence.choices, initial=Cadence.NONE,
                                error_messages={"invalid_choice": "报送周期无效。"})
    report_day = forms.IntegerField(label="每期报送日", required=False, min_value=1, max_value=28,
                                    error_messages={"invalid": "请填写1至28之间的整数。",
                                                    "min_value": "每期报送日应在1日至28日之间。",
                                                    "max_value": "每期报送日应在1日至28日之间。"})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = units_in_scope(user)
        base_depth = user.unit.path.strip("/").count("/")
        choices = [(unit.pk, self.fields["lead_units"].label_from_instance(unit)) for unit in units]
        for name in ("lead_units", "other_units"):
            self.fields[name].queryset = units
            self.fields[name].base_depth = base_depth
            self.fields[name].widget.choices = choices


class AcceptForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label="类型", choices=DecisionKind.choices, initial=DecisionKind.DOCUMENT,
                             error_messages={"invalid_choice": "决策部署类型无效。"})
    title = forms.CharField(label="标题", max_length=200, error_messages={"required": "请填写决策部署的标题。"})
    doc_number = forms.CharField(label="文号", max_length=100, required=False)
    issuer = forms.CharField(label="发文机关/会议", max_length=100, required=False)
    issued_on = forms.DateField(label="日期", widget=DATE_INPUT,
                                error_messages={"required": "请填写日期。", **DATE_ERRORS})


def _is_supervisor(user) -> bool:
    return Role.SUPERVISOR in user.roles and user.unit_id is not None


def _forbidden(request):
    return render(request, "403.html", {"reason": ONLY_SUPERVISORS}, status=403)


@business_page
@require_http_methods(["GET", "POST"])
def extract_home(request):
    """The documents this office has read, and a new one to read."""
    if not _is_supervisor(request.user):
        return _forbidden(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("document")
        try:
            extraction = services.extraction_create(
                actor=request.user, filename=Path(upload.name).name if upload else "",
                data=upload.read() if upload else None, text=None if upload else form.cleaned_data["text"],
                issued_on=form.cleaned_data.get("issued_on"))
        except DomainError as error:
            error_into_form(form, error, {"extract_unreadable": "document", "extract_empty": "document"})
        else:
            return redirect(reverse("web:extraction", args=[extraction.pk]))
    page = page_of(request, extraction_list_for(user=request.user))
    return render(request, "web/extract/home.html", {"form": form, "page": page},
                  status=400 if form.errors else 200)


def _marked_text(text: str, items) -> str:
    """The document's text with each proposal's words marked and linked to its card (escaped, then marked)."""
    spans = sorted(((i.span_start, i.span_end, n, i) for n, i in enumerate(items, start=1) if i.span_end > i.span_start),
                   key=lambda s: (s[0], -s[1]))
    out, cursor = [], 0
    for start, end, number, item in spans:
        if start < cursor:
            continue  # an overlap after a merge or a split: the earlier mark stands
        out.append(escape(text[cursor:start]))
        state = " dropped" if item.dropped else ""
        out.append(f'<mark id="span-{item.pk}" class="span{state}"><a href="#item-{item.pk}" class="span-no">{number}</a>'
                   f"{escape(text[start:end])}</mark>")
        cursor = end
    out.append(escape(text[cursor:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of the text is escaped above


def _unit_names(ids: list[int], names: dict[int, str]) -> list[str]:
    return [names.get(pk, "（已停用）") for pk in ids]


def _cards(items, names: dict[int, str]) -> list[dict]:
    cards, number = [], 0
    for item in items:
        if not item.dropped:
            number += 1
        cards.append({"item": item, "number": number if not item.dropped else None,
                      "leads": _unit_names(item.lead_unit_ids, names),
                      "others": _unit_names(item.other_unit_ids, names),
                      "unmatched": [] if item.settled else item.unmatched_names})
    return cards


def _review_context(request, extraction, *, accept_form=None, editing=None, edit_form=None) -> dict:
    items = list(proposed_task_list_for(user=request.user, extraction=extraction))
    ids = {pk for i in items for pk in i.lead_unit_ids + i.other_unit_ids}
    names = {pk: short or name for pk, short, name in
             Unit.objects.filter(pk__in=ids).values_list("pk", "short_name", "name")} if ids else {}
    kept = [i for i in items if not i.dropped]
    if accept_form is None and extraction.state == ExtractionState.DRAFT:
        kind = DecisionKind.MEETING if "纪要" in extraction.title else DecisionKind.DOCUMENT
        accept_form = AcceptForm(initial={"version": extraction.version, "title": extraction.title,
                                          "issued_on": extraction.document_date, "kind": kind})
    return {
        "extraction": extraction, "cards": _cards(items, names), "kept": len(kept),
        "missing_lead": sum(1 for i in kept if not i.lead_unit_ids), "marked": _marked_text(extraction.text, items),
        "accept_form": accept_form, "editing": editing, "edit_form": edit_form,
        "draft": extraction.state == ExtractionState.DRAFT, "today": clock.today(),
    }


@business_page
@require_http_methods(["GET"])
def extraction_page(request, extraction_id: int):
    if not _is_supervisor(request.user):
        return _forbidden(request)
    extraction = extraction_get_for(user=request.user, id=extraction_id)
    return render(request, "web/extract/review.html", _review_context(request, extraction))


def _after_change(request, extraction_id: int, item_id: int | None = None, message: str = ""):
    if message:
        messages.success(request, message)
    url = reverse("web:extraction", args=[extraction_id])
    return redirect(f"{url}#item-{item_id}" if item_id else url)


def _stale(request, extraction_id: int):
    messages.error(request, STALE_PAGE)
    return redirect(reverse("web:extraction", args=[extraction_id]))


@business_page
@require_http_methods(["GET", "POST"])
def extraction_item_edit(request, item_id: int):
    """One proposal's form: its wording, units, deadline and cadence (htmx: the card in place)."""
    if not _is_supervisor(request.user):
        return _forbidden(request)
    item = proposed_task_get_for(user=request.user, id=item_id)
    extraction = item.extraction
    initial = {"version": extraction.version, "text": item.text, "lead_units": item.lead_unit_ids,
               "other_units": item.other_unit_ids, "deadline": item.deadline, "cadence": item.cadence,
               "report_day": item.report_day}
    form = ItemForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.extraction_item_update(
                actor=request.user, item_id=item.pk, version=data["version"], text=data["text"],
                lead_unit_ids=[u.pk for u in data["lead_units"]], other_unit_ids=[u.pk for u in data["other_units"]],
                deadline=data["deadline"], cadence=data["cadence"], report_day=data["report_day"])
        except Conflict:
            return _stale(request, extraction.pk)
        except DomainError as error:
            error_into_form(form, error, ITEM_FIELDS)
        else:
            return _after_change(request, extraction.pk, item.pk, "已保存。")
    template = "web/extract/_item_form.html" if is_htmx(request) else "web/extract/item_edit.html"
    return render(request, template, {"item": item, "form": form, "extraction": extraction},
                  status=400 if form.errors else 200)


def _item_action(request, item_id: int, action):
    if not _is_supervisor(request.user):
        return _forbidden(request)
    item = proposed_task_get_for(user=request.user, id=item_id)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _stale(request, item.extraction_id)
    try:
        message = action(item, version)
    except Conflict:
        return _stale(request, item.extraction_id)
    except DomainError as error:
        messages.error(request, error.message)
        return _after_change(request, item.extraction_id, item.pk)
    return _after_change(request, item.extraction_id, item.pk, message)


@business_page
@require_POST
def extraction_item_drop(request, item_id: int):
    dropped = request.POST.get("restore") is None

    def act(item, version):
        services.extraction_item_drop(actor=request.user, item_id=item.pk, version=version, dropped=dropped)
        return "已删除该项（确认时不作为督办事项）。" if dropped else "已恢复该项。"
    return _item_action(request, item_id, act)


@business_page
@require_POST
def extraction_item_merge(request, item_id: int):
    def act(item, version):
        services.extraction_item_merge(actor=request.user, item_id=item.pk, version=version)
        return "已与下一项合并。"
    return _item_action(request, item_id, act)


@business_page
@require_POST
def extraction_item_split(request, item_id: int):
    def act(item, version):
        marker = (request.POST.get("from") or "").strip()
        at = item.text.find(marker) if marker else -1
        if at <= 0:
            raise DomainError("extract_split_invalid", "请填写第二部分开头的几个字（须是事项内容中间的原文）。")
        services.extraction_item_split(actor=request.user, item_id=item.pk, version=version, at=at)
        return "已拆分为两项。"
    return _item_action(request, item_id, act)


@business_page
@require_POST
def extraction_accept(request, extraction_id: int):
    if not _is_supervisor(request.user):
        return _forbidden(request)
    extraction = extraction_get_for(user=request.user, id=extraction_id)
    form = AcceptForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            decision = services.extraction_accept(
                actor=request.user, extraction_id=extraction.pk, version=data["version"], kind=data["kind"],
                title=data["title"], issued_on=data["issued_on"], doc_number=data["doc_number"],
                issuer=data["issuer"])
        except Conflict:
            return _stale(request, extraction.pk)
        except DomainError as error:
            error_into_form(form, error, ACCEPT_FIELDS)
        else:
            messages.success(request, "已登记决策部署，拟分解事项已作为草稿事项保存，核对后即可交办。")
            return redirect(reverse("web:decision", args=[decision.pk]))
    extraction.refresh_from_db()
    return render(request, "web/extract/review.html", _review_context(request, extraction, accept_form=form),
                  status=400)


@business_page
@require_POST
def extraction_discard(request, extraction_id: int):
    if not _is_supervisor(request.user):
        return _forbidden(request)
    extraction = extraction_get_for(user=request.user, id=extraction_id)
    try:
        services.extraction_discard(actor=request.user, extraction_id=extraction.pk,
                                    version=int(request.POST.get("version") or 0))
    except Conflict:
        return _stale(request, extraction.pk)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("web:extraction", args=[extraction.pk]))
    messages.info(request, "已放弃该文档的分解结果。")
    return redirect(reverse("web:extract"))


urlpatterns = [
    path("extract/", extract_home, name="extract"),
    path("extract/<int:extraction_id>/", extraction_page, name="extraction"),
    path("extract/<int:extraction_id>/accept/", extraction_accept, name="extraction_accept"),
    path("extract/<int:extraction_id>/discard/", extraction_discard, name="extraction_discard"),
    path("extract/items/<int:item_id>/edit/", extraction_item_edit, name="extraction_item_edit"),
    path("extract/items/<int:item_id>/drop/", extraction_item_drop, name="extraction_item_drop"),
    path("extract/items/<int:item_id>/merge/", extraction_item_merge, name="extraction_item_merge"),
    path("extract/items/<int:item_id>/split/", extraction_item_split, name="extraction_item_split"),
]
