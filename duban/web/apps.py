from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "duban.web"
    verbose_name = "页面"
