from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "duban.bulletins"
    verbose_name = "督查通报"
