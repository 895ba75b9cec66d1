"""导入台账: a supervisor uploads an office's 台账 (.xlsx), checks the preview and its problems, and confirms.

Between the two steps the file is kept on the server, under MEDIA_ROOT with a
random name the person's session holds; the confirmation reads it back and
imports every row or none (duban.ledger.services).
"""

import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST
from openpyxl.utils import get_column_letter

from duban.core.errors import DomainError
from duban.ledger.parsing import FIELDS, IMPORTED
from duban.ledger.services import LedgerProblems, ledger_import, ledger_preview
from duban.org.models import Role
from duban.supervision.models import DecisionKind
from duban.web.views.common import business_page

UPLOAD_MAX = 5 * 1024 * 1024
KEEP_SECONDS = 24 * 3600
SESSION_KEY = "ledger_import"
TOKEN = re.compile(r"^[0-9a-f]{32}$")
ONLY_SUPERVISORS = "只有督查员可以导入台账。"


class UploadForm(forms.Form):
    file = forms.FileField(label="台账文件（.xlsx）", help_text=f"Excel 保存的 .xlsx 文件，不超过{UPLOAD_MAX // 2**20}MB。"
                           "第一个工作表中应有“任务内容”“牵头单位”“完成时限”等列。")
    kind = forms.ChoiceField(label="决策部署类型", choices=DecisionKind.choices, initial=DecisionKind.DOCUMENT,
                             help_text="每个“任务来源 + 文号”登记为一项决策部署。")
    assign = forms.BooleanField(label="导入后立即交办", required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("只能上传 .xlsx 格式的 Excel 台账（.xls 请先在 Excel 中另存为 .xlsx）。")
        if upload.size > UPLOAD_MAX:
            raise forms.ValidationError(f"文件不能超过{UPLOAD_MAX // 2**20}MB。")
        head = upload.read(4)
        upload.seek(0)
        if head != b"PK\x03\x04":
            raise forms.ValidationError("该文件不是有效的 .xlsx 工作簿。")
        return upload


def _store() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "ledger-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep(data: bytes) -> str:
    folder = _store()
    stale = time.time() - KEEP_SECONDS
    for old in folder.glob("*.xlsx"):  # uploads never confirmed
        if old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    (folder / f"{token}.xlsx").write_bytes(data)
    return token


def _kept(token: str) -> Path | None:
    if not TOKEN.match(token or ""):
        return None
    found = _store() / f"{token}.xlsx"
    return found if found.is_file() else None


def _is_supervisor(user) -> bool:
    return Role.SUPERVISOR in user.roles and user.unit_id is not None


def _column_choices(preview) -> list[dict]:
    """Per imported field, the columns it may be read from, the current one selected."""
    options = [(get_column_letter(c + 1), label) for c, label in enumerate(preview.columns)]
    choices = []
    for key in IMPORTED:
        current = preview.field_columns.get(key)
        choices.append({"key": key, "name": FIELDS[key][0], "options": options,
                        "selected": get_column_letter(current + 1) if current is not None else ""})
    return choices


def _preview_page(request, preview, pending, error: str = ""):
    return render(request, "web/ledger/preview.html", {
        "preview": preview, "pending": pending, "error": error,
        "kind_label": DecisionKind(pending["kind"]).label, "choices": _column_choices(preview),
    })


def _pending_file(request):
    """The upload this person's session holds, if the posted token names it and it is still kept."""
    pending = request.session.get(SESSION_KEY) or {}
    if request.POST.get("token") != pending.get("token"):
        return pending, None
    return pending, _kept(pending.get("token", ""))


def _expired(request):
    messages.error(request, "待导入的台账已失效（已导入、已放弃或超过一天），请重新上传。")
    return redirect(reverse("web:ledger_import"))


@business_page
@require_http_methods(["GET", "POST"])
def ledger_import_page(request):
    """Step 1: upload; the answer is the preview (step 2)."""
    if not _is_supervisor(request.user):
        return render(request, "403.html", {"reason": ONLY_SUPERVISORS}, status=403)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        old = request.session.get(SESSION_KEY, {})
        if (kept := _kept(old.get("token", ""))) is not None:
            kept.unlink(missing_ok=True)
        pending = {"token": _keep(data), "filename": Path(upload.name).name[:200], "kind": form.cleaned_data["kind"],
                   "assign": form.cleaned_data["assign"]}
        request.session[SESSION_KEY] = pending
        preview = ledger_preview(actor=request.user, data=data, filename=pending["filename"])
        return _preview_page(request, preview, pending)
    return render(request, "web/ledger/upload.html", {"form": form})


@business_page
@require_POST
def ledger_import_confirm(request):
    """Step 3: import the kept file, every row or none."""
    if not _is_supervisor(request.user):
        return render(request, "403.html", {"reason": ONLY_SUPERVISORS}, status=403)
    pending, kept = _pending_file(request)
    if kept is None:
        return _expired(request)
    if request.POST.get("cancel"):
        kept.unlink(missing_ok=True)
        request.session.pop(SESSION_KEY, None)
        messages.info(request, "已放弃本次导入。")
        return redirect(reverse("web:ledger_import"))
    data = kept.read_bytes()
    try:
        result = ledger_import(actor=request.user, data=data, filename=pending["filename"], kind=pending["kind"],
                               assign=pending["assign"], mapping=pending.get("mapping"))
    except LedgerProblems as problems:
        return _preview_page(request, problems.preview, pending, problems.message)
    except DomainError as error:
        preview = ledger_preview(actor=request.user, data=data, filename=pending["filename"],
                                 mapping=pending.get("mapping"))
        return _preview_page(request, preview, pending, f"未导入任何内容：{error.message}")
    kept.unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)
    return render(request, "web/ledger/result.html", {"result": result, "filename": pending["filename"]})


@business_page
@require_POST
def ledger_import_columns(request):
    """Step 2 again: the person says which column holds which field; the preview is read anew."""
    if not _is_supervisor(request.user):
        return render(request, "403.html", {"reason": ONLY_SUPERVISORS}, status=403)
    pending, kept = _pending_file(request)
    if kept is None:
        return _expired(request)
    pending["mapping"] = {key: request.POST.get(f"column_{key}", "").strip()[:3] for key in IMPORTED}
    request.session[SESSION_KEY] = pending
    preview = ledger_preview(actor=request.user, data=kept.read_bytes(), filename=pending["filename"],
                             mapping=pending["mapping"])
    return _preview_page(request, preview, pending)


urlpatterns = [
    path("ledger/import/", ledger_import_page, name="ledger_import"),
    path("ledger/import/columns/", ledger_import_columns, name="ledger_import_columns"),
    path("ledger/import/confirm/", ledger_import_confirm, name="ledger_import_confirm"),
]
