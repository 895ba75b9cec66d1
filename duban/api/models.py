"""Per-person API tokens: shown once, stored as a digest, revocable, expiring."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token for scripts and other systems acting as one person.

    Only the SHA-256 digest is stored: the token carries 256 random bits, so a
    fast hash is enough and a stolen table cannot be replayed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="所属人员", on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField("前缀", max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间")
    expires_at = models.DateTimeField("到期时间")
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        indexes = [models.Index(fields=["user", "-id"])]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
