"""The product's URLs plus the limit's two hand-written views (bench/api_limit.py), under /bench/limit/."""

from django.urls import path

from bench import api_limit
from duban.config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    *product_urlpatterns,
    path("bench/limit/tasks", api_limit.task_list, name="bench-limit-task-list"),
    path("bench/limit/assignments/<int:assignment_id>/reports", api_limit.report_submit,
         name="bench-limit-report-submit"),
]
