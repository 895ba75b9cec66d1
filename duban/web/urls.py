"""The pages. Each view module declares its own routes."""

from duban.web.views import dashboard, decisions, home, inbox, ledger, lists, tasks, workbench

app_name = "web"

urlpatterns = [
    *home.urlpatterns,
    *workbench.urlpatterns,
    *tasks.urlpatterns,
    *lists.urlpatterns,
    *dashboard.urlpatterns,
    *inbox.urlpatterns,
    *decisions.urlpatterns,
    *ledger.urlpatterns,
]
