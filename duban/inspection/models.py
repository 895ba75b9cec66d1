"""实地督查: a plan (team, places, dates, what to check), the visits made, the findings, each finding's
rectification task (整改, decision kind `inspection`) and the re-inspection (复查) that may close it."""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q

from duban.core.models import VersionedModel
from duban.org.models import Unit
from duban.supervision.models import Decision, Task
from duban.voice.models import Clue


class InspectionState(models.TextChoices):
    PLANNED = "planned", "计划中"
    UNDER_WAY = "under_way", "督查中"
    FINISHED = "finished", "已结束"  # visits done; findings go on being rectified
    CANCELLED = "cancelled", "已取消"


class Inspection(VersionedModel):
    """实地督查: one trip of an inspection team."""

    title = models.CharField("督查名称", max_length=200)
    office = models.ForeignKey(Unit, verbose_name="组织单位", on_delete=models.PROTECT, related_name="+")
    team_leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="组长", on_delete=models.PROTECT,
                                    related_name="+")
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="督查组成员", related_name="inspections")
    places = models.ManyToManyField(Unit, verbose_name="督查对象", related_name="+", blank=True)
    place_notes = models.TextField("督查地点", blank=True)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    tasks = models.ManyToManyField(Task, verbose_name="检查事项", related_name="inspections", blank=True)
    clues = models.ManyToManyField(Clue, verbose_name="核查线索", related_name="inspections", blank=True)
    focus = models.TextField("督查重点", blank=True)
    requires_recheck = models.BooleanField("整改须复查", default=True)
    state = models.CharField("状态", max_length=20, choices=InspectionState.choices,
                             default=InspectionState.PLANNED)
    # The 督查发现 decision the rectification tasks hang under, made with the first finding.
    decision = models.OneToOneField(Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间")

    class Meta:
        verbose_name = "实地督查"
        verbose_name_plural = "实地督查"
        indexes = [models.Index(fields=["office", "state", "starts_on"])]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="inspection_dates_ordered")]

    def __str__(self) -> str:
        return self.title


class Visit(models.Model):
    """A visit on site: where, when, what was seen, whom the team met."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="visits")
    unit = models.ForeignKey(Unit, verbose_name="被督查单位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    place = models.CharField("地点", max_length=200, blank=True)
    visited_on = models.DateField("日期")
    notes = models.TextField("现场情况")
    people_met = models.TextField("座谈/走访对象", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "督查走访"
        verbose_name_plural = "督查走访"
        indexes = [models.Index(fields=["inspection", "visited_on"])]


def visit_photo_path(instance, filename: str) -> str:
    return f"inspections/{instance.visit.inspection_id}/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()[:6]}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField("照片", upload_to=visit_photo_path)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = "走访照片"
        verbose_name_plural = "走访照片"


class FindingState(models.TextChoices):
    RECTIFYING = "rectifying", "整改中"
    RECHECK = "recheck", "待复查"  # the unit's rectification is verified; the plan asks for a re-inspection
    CLOSED = "closed", "已整改销号"
    CANCELLED = "cancelled", "已撤销"


class Finding(VersionedModel):
    """督查发现: a problem seen on site, rectified by its unit through a task."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="findings")
    unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    text = models.TextField("发现问题")
    requirement = models.TextField("整改要求", blank=True)
    deadline = models.DateField("整改时限")
    task = models.OneToOneField(Task, verbose_name="整改事项", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="finding")
    requires_recheck = models.BooleanField("须复查", default=True)
    # Only the finding's own 撤销 is stored here (rectifying or cancelled); the rest follows from the task and
    # is read through duban.inspection.rules.finding_state (`current_state` on the selectors' rows).
    state = models.CharField("状态", max_length=20, choices=FindingState.choices,
                             default=FindingState.RECTIFYING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "督查发现"
        verbose_name_plural = "督查发现"
        indexes = [models.Index(fields=["inspection", "state"]), models.Index(fields=["unit", "state"])]


class Recheck(models.Model):
    """复查: the team goes back and sees whether the rectification holds."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="rechecks")
    passed = models.BooleanField("复查通过")
    notes = models.TextField("复查情况")
    checked_on = models.DateField("复查日期")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "复查"
        verbose_name_plural = "复查"
