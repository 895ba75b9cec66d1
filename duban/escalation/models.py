"""The escalation ladder as data, the urges it produces, and the outbox the worker delivers.

An Urge (催办) is one step of the ladder reaching one assignment, automatic or by hand.
A Notice is that urge for one person: their in-app inbox item. A Delivery is one
message on one outside channel (e-mail, SMS, a unit's group robot) and is the
outbox row the worker claims. Uniqueness makes every write idempotent:

    Urge      (step, cause, assignment, ref, due date)  — automatic urges only
    Notice    (urge, recipient)      — so (cause, step, recipient) once
    Delivery  (notice, channel) · (urge, robot target) · (channel, target, day) for a digest
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from duban.org.models import Unit
from duban.supervision.models import Assignment, Task


class Cause(models.TextChoices):
    DEADLINE = "deadline", "完成时限"
    EXTENSION = "extension", "延期后时限"
    MILESTONE = "milestone", "节点时限"
    REPORT = "report", "报送时限"
    SIGN = "sign", "签收时限"
    MANUAL = "manual", "人工催办"
    INSTRUCTION = "instruction", "领导批示"
    ASSIGN = "assign", "交办"
    REDO = "redo", "重办"
    CLUE = "clue", "群众线索答复时限"


AUTOMATIC_CAUSES = (Cause.DEADLINE, Cause.EXTENSION, Cause.MILESTONE, Cause.REPORT, Cause.SIGN)


class Step(models.TextChoices):
    REMINDER = "reminder", "提醒"
    URGE_SIGN = "urge_sign", "催签"
    URGE = "urge", "催办"
    NOTICE = "notice", "督办通知"
    LISTED = "listed", "挂牌督办"
    MANUAL = "manual", "催办单"
    INSTRUCTION = "instruction", "领导批示"
    ASSIGN = "assign", "交办通知"
    REDO = "redo", "重办通知"
    CLUE = "clue", "群众线索待答复"


class LadderStep(models.Model):
    """One rung of the ladder: when a cause's date is `offset_workdays` away, tell these people.

    A negative offset fires before the date (提醒), a positive one after it has passed.
    Steps with an empty category form the default ladder; a category with steps of its
    own uses only those.
    """

    category = models.CharField("事项类别", max_length=50, blank=True,
                                help_text="留空为默认阶梯；填写类别则该类别事项只按本类别的阶梯执行。")
    step = models.CharField("环节", max_length=20, choices=Step.choices)
    cause = models.CharField("依据", max_length=20, choices=[(c.value, c.label) for c in AUTOMATIC_CAUSES])
    offset_workdays = models.SmallIntegerField("相对工作日", help_text="负数为到期前，正数为到期后。")
    to_liaison = models.BooleanField("通知联络员", default=False)
    to_unit_head = models.BooleanField("通知单位负责人", default=False)
    to_leader = models.BooleanField("通知责任领导", default=False)
    to_supervisor = models.BooleanField("通知督查员", default=False)
    urgent = models.BooleanField("立即发送", default=False,
                                 help_text="立即发送的环节不受免打扰时段限制，也不并入每日汇总。")
    flags_key = models.BooleanField("列为挂牌督办", default=False)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "催办阶梯"
        verbose_name_plural = "催办阶梯"
        ordering = ["category", "cause", "offset_workdays"]
        constraints = [
            models.UniqueConstraint(fields=["category", "step", "cause"], name="ladder_step_unique",
                                    violation_error_message="该类别下已有相同依据的同一环节。"),
            models.CheckConstraint(
                condition=Q(to_liaison=True) | Q(to_unit_head=True) | Q(to_leader=True) | Q(to_supervisor=True),
                name="ladder_step_has_recipient",
                violation_error_message="请至少选择一类通知对象。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '默认'} · {self.get_cause_display()} · {self.get_step_display()}"


class Urge(models.Model):
    """催办: one step reaching one assignment. Manual urges (催办单) carry the supervisor's message.

    The same row carries what else reaches a unit about its assignment: a leader's 批示 and the
    交办通知 of a new assignment, so that one inbox, one outbox and one count serve them all.
    """

    step = models.CharField("环节", max_length=20, choices=Step.choices)
    cause = models.CharField("依据", max_length=20, choices=Cause.choices)
    # The date the cause is about (a deadline, a milestone's due date …); a changed date is a new cause.
    due_on = models.DateField("所涉时限")
    # The milestone or instruction the cause is about; 0 when the assignment itself is.
    ref_id = models.BigIntegerField(default=0)
    ladder_step = models.ForeignKey(LadderStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # No single-column indexes on these: the composite ones below lead with each (one index less to
    # maintain on a day a sweep writes hundreds of thousands of urges).
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="urges", db_index=False)
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="urges", db_index=False)
    unit = models.ForeignKey(Unit, verbose_name="被催办单位", on_delete=models.PROTECT, related_name="+",
                             db_index=False)
    to_liaison = models.BooleanField(default=False)
    to_unit_head = models.BooleanField(default=False)
    to_leader = models.BooleanField(default=False)
    to_supervisor = models.BooleanField(default=False)
    urgent = models.BooleanField("立即发送", default=False)
    message = models.TextField("催办内容", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("时间")
    # False until its notices and deliveries are written (in the same transaction).
    planned = models.BooleanField(default=False)

    class Meta:
        verbose_name = "催办记录"
        verbose_name_plural = "催办记录"
        constraints = [
            models.UniqueConstraint(fields=["step", "cause", "assignment", "ref_id", "due_on"],
                                    condition=~Q(cause="manual"), name="urge_once_per_cause_step"),
        ]
        indexes = [
            models.Index(fields=["unit", "created_at"], name="urge_unit_month"),
            models.Index(fields=["task", "created_at"], name="urge_task_time"),
            models.Index(fields=["assignment", "step"], name="urge_assignment_step"),
            models.Index(fields=["id"], condition=Q(planned=False), name="urge_unplanned"),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} · {self.unit} · {self.due_on}"


class Notice(models.Model):
    """An urge for one person: their in-app inbox item."""

    # Indexed by the unique (urge, recipient) and by notice_inbox (recipient, id).
    urge = models.ForeignKey(Urge, on_delete=models.CASCADE, related_name="notices", db_index=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices",
                                  db_index=False)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField("时间")
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        constraints = [models.UniqueConstraint(fields=["urge", "recipient"], name="notice_once_per_recipient")]
        indexes = [
            models.Index(fields=["recipient", "id"], name="notice_inbox"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notice_unread"),
        ]


class Channel(models.TextChoices):
    EMAIL = "email", "电子邮件"
    SMS = "sms", "短信"
    WECOM = "wecom", "企业微信群机器人"
    DINGTALK = "dingtalk", "钉钉群机器人"
    FEISHU = "feishu", "飞书群机器人"


ROBOT_CHANNELS = (Channel.WECOM, Channel.DINGTALK, Channel.FEISHU)


class Robot(models.Model):
    """A unit's group robot (群机器人): urges to the unit are posted to its group too."""

    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="robots")
    kind = models.CharField("类型", max_length=20, choices=[(c.value, c.label) for c in ROBOT_CHANNELS])
    name = models.CharField("名称", max_length=50)
    webhook = models.URLField("Webhook 地址", max_length=500)
    secret = models.CharField("加签密钥", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "群机器人"
        verbose_name_plural = "群机器人"
        indexes = [models.Index(fields=["unit"], condition=Q(is_active=True), name="robot_active_unit")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.name}"


class NoticePreference(models.Model):
    """The outside channels a person chose; without a row, the deployment's defaults apply."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference")
    email = models.BooleanField("电子邮件", default=True)
    sms = models.BooleanField("短信", default=False)

    class Meta:
        verbose_name = "通知方式"
        verbose_name_plural = "通知方式"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    DIGESTED = "digested", "已并入汇总"
    FAILED = "failed", "发送失败"


class Delivery(models.Model):
    """One message on one outside channel: the outbox row the worker claims.

    `target` names where it goes ("user:12", "robot:3"); the address is read when it is sent.
    A routine delivery waits for the day's digest: the digest is a Delivery of its own
    (`digest_day` set) and its items point at it through `digest`.
    """

    urge = models.ForeignKey(Urge, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    notice = models.ForeignKey(Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField("渠道", max_length=20, choices=Channel.choices)
    target = models.CharField("接收方", max_length=40)
    urgent = models.BooleanField("立即发送", default=False)
    digest_day = models.DateField("汇总日期", null=True, blank=True)
    digest = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="items")
    state = models.CharField("状态", max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    due_at = models.DateTimeField("计划发送时间")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    claim = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    created_at = models.DateTimeField("创建时间")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "投递"
        verbose_name_plural = "投递"
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel"], condition=Q(notice__isnull=False),
                                    name="delivery_once_per_notice_channel"),
            models.UniqueConstraint(fields=["urge", "target"], condition=Q(notice__isnull=True, urge__isnull=False),
                                    name="delivery_once_per_urge_robot"),
            models.UniqueConstraint(fields=["channel", "target", "digest_day"], condition=Q(digest_day__isnull=False),
                                    name="delivery_one_digest_per_day"),
        ]
        indexes = [
            # The worker's queue: only rows still to send are indexed.
            models.Index(fields=["due_at"], condition=Q(state__in=["pending", "sending"]), name="delivery_queue"),
            models.Index(fields=["channel", "target", "state"], name="delivery_target"),
            models.Index(fields=["state", "created_at"], name="delivery_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.target}"


class DeliveryAttempt(models.Model):
    """Every try, with what the provider answered or why it failed."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField("时间")
    ok = models.BooleanField("成功")
    transient = models.BooleanField("可重试", default=False)
    detail = models.TextField("结果", blank=True)
    worker = models.CharField("工作进程", max_length=60, blank=True)

    class Meta:
        verbose_name = "投递尝试"
        verbose_name_plural = "投递尝试"
        indexes = [models.Index(fields=["delivery", "at"], name="attempt_delivery")]
