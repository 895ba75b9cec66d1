"""留痕: the append-only, hash-chained record of every action."""

from django.conf import settings
from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("events are append-only")

    def delete(self):
        raise TypeError("events are append-only")


class Event(models.Model):
    """One action: who did what to which object, when, with what payload.

    `seq` orders the chain; `hash` covers this row's content and the previous
    row's hash, so an edit anywhere breaks every link after it.
    """

    seq = models.BigIntegerField("序号", unique=True)
    created_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    verb = models.CharField("动作", max_length=60)
    object_type = models.CharField("对象类型", max_length=40)
    object_id = models.BigIntegerField("对象编号", null=True)
    task_id = models.BigIntegerField("督办事项", null=True, db_index=True)
    unit_id = models.BigIntegerField("相关单位", null=True)
    payload = models.JSONField("内容", default=dict)
    prev_hash = models.CharField("前一哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "留痕记录"
        verbose_name_plural = "留痕记录"
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"]),
                   models.Index(fields=["verb", "seq"], name="event_verb_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.verb}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("events are append-only")
        # Always an INSERT: a fresh instance carrying an existing id must fail, not overwrite.
        kwargs["force_insert"] = True
        kwargs.pop("force_update", None)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("events are append-only")


class ChainHead(models.Model):
    """The single row holding the chain's last link; locked by every append."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = "留痕链头"
        verbose_name_plural = "留痕链头"
