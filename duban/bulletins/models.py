"""督查通报: a bulletin generated from the data for a scope (a unit's subtree) and a period, versioned."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from duban.org.models import Unit


def bulletin_path(instance, filename: str) -> str:
    # A random stored name: paths are not guessable; people download through the scoped view.
    suffix = filename.rsplit(".", 1)[-1].lower()[:5]
    return f"bulletins/{instance.scope_unit_id}/{instance.period_key}/v{instance.version}-{uuid.uuid4().hex}.{suffix}"


class Bulletin(models.Model):
    scope_unit = models.ForeignKey(Unit, verbose_name="通报范围", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField("期间起")
    period_end = models.DateField("期间止")
    period_key = models.CharField("期间", max_length=30)  # "2026-11" or "2026-11-01..2026-11-15"
    version = models.PositiveIntegerField("版次")
    title = models.CharField("标题", max_length=300)
    docx = models.FileField("Word 文档", upload_to=bulletin_path, blank=True)
    pdf = models.FileField("PDF 文档", upload_to=bulletin_path, blank=True)
    figures = models.JSONField("数据", default=dict)
    masthead = models.JSONField("版头", default=dict, blank=True)
    # Null when the worker made it on the monthly schedule.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="生成人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("生成时间")

    class Meta:
        verbose_name = "督查通报"
        verbose_name_plural = "督查通报"
        constraints = [
            models.UniqueConstraint(fields=["scope_unit", "period_start", "period_end", "version"],
                                    name="bulletin_one_version_per_scope_period"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="bulletin_period_ordered"),
            models.CheckConstraint(condition=Q(version__gte=1), name="bulletin_version_positive"),
        ]
        indexes = [models.Index(fields=["period_start", "period_end"], name="bulletin_period")]

    def __str__(self) -> str:
        return f"{self.title}（第{self.version}版）"

    @property
    def is_scheduled(self) -> bool:
        return self.created_by_id is None
