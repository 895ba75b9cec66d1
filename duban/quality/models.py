"""Results, not paperwork (反对形式主义): what duban notices about each report — a near-copy of an earlier one,
stock phrases with few facts, values a target asks for and the report leaves out — and the stock-phrase list an
office keeps. Advice for the reviewer, never a rejection."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from duban.org.models import Unit
from duban.supervision.models import Report


class ReportBand(models.Model):
    """One LSH band key of one report's MinHash signature (duban.quality.similarity): the bucket it falls in.

    A new report's candidates are the reports sharing any of its keys: one indexed lookup of a few keys, however
    many reports are stored. The primary key (key, report) is that index."""

    pk = models.CompositePrimaryKey("key", "report_id")
    key = models.BigIntegerField("分桶键")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        verbose_name = "相似检索分桶"
        verbose_name_plural = "相似检索分桶"


class MatchKind(models.TextChoices):
    SAME_UNIT = "same_unit", "本单位此前对同一事项的反馈"
    OTHER_UNIT = "other_unit", "其他单位对同一事项的反馈"
    OTHER_TASK = "other_task", "其他事项的反馈"


class ReportQuality(models.Model):
    """What was noticed about a report when it was submitted."""

    report = models.OneToOneField(Report, verbose_name="进展反馈", primary_key=True, on_delete=models.CASCADE,
                                  related_name="quality")
    similarity = models.FloatField("最高相似度", null=True, blank=True)  # exact Jaccard of character shingles
    match = models.ForeignKey(Report, verbose_name="相似的反馈", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    match_kind = models.CharField("相似来源", max_length=20, choices=MatchKind.choices, blank=True)
    copied = models.BooleanField("疑似照抄", default=False)
    padded = models.BooleanField("疑似堆砌套话", default=False)
    missing_values = models.BooleanField("缺少指标值", default=False)
    stock_share = models.FloatField("套话占比", default=0)
    facts = models.PositiveIntegerField("具体事实数", default=0)
    flags = models.JSONField("提示", default=list, blank=True)  # [{"code": …, "reason": …}]
    checked_at = models.DateTimeField("检查时间")

    class Meta:
        verbose_name = "反馈质量提示"
        verbose_name_plural = "反馈质量提示"
        indexes = [models.Index(fields=["copied"], condition=Q(copied=True), name="report_quality_copied"),
                   models.Index(fields=["padded"], condition=Q(padded=True), name="report_quality_padded")]

    def __str__(self) -> str:
        return f"{self.report_id}: {', '.join(f['code'] for f in self.flags) or 'ok'}"


class StockPhrase(models.Model):
    """One phrase of an office's stock-phrase list (套话), read for the reports of its unit and those below it.
    An office without a list of its own reads the nearest list above it, else duban's default."""

    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="+")
    text = models.CharField("套话", max_length=40)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修改人", null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "套话"
        verbose_name_plural = "套话"
        constraints = [models.UniqueConstraint(fields=["unit", "text"], name="stock_phrase_unique")]

    def __str__(self) -> str:
        return self.text
