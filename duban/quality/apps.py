from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "duban.quality"
    verbose_name = "材料质量与基层减负"
