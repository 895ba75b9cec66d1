"""群众线索: what the public sends, how the office routes it, what it was told and how it rated the answer.

The sender's name and phone are stored encrypted (duban.core.sealed) and read only through
`clue_contact_reveal`, which audits each reading; nothing else in the product decrypts them."""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q

from duban.core.models import VersionedModel
from duban.org.models import Unit
from duban.supervision.models import Report, Task


class ClueCategory(models.TextChoices):
    BENEFITS = "benefits", "惠民惠企政策落实"
    BUSINESS = "business", "营商环境"
    RURAL = "rural", "乡村振兴与农业农村"
    ENVIRONMENT = "environment", "生态环境"
    HOUSING = "housing", "城乡建设与住房"
    SERVICES = "services", "教育医疗与社会保障"
    SAFETY = "safety", "安全生产"
    CONDUCT = "conduct", "作风问题与形式主义"
    OTHER = "other", "其他"


class ClueState(models.TextChoices):
    RECEIVED = "received", "已受理"  # 受理: sent in, waiting for the office to route it
    FORWARDED = "forwarded", "已转办"  # 转办 → 办理: a unit handles it as a task
    ANSWERED = "answered", "已答复"  # 答复: waiting for the sender's rating
    REOPENED = "reopened", "重办中"  # 重办: the first answer was rated unsatisfied
    CLOSED = "closed", "已办结"  # 办结
    MERGED = "merged", "已合并办理"  # the same matter as an earlier clue, handled there
    DECLINED = "declined", "不予受理"  # closed by the office with a reason the sender reads


CLUE_TRANSITIONS = {
    ClueState.RECEIVED: {ClueState.FORWARDED, ClueState.MERGED, ClueState.DECLINED},
    ClueState.FORWARDED: {ClueState.ANSWERED},
    ClueState.ANSWERED: {ClueState.CLOSED, ClueState.REOPENED},
    ClueState.REOPENED: {ClueState.ANSWERED},
    ClueState.CLOSED: set(),
    ClueState.MERGED: set(),
    ClueState.DECLINED: set(),
}

OPEN_CLUE_STATES = (ClueState.RECEIVED, ClueState.FORWARDED, ClueState.REOPENED)


class Rating(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Clue(VersionedModel):
    """群众线索."""

    code = models.CharField("查询码", max_length=20, unique=True)  # random: the sender's only key to the clue
    category = models.CharField("类别", max_length=20, choices=ClueCategory.choices)
    place_unit = models.ForeignKey(Unit, verbose_name="所在地/单位", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    place_text = models.CharField("具体地点", max_length=200, blank=True)
    description = models.TextField("反映内容")
    # The supervision office that triages it: the nearest office at or above the place (duban.voice.routing).
    office = models.ForeignKey(Unit, verbose_name="受理单位", on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=20, choices=ClueState.choices, default=ClueState.RECEIVED)
    round = models.PositiveSmallIntegerField("办理轮次", default=1)
    task = models.ForeignKey(Task, verbose_name="督办事项", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="clues")
    # True when the task was made for this clue: its answer is the task's final report.
    owns_task = models.BooleanField("专项交办", default=False)
    merged_into = models.ForeignKey("self", verbose_name="并入线索", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged")
    close_reason = models.TextField("办结/不予受理说明", blank=True)
    deadline = models.DateField("答复时限", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间")
    routed_at = models.DateTimeField("转办时间", null=True, blank=True)
    routed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    rating = models.CharField("评价", max_length=20, choices=Rating.choices, blank=True)  # the latest
    # Contact, sealed (duban.core.sealed): never shown but to the triage office, each reading audited.
    contact_name_sealed = models.TextField(blank=True)
    contact_phone_sealed = models.TextField(blank=True)
    # A keyed hash of the phone number: the per-phone rate limit and "the same sender" without the number.
    phone_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "群众线索"
        verbose_name_plural = "群众线索"
        indexes = [
            models.Index(fields=["office", "state", "submitted_at"]),
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["task"]),
            models.Index(fields=["place_unit", "state"]),
            models.Index(fields=["phone_key"], condition=~Q(phone_key=""), name="clue_phone_key"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(merged_into__isnull=True) | Q(state="merged"),
                                   name="clue_merged_has_state"),
            models.CheckConstraint(condition=Q(round__gte=1) & Q(round__lte=2), name="clue_round_once_reopened"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_category_display()}"

    @property
    def number(self) -> str:
        """The office's serial for the clue (the sender's key is `code`, which is secret)."""
        return f"XS{self.submitted_at:%Y}-{self.pk:06d}"

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_name_sealed or self.contact_phone_sealed)


def clue_photo_path(instance, filename: str) -> str:
    return f"clues/{instance.clue_id}/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()[:6]}"


class CluePhoto(models.Model):
    """A photo sent with a clue, re-encoded on arrival (duban.core.images): no metadata survives."""

    clue = models.ForeignKey(Clue, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField("照片", upload_to=clue_photo_path)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = "线索照片"
        verbose_name_plural = "线索照片"


class ClueReply(models.Model):
    """答复: what the sender is told, once per round."""

    clue = models.ForeignKey(Clue, on_delete=models.CASCADE, related_name="replies")
    round = models.PositiveSmallIntegerField("轮次")
    text = models.TextField("答复内容")
    unit = models.ForeignKey(Unit, verbose_name="答复单位", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("答复时间")
    due = models.DateField("答复时限", null=True, blank=True)  # the round's deadline: 按期答复 is judged by it
    # The unit's 办结申请 that carries the answer, when the clue's task was made for it: with 二级审核 the answer
    # reaches the sender only when the unit head lets that report go out (published_at set then).
    report = models.OneToOneField(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="clue_reply")
    published_at = models.DateTimeField("公开时间", null=True, blank=True)

    class Meta:
        verbose_name = "线索答复"
        verbose_name_plural = "线索答复"
        indexes = [models.Index(fields=["unit", "created_at"])]
        constraints = [models.UniqueConstraint(fields=["clue", "round"], name="clue_reply_once_per_round")]


class ClueRating(models.Model):
    """评价: the sender's rating of a round's answer."""

    clue = models.ForeignKey(Clue, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField("轮次")
    rating = models.CharField("评价", max_length=20, choices=Rating.choices)
    comment = models.TextField("意见", blank=True)
    created_at = models.DateTimeField("评价时间")
    # The unit whose answer was rated: the scorecards' 群众满意率 counts it there.
    unit = models.ForeignKey(Unit, verbose_name="答复单位", null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "线索评价"
        verbose_name_plural = "线索评价"
        indexes = [models.Index(fields=["unit", "created_at"])]
        constraints = [models.UniqueConstraint(fields=["clue", "round"], name="clue_rating_once_per_round")]


class RateWindow(models.Model):
    """How many times one key (a keyed hash of an address or phone, with its purpose) acted in one window."""

    key = models.CharField(max_length=80)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "提交频率"
        verbose_name_plural = "提交频率"
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="rate_window_unique")]
        indexes = [models.Index(fields=["window_start"])]


class DocKind(models.TextChoices):
    CLUE = "clue", "群众线索"
    TASK = "task", "督办事项"


class VoiceDoc(models.Model):
    """One text in the similar-clue index (duban.voice.index): a clue, or an open task's title and requirements."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=10, choices=DocKind.choices)
    ref_id = models.BigIntegerField()
    text = models.TextField()
    place = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=50, blank=True)
    office = models.ForeignKey(Unit, null=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "相似检索文本"
        verbose_name_plural = "相似检索文本"
        constraints = [models.UniqueConstraint(fields=["kind", "ref_id"], name="voice_doc_unique")]


class VoiceTerm(models.Model):
    """A term's document frequency over the index (duban.voice.similar: a term is its characters' code points)."""

    term = models.BigIntegerField(primary_key=True)
    df = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "检索词频"
        verbose_name_plural = "检索词频"


class VoicePosting(models.Model):
    """A bigram or trigram of a document: the inverted index the candidates are fetched from."""

    pk = models.CompositePrimaryKey("term", "doc_id")
    term = models.BigIntegerField()
    doc = models.ForeignKey(VoiceDoc, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        verbose_name = "检索倒排"
        verbose_name_plural = "检索倒排"
