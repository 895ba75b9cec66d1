"""The front door: each person lands on the workbench of their main role."""

from django.shortcuts import redirect, render
from django.urls import path

from duban.org.models import ADMIN_ROLES, Role


def home(request):
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    roles = user.roles
    from duban.web.views import dashboard, lists, workbench

    if Role.SUPERVISOR in roles:
        return workbench.supervisor(request)
    if Role.LEADER in roles:
        return dashboard.dashboard(request)
    if roles & {Role.LIAISON, Role.UNIT_HEAD}:
        return workbench.unit(request)
    if roles - ADMIN_ROLES:
        return lists.tasks(request)
    # 三员分立: an administrator sees no business content; their work is in the back office.
    return render(request, "web/admin_home.html")


urlpatterns = [path("", home, name="home")]
