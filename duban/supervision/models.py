"""Decisions, tasks, assignments, reports, extensions, blockers: the supervision domain.

States are declared here once; the allowed transitions live in
`duban.supervision.states` and are checked only by the services.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q

from duban.core.models import VersionedModel
from duban.org.models import Unit


class DecisionKind(models.TextChoices):
    DOCUMENT = "document", "文件"
    MEETING = "meeting", "会议议定事项"
    INSTRUCTION = "instruction", "领导批示"
    CLUE = "clue", "群众线索"
    INSPECTION = "inspection", "督查发现"
    PLAN = "plan", "年度重点工作"


class Urgency(models.TextChoices):
    URGENT = "urgent", "特急"
    NORMAL = "normal", "急"
    ROUTINE = "routine", "一般"


class Decision(models.Model):
    """决策部署: the source of tasks."""

    kind = models.CharField("类型", max_length=20, choices=DecisionKind.choices)
    title = models.CharField("标题", max_length=200)
    doc_number = models.CharField("文号", max_length=100, blank=True)
    issuer = models.CharField("发文/会议/批示机关或领导", max_length=100, blank=True)
    issued_on = models.DateField("日期")
    body = models.TextField("正文", blank=True)
    owner_unit = models.ForeignKey(Unit, verbose_name="登记单位", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "决策部署"
        verbose_name_plural = "决策部署"
        indexes = [models.Index(fields=["owner_unit", "kind"])]

    def __str__(self) -> str:
        return self.title


class TaskState(models.TextChoices):
    DRAFT = "draft", "草稿"
    ASSIGNED = "assigned", "已交办"
    IN_PROGRESS = "in_progress", "办理中"
    CLOSING = "closing", "待销号"
    CLOSED = "closed", "已销号"
    CANCELLED = "cancelled", "已撤销"


class Light(models.TextChoices):
    NONE = "none", "无"
    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"
    DONE_ON_TIME = "done_on_time", "按期办结"
    DONE_LATE = "done_late", "逾期办结"


class Cadence(models.TextChoices):
    NONE = "none", "不定期"
    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"


class Task(VersionedModel):
    """督办事项."""

    code = models.CharField("编号", max_length=30, unique=True)
    title = models.CharField("事项", max_length=300)
    requirements = models.TextField("工作要求", blank=True)
    decision = models.ForeignKey(Decision, verbose_name="决策部署", on_delete=models.PROTECT, related_name="tasks")
    parent = models.ForeignKey("self", verbose_name="上级事项", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    # Cascade: a unit that received `parent_assignment` decomposed it into this task.
    parent_assignment = models.ForeignKey("Assignment", verbose_name="来源承办", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="subtasks")
    owner_unit = models.ForeignKey(Unit, verbose_name="督办单位", on_delete=models.PROTECT, related_name="+")
    responsible_leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="责任领导", null=True,
                                           blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.CharField("类别", max_length=50, blank=True)
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    deadline = models.DateField("完成时限", null=True, blank=True)
    cadence = models.CharField("报送周期", max_length=20, choices=Cadence.choices, default=Cadence.NONE)
    report_day = models.PositiveSmallIntegerField("每期报送日", null=True, blank=True)
    is_key = models.BooleanField("挂牌督办", default=False)
    state = models.CharField("状态", max_length=20, choices=TaskState.choices, default=TaskState.DRAFT)
    light = models.CharField("亮灯", max_length=20, choices=Light.choices, default=Light.NONE)
    round = models.PositiveSmallIntegerField("轮次", default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间")
    assigned_at = models.DateTimeField("交办时间", null=True, blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    close_note = models.TextField("销号意见", blank=True)
    # 领导阅示: when a task from a 批示 closes, its leader marks the result read.
    leader_read_at = models.DateTimeField("领导阅示时间", null=True, blank=True)

    class Meta:
        verbose_name = "督办事项"
        verbose_name_plural = "督办事项"
        indexes = [
            models.Index(fields=["state", "light"]),
            models.Index(fields=["owner_unit", "state"]),
            models.Index(fields=["deadline"]),
            models.Index(fields=["decision"]),
            models.Index(fields=["is_key", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__isnull=False) | ~Q(cadence="none") | Q(state__in=["draft", "cancelled"]),
                name="task_deadline_or_cadence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class TaskPlan(models.Model):
    """The units a draft task will be assigned to (交办 turns each into an Assignment)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="plan")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    role = models.CharField("承办角色", max_length=10, choices=[("lead", "牵头"), ("cooperate", "配合")])

    class Meta:
        verbose_name = "拟交办单位"
        verbose_name_plural = "拟交办单位"
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="task_plan_unique_unit")]


class Milestone(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField("节点", max_length=200)
    due = models.DateField("节点时限")
    done_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "节点"
        verbose_name_plural = "节点"
        ordering = ["due", "id"]
        indexes = [models.Index(fields=["due"], condition=Q(done_at__isnull=True), name="milestone_open_due")]

    def __str__(self) -> str:
        return self.title


class Target(models.Model):
    """指标: a quantitative target with its series of actual values."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField("指标", max_length=100)
    measure = models.CharField("计量单位", max_length=20, blank=True)
    baseline = models.DecimalField("基数", max_digits=18, decimal_places=4, default=0)
    target = models.DecimalField("目标值", max_digits=18, decimal_places=4)

    class Meta:
        verbose_name = "量化指标"
        verbose_name_plural = "量化指标"

    def __str__(self) -> str:
        return self.name


class AssignmentRole(models.TextChoices):
    LEAD = "lead", "牵头"
    COOPERATE = "cooperate", "配合"


class AssignmentState(models.TextChoices):
    PENDING = "pending", "待签收"
    IN_PROGRESS = "in_progress", "办理中"
    REVIEW = "review", "待审核"
    DONE = "done", "已办结"
    RETURNED = "returned", "待改派"
    REASSIGNED = "reassigned", "已改派"
    CANCELLED = "cancelled", "已撤销"


ACTIVE_ASSIGNMENT_STATES = ("pending", "in_progress", "review")


class Assignment(VersionedModel):
    """承办: one task at one unit, with the unit's own lifecycle and light."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(Unit, verbose_name="承办单位", on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField("承办角色", max_length=10, choices=AssignmentRole.choices)
    state = models.CharField("状态", max_length=20, choices=AssignmentState.choices,
                             default=AssignmentState.PENDING)
    light = models.CharField("亮灯", max_length=20, choices=Light.choices, default=Light.NONE)
    assigned_on = models.DateField("交办日期")
    sign_due = models.DateField("签收时限")
    deadline = models.DateField("完成时限", null=True, blank=True)
    next_report_due = models.DateField("下次报送时限", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    progress = models.PositiveSmallIntegerField("进度(%)", default=0)
    return_count = models.PositiveSmallIntegerField("退回次数", default=0)
    returned_reason = models.TextField("退办理由", blank=True)
    submitted_at = models.DateTimeField("申请办结时间", null=True, blank=True)
    # The office-local date of the close request: on time means on or before the deadline.
    submitted_on = models.DateField("申请办结日期", null=True, blank=True)
    done_at = models.DateTimeField("办结时间", null=True, blank=True)
    reassigned_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # 客观原因: recorded when the light turns red, so rankings can be read fairly.
    objective_reason = models.TextField("客观原因", blank=True)

    class Meta:
        verbose_name = "承办"
        verbose_name_plural = "承办"
        indexes = [
            models.Index(fields=["unit", "state", "task"]),
            models.Index(fields=["unit", "light"]),
            models.Index(fields=["task", "role"]),
            models.Index(fields=["state", "light"]),
            models.Index(fields=["deadline"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "unit"],
                condition=~Q(state__in=["reassigned", "cancelled"]),
                name="assignment_one_live_per_task_unit",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="assignment_progress_max_100"),
        ]

    def __str__(self) -> str:
        return f"{self.task.code} · {self.unit}"


class ReportState(models.TextChoices):
    UNIT_REVIEW = "unit_review", "待单位审核"
    UNIT_RETURNED = "unit_returned", "单位退回"
    SUBMITTED = "submitted", "已报送"
    ACCEPTED = "accepted", "已采纳"
    RETURNED = "returned", "退回重报"


class Report(models.Model):
    """进展反馈 from an assignment; `is_final` marks a request to close (申请办结)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("工作举措与进展")
    progress = models.PositiveSmallIntegerField("完成进度(%)")
    is_final = models.BooleanField("申请办结", default=False)
    state = models.CharField("状态", max_length=20, choices=ReportState.choices)
    submitted_at = models.DateTimeField("报送时间")
    unit_reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_comment = models.TextField("审核意见", blank=True)

    class Meta:
        verbose_name = "进展反馈"
        verbose_name_plural = "进展反馈"
        indexes = [models.Index(fields=["assignment", "submitted_at"]), models.Index(fields=["state"])]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_max_100")]

    def __str__(self) -> str:
        return f"{self.assignment} @ {self.submitted_at:%Y-%m-%d}"


class TargetValue(models.Model):
    """One actual value of a target, as reported."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="values")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.CASCADE, related_name="values")
    value = models.DecimalField("实际值", max_digits=18, decimal_places=4)
    recorded_on = models.DateField("日期")

    class Meta:
        verbose_name = "指标实际值"
        verbose_name_plural = "指标实际值"
        ordering = ["recorded_on", "id"]


def evidence_path(instance, filename: str) -> str:
    # A random stored name: paths are not guessable, and the name people gave stays in Evidence.name.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"evidence/{instance.report.assignment.task_id}/{instance.report_id}/{uuid.uuid4().hex}{suffix}"


class Evidence(models.Model):
    """A file attached to a report (佐证材料)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField("文件", upload_to=evidence_path)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"


class ExtensionState(models.TextChoices):
    PENDING = "pending", "待批复"
    APPROVED = "approved", "已批准"
    DENIED = "denied", "未批准"


class Extension(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="extensions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("理由")
    old_deadline = models.DateField("原时限")
    requested_deadline = models.DateField("申请延至")
    state = models.CharField("状态", max_length=20, choices=ExtensionState.choices,
                             default=ExtensionState.PENDING)
    requested_at = models.DateTimeField("申请时间")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField("批复时间", null=True, blank=True)
    granted_deadline = models.DateField("批准延至", null=True, blank=True)
    comment = models.TextField("批复意见", blank=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        indexes = [models.Index(fields=["state"], name="extension_state")]
        constraints = [
            models.UniqueConstraint(fields=["assignment"], condition=Q(state="pending"),
                                    name="extension_one_pending_per_assignment"),
        ]


class BlockerState(models.TextChoices):
    OPEN = "open", "待协调"
    ESCALATED = "escalated", "已提请领导协调"
    ANSWERED = "answered", "已答复"


class Blocker(models.Model):
    """堵点难点: raised by a unit, escalated to a leader for coordination, answered."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="blockers")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="blockers")
    text = models.TextField("问题")
    state = models.CharField("状态", max_length=20, choices=BlockerState.choices, default=BlockerState.OPEN)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField("提出时间")
    escalated_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    answer = models.TextField("协调意见", blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        verbose_name = "堵点难点"
        verbose_name_plural = "堵点难点"
        indexes = [models.Index(fields=["state"])]


class Instruction(models.Model):
    """领导批示 on a task; reaches its units. A 批示 on a closed task opens a new round."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="instructions")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("批示内容")
    created_at = models.DateTimeField("批示时间")
    round = models.PositiveSmallIntegerField("轮次")

    class Meta:
        verbose_name = "领导批示"
        verbose_name_plural = "领导批示"
        ordering = ["created_at"]


class TaskCounter(models.Model):
    """The last sequence number issued per year, for codes like DB-2026-0123."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
