"""智能分解: a document read into proposed tasks (草案), checked and edited by a supervisor, then accepted."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from duban.core.models import VersionedModel
from duban.org.models import Unit
from duban.supervision.models import Cadence, Decision, Task


class ExtractionState(models.TextChoices):
    DRAFT = "draft", "待确认"
    ACCEPTED = "accepted", "已确认"
    DISCARDED = "discarded", "已放弃"


class SourceKind(models.TextChoices):
    DOCX = "docx", "Word 文档"
    PDF = "pdf", "PDF 文件"
    TXT = "txt", "文本文件"
    PASTE = "paste", "粘贴文本"


class Extraction(VersionedModel):
    """One document read for a supervision office: its text, and the tasks proposed from it."""

    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("上传时间")
    filename = models.CharField("文件名", max_length=200, blank=True)
    kind = models.CharField("来源", max_length=10, choices=SourceKind.choices)
    title = models.CharField("文档标题", max_length=200, blank=True)
    text = models.TextField("提取的文字")
    document_date = models.DateField("文档日期")
    state = models.CharField("状态", max_length=20, choices=ExtractionState.choices, default=ExtractionState.DRAFT)
    decision = models.ForeignKey(Decision, verbose_name="决策部署", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    accepted_at = models.DateTimeField("确认时间", null=True, blank=True)

    class Meta:
        verbose_name = "智能分解"
        verbose_name_plural = "智能分解"
        indexes = [models.Index(fields=["unit", "state", "-created_at"], name="extraction_unit_state")]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ExtractionState.values), name="extraction_state"),
            models.CheckConstraint(condition=Q(kind__in=SourceKind.values), name="extraction_kind"),
        ]

    def __str__(self) -> str:
        return self.title or self.filename or f"智能分解{self.pk}"


class ProposedTask(models.Model):
    """One proposed task: the words it came from (a span of the extraction's text), who is to do it and when —
    as the document wrote them and as the supervisor settles them."""

    extraction = models.ForeignKey(Extraction, verbose_name="智能分解", on_delete=models.CASCADE,
                                   related_name="items")
    position = models.PositiveIntegerField("顺序")  # spaced (POSITION_STEP apart) so that a split fits between
    section = models.JSONField("所属章节", default=list, blank=True)
    text = models.TextField("事项内容")
    span_start = models.PositiveIntegerField("原文起点")
    span_end = models.PositiveIntegerField("原文终点")
    lead_names = models.JSONField("文中牵头单位", default=list, blank=True)
    other_names = models.JSONField("文中配合单位", default=list, blank=True)
    matches = models.JSONField("单位匹配", default=dict, blank=True)  # name as written -> unit id, or null
    lead_unit_ids = models.JSONField("牵头单位", default=list, blank=True)
    other_unit_ids = models.JSONField("配合单位", default=list, blank=True)
    deadline_text = models.CharField("文中时限", max_length=100, blank=True)
    deadline = models.DateField("完成时限", null=True, blank=True)
    cadence = models.CharField("报送周期", max_length=20, choices=Cadence.choices, default=Cadence.NONE)
    report_day = models.PositiveSmallIntegerField("每期报送日", null=True, blank=True)
    dropped = models.BooleanField("不作为事项", default=False)
    settled = models.BooleanField("已人工核对", default=False)
    task = models.ForeignKey(Task, verbose_name="督办事项", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")

    class Meta:
        verbose_name = "拟分解事项"
        verbose_name_plural = "拟分解事项"
        ordering = ["extraction", "position", "id"]
        indexes = [models.Index(fields=["extraction", "position"], name="proposed_task_order")]
        constraints = [
            models.CheckConstraint(condition=Q(span_end__gte=models.F("span_start")), name="proposed_task_span"),
        ]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def unmatched_names(self) -> list[str]:
        """Names the document wrote that match no unit of the tree: kept and flagged for the person to settle."""
        return [name for name in self.lead_names + self.other_names if self.matches.get(name) is None]
