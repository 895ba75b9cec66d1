from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "duban.voice"
    label = "voice"
    verbose_name = "群众线索"
