"""The pages. Each view module declares its own routes."""

from duban.web.views import (
    bulletins,
    clues,
    dashboard,
    decisions,
    extract,
    home,
    inbox,
    inspections,
    ledger,
    lists,
    quality,
    scorecards,
    tasks,
    voice_public,
    workbench,
)

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
    *scorecards.urlpatterns,
    *bulletins.urlpatterns,
    *extract.urlpatterns,
    *quality.urlpatterns,
    *inspections.urlpatterns,
    *voice_public.urlpatterns, *clues.urlpatterns,
]
