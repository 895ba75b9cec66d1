"""The working-day calendar as data: the days that differ from Mon–Fri."""

from django.db import models


class CalendarSource(models.TextChoices):
    PACKAGE = "package", "chinesecalendar 数据包"
    IMPORT = "import", "导入"
    ADMIN = "admin", "管理员维护"


class CalendarYear(models.Model):
    """A year whose holidays and 调休 days are known. Years absent here fall back to Mon–Fri."""

    year = models.PositiveIntegerField("年份", primary_key=True)
    source = models.CharField("来源", max_length=20, choices=CalendarSource.choices)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "已载入年份"
        verbose_name_plural = "已载入年份"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}年"


class CalendarDay(models.Model):
    """A day whose status is set explicitly: a holiday on a weekday, or a 调休 workday on a weekend."""

    date = models.DateField("日期", primary_key=True)
    is_workday = models.BooleanField("是否工作日")
    name = models.CharField("说明", max_length=50, blank=True)
    source = models.CharField("来源", max_length=20, choices=CalendarSource.choices)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'班' if self.is_workday else '休'} {self.name}"
