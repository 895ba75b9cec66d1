from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "duban.escalation"
    label = "escalation"
    verbose_name = "催办督办"
