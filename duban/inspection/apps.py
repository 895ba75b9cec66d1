from django.apps import AppConfig


class InspectionConfig(AppConfig):
    name = "duban.inspection"
    label = "inspection"
    verbose_name = "实地督查"
