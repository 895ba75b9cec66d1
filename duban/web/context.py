"""What every page's header shows: the navigation for the person's roles and their unread notices."""

from django.urls import reverse

from duban.escalation.selectors import unread_count_for
from duban.org.models import ADMIN_ROLES, Role


def _nav(user) -> list[tuple[str, str]]:
    roles = user.roles
    items = []
    if Role.LEADER in roles:
        items.append(("web:dashboard", "领导驾驶舱"))
    if Role.SUPERVISOR in roles:
        items.append(("web:supervisor", "督查室工作台"))
    if roles & {Role.LIAISON, Role.UNIT_HEAD}:
        items.append(("web:unit", "承办工作台"))
    if roles - ADMIN_ROLES:
        items += [("web:tasks", "督办事项"), ("web:assignments", "承办情况")]
    if roles & {Role.LEADER, Role.SUPERVISOR}:
        items.append(("web:scorecards", "效能评估"))
    if roles & {Role.SUPERVISOR, Role.LEADER, Role.INSPECTOR}:
        items.append(("web:bulletins", "督查通报"))
    if roles & {Role.SUPERVISOR, Role.LEADER, Role.INSPECTOR}:
        items.append(("web:inspections", "实地督查"))
    if roles & {Role.LEADER, Role.SUPERVISOR}:
        items.append(("web:burden", "基层减负"))
    if Role.SUPERVISOR in roles:
        items.append(("web:decisions", "登记交办"))
    if roles & {Role.SUPERVISOR, Role.LEADER, Role.INSPECTOR, Role.LIAISON, Role.UNIT_HEAD}:
        items.append(("web:clues", "群众线索"))
    return items


def header(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    path = request.path
    nav = []
    for name, label in _nav(user):
        url = reverse(name)
        nav.append({"url": url, "label": label, "current": path == url or (url != "/" and path.startswith(url))})
    business = bool(user.roles - ADMIN_ROLES)
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true":
        return {"business_user": business}  # a fragment has no header to fill
    return {
        "nav": nav,
        "business_user": business,
        "admin_user": bool(user.roles & ADMIN_ROLES),
        "unread": unread_count_for(user=user) if business else 0,
    }
