"""The forms of the task page's actions. Each validates on the server; the services have the last word."""

from django import forms

from duban.supervision.services.reports import EVIDENCE_EXTENSIONS, EVIDENCE_MAX_BYTES

ALLOWED_SUFFIXES = sorted(s.lstrip(".") for s in EVIDENCE_EXTENSIONS)
MAX_FILES = 10


class TextForm(forms.Form):
    """One required text: a 批示, a reason, an opinion, a 催办 message."""

    text = forms.CharField(max_length=10000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": "请填写此项。"})

    def __init__(self, *args, label: str = "内容", required: bool = True, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label
        self.fields["text"].required = required
        self.fields["text"].help_text = help_text


class ConfirmForm(forms.Form):
    """An action with nothing to fill in (签收, 交办, 阅示)."""


class DecideForm(forms.Form):
    """Accept or send back, with an opinion (required when sending back — the service says so)."""

    accept = forms.TypedChoiceField(label="审核结论", choices=[("1", "通过"), ("0", "退回")], coerce=lambda v: v == "1",
                                    widget=forms.RadioSelect, error_messages={"required": "请选择通过或退回。"})
    comment = forms.CharField(label="审核意见", required=False, max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionDecideForm(forms.Form):
    approve = forms.TypedChoiceField(label="批复", choices=[("1", "批准"), ("0", "不予批准")],
                                     coerce=lambda v: v == "1", widget=forms.RadioSelect,
                                     error_messages={"required": "请选择批准或不予批准。"})
    granted_deadline = forms.DateField(label="批准延至", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                       help_text="不填则按申请的日期批准。",
                                       error_messages={"invalid": "请填写有效的日期。"})
    comment = forms.CharField(label="批复意见", required=False, max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionRequestForm(forms.Form):
    requested_deadline = forms.DateField(label="申请延至", widget=forms.DateInput(attrs={"type": "date"}),
                                         error_messages={"required": "请填写申请延至的日期。",
                                                         "invalid": "请填写有效的日期。"})
    reason = forms.CharField(label="延期理由", max_length=10000, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请写明延期理由。"})


class ChoiceForm(forms.Form):
    """Pick one of a list the view supplies (改派 to a unit, 提请 a leader)."""

    choice = forms.TypedChoiceField(coerce=int, error_messages={"required": "请选择。", "invalid_choice": "请从列表中选择。"})

    def __init__(self, *args, label: str, choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].label = label
        self.fields["choice"].choices = [("", "请选择…"), *choices]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); each checked in `ReportForm.clean_files`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class ReportForm(forms.Form):
    """进展反馈 / 申请办结: measures and progress, target values, evidence files, a blocker if any."""

    text = forms.CharField(label="工作举措与进展", max_length=20000, widget=forms.Textarea(attrs={"rows": 5}),
                           error_messages={"required": "请填写工作举措和进展情况。"})
    progress = forms.IntegerField(label="完成进度（%）", min_value=0, max_value=100,
                                  error_messages={"required": "请填写完成进度。", "invalid": "完成进度应为0到100之间的整数。",
                                                  "min_value": "完成进度应为0到100之间的整数。",
                                                  "max_value": "完成进度应为0到100之间的整数。"})
    is_final = forms.BooleanField(label="申请办结（工作已全部完成，进度100%）", required=False)
    blocker = forms.CharField(label="需要协调解决的堵点难点（选填）", required=False, max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(label="佐证材料", required=False,
                              help_text=f"可拖入文件；单个不超过{EVIDENCE_MAX_BYTES // (1024 * 1024)}MB，"
                                        f"类型：{'、'.join(ALLOWED_SUFFIXES)}。")

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.target_fields = []
        for t in targets:
            name = f"target_{t.pk}"
            label = f"{t.name}（目标 {t.target.normalize():f}{t.measure}）"
            self.fields[name] = forms.DecimalField(label=label, required=False, max_digits=18, decimal_places=4,
                                                   error_messages={"invalid": "请填写数字。"})
            self.target_fields.append((t.pk, name))

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"一次最多上传{MAX_FILES}个文件。")
        problems = []
        for f in files:
            suffix = f.name.rsplit(".", 1)[-1].lower() if "." in f.name else ""
            if suffix not in ALLOWED_SUFFIXES:
                problems.append(f"不支持的文件类型“{f.name}”（允许：{'、'.join(ALLOWED_SUFFIXES)}）。")
            elif f.size > EVIDENCE_MAX_BYTES:
                problems.append(f"“{f.name}”超过{EVIDENCE_MAX_BYTES // (1024 * 1024)}MB。")
        if problems:
            raise forms.ValidationError(problems)
        return files

    def target_values(self) -> dict[int, str]:
        return {pk: str(self.cleaned_data[name]) for pk, name in self.target_fields
                if self.cleaned_data.get(name) is not None}

    def file_contents(self) -> list[tuple[str, bytes]]:
        return [(f.name, f.read()) for f in self.cleaned_data.get("files") or []]
