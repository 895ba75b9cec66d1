"""Base pieces shared by the domain models."""

from django.db import models


class VersionedModel(models.Model):
    """A row with an optimistic-lock version.

    Services bump `version` with a conditional UPDATE; a stale write changes
    nothing and raises `Conflict` (SQLite has no SELECT … FOR UPDATE).
    """

    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        abstract = True


class ScheduledJob(models.Model):
    """A periodic job the worker runs; claimed by a conditional UPDATE on `next_run_at`."""

    name = models.CharField(max_length=50, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "定时任务"
        verbose_name_plural = "定时任务"
