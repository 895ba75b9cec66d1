"""督查通报: the bulletins a person may read, their downloads, and a form to make one (scope and month)."""

import datetime as dt

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_safe

from duban.bulletins.files import bulletin_file_response
from duban.bulletins.pdf import pdf_available
from duban.bulletins.periods import period_parse
from duban.bulletins.selectors import bulletin_get_for, bulletin_list_for, bulletin_scope_list_for
from duban.bulletins.services import bulletin_generate
from duban.core import clock
from duban.core.errors import DomainError
from duban.org.models import Role
from duban.web.views.common import business_page, error_into_form, is_htmx, page_of, url_filters

FORMAT_CHOICES = [("docx", "Word（.docx）"), ("pdf", "PDF")]


class BulletinForm(forms.Form):
    scope = forms.TypedChoiceField(label="通报范围", coerce=int, help_text="本单位或下级单位（含其下属单位）")
    month = forms.CharField(label="月份", widget=forms.DateInput(attrs={"type": "month"}),
                            help_text="如 2026-11；本月的通报统计到今天")
    formats = forms.MultipleChoiceField(label="格式", choices=FORMAT_CHOICES, widget=forms.CheckboxSelectMultiple,
                                        initial=["docx", "pdf"])
    doc_number = forms.CharField(label="文号（可选）", required=False, max_length=50,
                                 help_text="如 州督通〔2026〕11号")
    urgency = forms.CharField(label="紧急程度（可选）", required=False, max_length=10)
    secrecy = forms.CharField(label="密级（可选）", required=False, max_length=20)
    copy_no = forms.CharField(label="份号（可选）", required=False, max_length=6)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {u.pk: u for u in units}
        # Indented by depth below the person's own unit, so the tree reads in a plain <select>.
        top = min((u.path.count("/") for u in units), default=0)
        self.fields["scope"].choices = [(u.pk, "　" * (u.path.count("/") - top) + u.name) for u in units]


def _may_make(user) -> bool:
    return user.has_role(Role.SUPERVISOR, Role.LEADER) and user.unit_id is not None


def _last_month() -> str:
    first = clock.today().replace(day=1)
    return f"{first - dt.timedelta(days=1):%Y-%m}"


@business_page
@require_http_methods(["GET", "POST"])
def bulletins(request):
    user = request.user
    may_make = _may_make(user)
    if request.method == "POST" and not may_make:
        return render(request, "403.html", {"reason": "只有督查员或领导可以生成督查通报。"}, status=403)
    units = list(bulletin_scope_list_for(user=user)[:2000]) if may_make else []
    form = None
    if may_make:
        initial = {"scope": user.unit_id, "month": _last_month(),
                   "formats": ["docx", "pdf"] if pdf_available() else ["docx"]}
        form = BulletinForm(request.POST or None, units=units, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                scope = form.units[form.cleaned_data["scope"]]
                bulletin = bulletin_generate(
                    actor=user, scope_unit=scope, period=period_parse(form.cleaned_data["month"]),
                    formats=form.cleaned_data["formats"],
                    masthead={k: form.cleaned_data[k] for k in ("doc_number", "urgency", "secrecy", "copy_no")})
            except DomainError as error:
                error_into_form(form, error, {"bulletin_period_invalid": "month",
                                              "bulletin_period_future": "month",
                                              "bulletin_format_invalid": "formats",
                                              "pdf_converter_missing": "formats",
                                              "bulletin_scope_denied": "scope"})
            else:
                target = reverse("web:bulletins") + f"?made={bulletin.pk}"
                if is_htmx(request):
                    response = render(request, "web/bulletins/_made.html", {"target": target})
                    response["HX-Redirect"] = target
                    return response
                return redirect(target)
    filters = url_filters(request, ("scope", "period"))
    try:
        page = page_of(request, bulletin_list_for(user=user, filters=filters))
    except DomainError:
        raise Http404() from None
    made = request.GET.get("made", "")
    context = {"form": form, "page": page, "may_make": may_make, "pdf_available": pdf_available(),
               "made": int(made) if made.isdigit() else None}
    if is_htmx(request) and request.method == "POST":
        # htmx swaps only successful answers: the form with its errors comes back as a 200 fragment.
        return render(request, "web/bulletins/_form.html", context)
    return render(request, "web/bulletins/list.html", context, status=400 if form is not None and form.errors
                  else 200)


@business_page
@require_safe
def bulletin_download(request, pk: int, kind: str):
    """A bulletin's .docx or PDF, only for someone whose scope holds the bulletin's; anyone else gets a 404."""
    return bulletin_file_response(bulletin_get_for(user=request.user, id=pk), kind)


urlpatterns = [
    path("bulletins/", bulletins, name="bulletins"),
    path("bulletins/<int:pk>/<str:kind>/", bulletin_download, name="bulletin-download"),
]
