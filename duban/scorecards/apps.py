from django.apps import AppConfig


class ScorecardsConfig(AppConfig):
    name = "duban.scorecards"
    verbose_name = "效能评估"
