from django.apps import AppConfig


class ExtractConfig(AppConfig):
    name = "duban.extract"
    verbose_name = "智能分解"
