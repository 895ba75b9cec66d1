"""The forms of 登记交办: register a decision, add a task to it with its units, milestones and targets, edit a
task's wording, and decompose an assignment a unit received into sub-tasks for the units below it (层层分解).

The forms check what a person typed; the rules of the domain (scope, dates, units) stay in the services,
whose errors are put beside the field they concern (see TASK_ERROR_FIELDS).
"""

from django import forms

from duban.core import clock
from duban.org.models import Role
from duban.org.selectors import person_list_for, unit_list_for
from duban.supervision.models import Cadence, DecisionKind, Urgency

MILESTONE_ROWS = 5
STALE_PAGE = "页面已过期，请刷新后重试。"
TARGET_ROWS = 3

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": "日期格式不正确，请按“年-月-日”填写。"}
NUMBER_ERRORS = {"invalid": "请填写数字。", "max_digits": "数字位数过多。", "max_decimal_places": "最多保留4位小数。",
                 "max_whole_digits": "数字位数过多。"}

DECISION_ERROR_FIELDS = {
    "decision_kind_invalid": "kind",
    "decision_title_required": "title",
    "decision_title_required_too_long": "title",
}

TASK_ERROR_FIELDS = {
    "task_title_required": "title",
    "task_title_required_too_long": "title",
    "unit_unknown": "lead_units",
    "task_lead_required": "lead_units",
    "task_unit_out_of_scope": "lead_units",
    "task_unit_twice": "other_units",
    "task_leader_invalid": "responsible_leader",
    "task_deadline_past": "deadline",
    "task_cadence_invalid": "cadence",
    "task_report_day_invalid": "report_day",
    "task_urgency_invalid": "urgency",
}

# 层层分解: the same form, and the service's cascade rules beside the field they concern.
DECOMPOSE_ERROR_FIELDS = {
    **TASK_ERROR_FIELDS,
    "cascade_deadline_late": "deadline",
}

TASK_EDIT_ERROR_FIELDS = {
    "task_title_required": "title",
    "task_title_required_too_long": "title",
    "task_leader_invalid": "responsible_leader",
    "task_deadline_past": "deadline",
    "task_deadline_locked": "deadline",
    "task_urgency_invalid": "urgency",
}


def _required(message: str) -> dict[str, str]:
    return {"required": message}


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=[("", "请选择类型"), *DecisionKind.choices],
                             error_messages={"required": "请选择决策部署的类型。",
                                             "invalid_choice": "决策部署类型无效。"})
    title = forms.CharField(label="标题", max_length=200, error_messages=_required("请填写决策部署的标题。"),
                            help_text="文件标题、会议名称或批示事由。")
    doc_number = forms.CharField(label="文号", max_length=100, required=False,
                                 help_text="如：示政办发〔2026〕12号；会议纪要可填期数。")
    issuer = forms.CharField(label="发文机关/会议/领导", max_length=100, required=False,
                             help_text="发文机关、会议名称或作出批示的领导。")
    issued_on = forms.DateField(label="日期", widget=DATE_INPUT,
                                error_messages={"required": "请填写日期。", **DATE_ERRORS},
                                help_text="印发、会议或批示的日期。")
    body = forms.CharField(label="正文", required=False, widget=forms.Textarea(attrs={"rows": 8}),
                           help_text="可选：粘贴文件正文、会议议定事项或批示原文，便于分解事项时对照。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("issued_on", clock.today())


class UnitTreeChoices(forms.ModelMultipleChoiceField):
    """Units in scope as a tree: ordered by path, each indented by its depth below the supervisor's unit."""

    def __init__(self, *args, base_depth: int = 0, **kwargs):
        self.base_depth = base_depth
        super().__init__(*args, **kwargs)

    def label_from_instance(self, unit) -> str:
        depth = max(unit.path.strip("/").count("/") - self.base_depth - 1, 0)
        return "\u3000" * depth + unit.name

    def clean(self, value):
        units = list(super().clean(value))
        # Keep the order in which the units were picked: the first lead unit is named first everywhere.
        order = {str(v): i for i, v in enumerate(value or [])}
        return sorted(units, key=lambda u: order.get(str(u.pk), len(order)))


class LeaderChoice(forms.ModelChoiceField):
    def label_from_instance(self, person) -> str:
        name = person.full_name or person.username
        where = person.unit.display_name if person.unit_id else ""
        title = f" {person.title}" if person.title else ""
        return f"{name}{title}（{where}）" if where else f"{name}{title}"


def units_in_scope(user, q: str | None = None):
    """The units a supervisor may assign work to: active units strictly below their own, as a tree;
    with `q`, those whose name, short name or alias contains it."""
    units = unit_list_for(user=user, filters={"q": q})
    if user.unit_id is None:
        return units.none()
    return units.filter(path__startswith=user.unit.path).exclude(pk=user.unit_id)


def leaders_in_scope(user):
    return person_list_for(user=user, filters={"role": Role.LEADER}).order_by("unit__path", "id")


class TaskWordingForm(forms.Form):
    """What a task says and how it is flagged: the fields a task is created with and later edited."""

    title = forms.CharField(label="事项", max_length=300, error_messages=_required("请填写督办事项。"),
                            widget=forms.TextInput(attrs={"placeholder": "如：6月底前完成全州重点项目集中开工"}))
    requirements = forms.CharField(label="工作要求", required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                   help_text="写明要做到什么、以什么为准，承办单位据此报送进展。")
    deadline = forms.DateField(label="完成时限", required=False, widget=DATE_INPUT, error_messages=DATE_ERRORS,
                               help_text="留空则交办时按决策类型的默认时限（工作日）计算；长期事项可改填报送周期。")
    responsible_leader = LeaderChoice(label="责任领导", queryset=None, required=False, empty_label="（不指定）",
                                      error_messages={"invalid_choice": "责任领导必须是本单位范围内具有领导角色的人员。"})
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL,
                                error_messages={"invalid_choice": "紧急程度无效。"})
    is_key = forms.BooleanField(label="挂牌督办", required=False,
                                help_text="重点事项挂牌督办：亮灯更严，逾期点名通报。")
    category = forms.CharField(label="类别", max_length=50, required=False,
                               widget=forms.TextInput(attrs={"placeholder": "如：重点项目、民生实事"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_leader"].queryset = leaders_in_scope(user)


class TaskForm(TaskWordingForm):
    lead_units = UnitTreeChoices(
        label="牵头单位", queryset=None, widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={"required": "请至少指定一个牵头单位。",
                        "invalid_choice": "所选单位不在本单位的交办范围内，或已停用。",
                        "invalid_pk_value": "所选单位无效。"},
        help_text="至少一个。")
    other_units = UnitTreeChoices(
        label="配合单位", queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={"invalid_choice": "所选单位不在本单位的交办范围内，或已停用。",
                        "invalid_pk_value": "所选单位无效。"},
        help_text="可不选。同一单位不能既牵头又配合。")
    cadence = forms.ChoiceField(label="报送周期", choices=Cadence.choices, initial=Cadence.NONE,
                                error_messages={"invalid_choice": "报送周期无效。"},
                                help_text="长期、持续性事项按周期报送进展。")
    report_day = forms.IntegerField(label="每期报送日", required=False, min_value=1, max_value=28,
                                    error_messages={"invalid": "请填写1至28之间的整数。",
                                                    "min_value": "每期报送日应在1日至28日之间。",
                                                    "max_value": "每期报送日应在1日至28日之间。"},
                                    help_text="每月或每季度的第几日前报送（1—28），不填为5日；遇节假日顺延。")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        units = units_in_scope(user)
        base_depth = user.unit.path.strip("/").count("/") if user.unit_id else 0
        choices = None
        for name in ("lead_units", "other_units"):
            field = self.fields[name]
            field.queryset = units
            field.base_depth = base_depth
            # Both pickers offer the same tree: read it once.
            if choices is None:
                choices = [(unit.pk, field.label_from_instance(unit)) for unit in units]
            field.widget.choices = choices
        for i in range(1, MILESTONE_ROWS + 1):
            self.fields[f"milestone_{i}_title"] = forms.CharField(label=f"节点{i}名称", max_length=200, required=False)
            self.fields[f"milestone_{i}_due"] = forms.DateField(label=f"节点{i}时限", required=False,
                                                               widget=DATE_INPUT, error_messages=DATE_ERRORS)
        for i in range(1, TARGET_ROWS + 1):
            self.fields[f"target_{i}_name"] = forms.CharField(label=f"指标{i}名称", max_length=100, required=False)
            self.fields[f"target_{i}_measure"] = forms.CharField(label=f"指标{i}计量单位", max_length=20,
                                                                 required=False)
            for part, word in (("baseline", "基数"), ("target", "目标值")):
                self.fields[f"target_{i}_{part}"] = forms.DecimalField(
                    label=f"指标{i}{word}", required=False, max_digits=18, decimal_places=4,
                    error_messages=NUMBER_ERRORS)
        self.milestones: list[tuple[str, object]] = []
        self.targets: list[dict] = []

    # ---- rows of milestones and targets: one line each, every error beside the input it concerns ----

    def milestone_rows(self) -> list[dict]:
        return [self._row(i, [f"milestone_{i}_title", f"milestone_{i}_due"]) for i in range(1, MILESTONE_ROWS + 1)]

    def target_rows(self) -> list[dict]:
        return [self._row(i, [f"target_{i}_{part}" for part in ("name", "measure", "baseline", "target")])
                for i in range(1, TARGET_ROWS + 1)]

    def _row(self, index: int, names: list[str]) -> dict:
        return {"index": index, "fields": [self[name] for name in names]}

    def clean(self):
        data = super().clean()
        if data.get("cadence") == Cadence.NONE and data.get("report_day") is not None:
            self.add_error("report_day", "只有按周期报送的事项需要填写每期报送日。")
        self.milestones = self._clean_milestones(data)
        self.targets = self._clean_targets(data)
        return data

    def _clean_milestones(self, data) -> list[tuple[str, object]]:
        rows = []
        today = clock.today()
        for i in range(1, MILESTONE_ROWS + 1):
            title_key, due_key = f"milestone_{i}_title", f"milestone_{i}_due"
            if title_key in self.errors or due_key in self.errors:
                continue
            title, due = (data.get(title_key) or "").strip(), data.get(due_key)
            if not title and due is None:
                continue
            if not title:
                self.add_error(title_key, f"请填写节点{i}的名称。")
            elif due is None:
                self.add_error(due_key, f"请填写节点{i}的时限。")
            elif due < today:
                self.add_error(due_key, f"节点{i}的时限不能早于今天。")
            else:
                rows.append((title, due))
        return rows

    def _clean_targets(self, data) -> list[dict]:
        rows = []
        for i in range(1, TARGET_ROWS + 1):
            keys = {part: f"target_{i}_{part}" for part in ("name", "measure", "baseline", "target")}
            if any(k in self.errors for k in keys.values()):
                continue
            name = (data.get(keys["name"]) or "").strip()
            measure = (data.get(keys["measure"]) or "").strip()
            baseline, target = data.get(keys["baseline"]), data.get(keys["target"])
            if not (name or measure or baseline is not None or target is not None):
                continue
            if not name:
                self.add_error(keys["name"], f"请填写指标{i}的名称。")
            elif target is None:
                self.add_error(keys["target"], f"请填写指标{i}的目标值。")
            else:
                rows.append({"name": name, "measure": measure,
                             "baseline": baseline if baseline is not None else 0, "target": target})
        return rows


class DecomposeForm(TaskForm):
    """层层分解: a sub-task of an assignment the unit received, for units below it, due no later than it."""

    def __init__(self, *args, user, received, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.deadline_max = received.deadline
        field = self.fields["deadline"]
        if received.deadline is not None:
            field.initial = received.deadline
            field.help_text = (f"默认为上级交办的时限（{received.deadline.year}年{received.deadline.month}月"
                               f"{received.deadline.day}日），不能晚于该时限。")
        else:
            field.help_text = "上级交办的事项按周期报送；分解事项可填写完成时限，或改填报送周期。"
        for name in ("lead_units", "other_units"):
            self.fields[name].error_messages["invalid_choice"] = "所选单位不是本单位的下级单位，或已停用。"
        self.fields["lead_units"].help_text = "至少一个，从本单位的下级单位中选择。"


class TaskEditForm(TaskWordingForm):
    """Edit what a task says. The version the person saw goes back with the form: a stale save is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, user, task, **kwargs):
        initial = {
            "version": task.version,
            "title": task.title,
            "requirements": task.requirements,
            "deadline": task.deadline,
            "responsible_leader": task.responsible_leader_id,
            "urgency": task.urgency,
            "is_key": task.is_key,
            "category": task.category,
        }
        super().__init__(*args, user=user, initial=initial, **kwargs)
        self.task = task
        if task.state == "draft":
            self.fields["deadline"].help_text = ("草稿可调整完成时限；留空则不改动。交办后完成时限只能通过延期申请调整。")
        else:
            # Deadlines of assigned work move only through extensions (延期申请).
            del self.fields["deadline"]
        leader = self.fields["responsible_leader"]
        if task.responsible_leader_id is not None:
            # A named responsible leader may be replaced, not removed.
            leader.required = True
            leader.empty_label = None
            leader.error_messages["required"] = "请选择责任领导。"
            leader.help_text = "已指定的责任领导可以更换，不能取消。"

    def _clean_fields(self):
        super()._clean_fields()
        # The hidden version cannot be corrected beside a field: say so at the top of the form.
        if "version" in self.errors:
            del self.errors["version"]
            self.add_error(None, STALE_PAGE)

    def changes(self) -> dict:
        """The values to hand to task_update (None means: leave as is)."""
        data = self.cleaned_data
        values = {
            "title": data["title"],
            "requirements": data["requirements"],
            "category": data["category"],
            "urgency": data["urgency"],
            "is_key": data["is_key"],
            "responsible_leader": data["responsible_leader"],
        }
        if "deadline" in self.fields:
            values["deadline"] = data["deadline"]
        return values
