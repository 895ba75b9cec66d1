"""效能评估 and 研判: the rule a scorecard is scored by, and supervisors' judgements of delivery confidence."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from duban.supervision.models import Task

# The figures a score weighs, in the order the page and the rule's text show them.
FIGURES = (
    ("w_sign", "签收及时率"),
    ("w_on_time", "按期办结率"),
    ("w_overdue", "逾期控制率"),
    ("w_returns", "反馈采纳率"),
    ("w_extensions", "按原时限办理率"),
    ("w_satisfaction", "群众满意率"),
)


class ScoreRule(models.Model):
    """How the figures become one score. One rule is active; without one, the defaults below apply."""

    name = models.CharField("规则名称", max_length=100)
    w_sign = models.PositiveSmallIntegerField("签收及时率权重(%)", default=20)
    w_on_time = models.PositiveSmallIntegerField("按期办结率权重(%)", default=40)
    w_overdue = models.PositiveSmallIntegerField("逾期控制率权重(%)", default=20)
    w_returns = models.PositiveSmallIntegerField("反馈采纳率权重(%)", default=10)
    w_extensions = models.PositiveSmallIntegerField("按原时限办理率权重(%)", default=10)
    # Shown on every scorecard; scored once the office gives it a weight (not every unit answers the public).
    w_satisfaction = models.PositiveSmallIntegerField("群众满意率权重(%)", default=0)
    show_ranking = models.BooleanField("显示排名", default=True)
    objective_exempts = models.BooleanField(
        "客观原因不计逾期", default=True,
        help_text="勾选后，已记录客观原因的承办事项不计入逾期扣分（仍在表中列出）。")
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "效能评估规则"
        verbose_name_plural = "效能评估规则"
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="score_rule_one_active"),
        ]

    def __str__(self) -> str:
        return self.name

    def weights(self) -> list[tuple[str, str, int]]:
        """(field, 中文名, weight) for every figure."""
        return [(field, label, getattr(self, field)) for field, label in FIGURES]

    def text(self) -> str:
        """The rule in words, e.g. 综合得分 = 签收及时率×20% + 按期办结率×40% + …"""
        parts = [f"{label}×{weight}%" for _field, label, weight in self.weights() if weight]
        total = sum(w for _f, _l, w in self.weights())
        formula = "综合得分 = " + (" + ".join(parts) if parts else "0")
        if total != 100:
            formula += f"（权重合计{total}%，按合计折算为百分制）"
        return formula


def default_rule() -> ScoreRule:
    """The rule in force when the sysadmin has not activated one (not saved)."""
    return ScoreRule(name="默认规则")


class ConfidenceLevel(models.TextChoices):
    GREEN = "green", "绿"
    GREEN_YELLOW = "green_yellow", "绿黄"
    YELLOW = "yellow", "黄"
    YELLOW_RED = "yellow_red", "黄红"
    RED = "red", "红"


class TaskConfidence(models.Model):
    """研判: one supervisor's judgement of how likely a task is to deliver. Rows are only appended."""

    task = models.ForeignKey(Task, verbose_name="督办事项", on_delete=models.PROTECT, related_name="confidences")
    level = models.CharField("研判", max_length=20, choices=ConfidenceLevel.choices)
    reason = models.TextField("理由")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="研判人", on_delete=models.PROTECT,
                           related_name="+")
    at = models.DateTimeField("研判时间")

    class Meta:
        verbose_name = "落实研判"
        verbose_name_plural = "落实研判"
        indexes = [models.Index(fields=["task", "at"])]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=ConfidenceLevel.values), name="task_confidence_level"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.get_level_display()}"
