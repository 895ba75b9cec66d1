"""收件箱: the notices that reached a person (催办、督办通知、交办通知、领导批示), and marking them read."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from duban.escalation import services
from duban.escalation.models import Notice
from duban.escalation.selectors import notice_list_for, unread_count_for
from duban.escalation.texts import urge_lines, urge_title
from duban.web.views.common import business_page, is_htmx, page_of

PER_PAGE = 30


@dataclass(frozen=True)
class NoticeRow:
    """One notice as the inbox shows it, in the same words as its e-mail and robot message."""

    notice: Notice
    title: str
    lines: list[str]

    @property
    def unread(self) -> bool:
        return self.notice.read_at is None


def row_of(notice: Notice) -> NoticeRow:
    return NoticeRow(notice=notice, title=urge_title(notice.urge), lines=urge_lines(notice.urge))


def _list_context(request) -> dict:
    unread_only = request.GET.get("unread") == "1"
    notices = notice_list_for(user=request.user, unread=True if unread_only else None)
    page = page_of(request, notices, PER_PAGE)
    return {"page": page, "rows": [row_of(n) for n in page], "unread_only": unread_only}


def _back(request) -> str:
    """Where a plain (non-htmx) form goes after marking: the inbox page it came from."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("web:inbox")


@business_page
@require_safe
def inbox(request):
    context = _list_context(request)
    template = "web/inbox/_list.html" if is_htmx(request) else "web/inbox/page.html"
    return render(request, template, context)


@business_page
@require_POST
def notice_read(request, pk: int):
    """Mark one of the person's own notices read; anyone else's is not found."""
    services.notice_read(actor=request.user, notice_id=pk)
    if not is_htmx(request):
        return redirect(_back(request))
    notice = notice_list_for(user=request.user).filter(pk=pk).first()
    if notice is None:
        raise Http404()
    return render(request, "web/inbox/read.html",
                  {"row": row_of(notice), "count": unread_count_for(user=request.user)})


@business_page
@require_POST
def notices_read_all(request):
    """Mark every unread notice of the person read; htmx gets the list again (for the query string's tab)."""
    count = services.notices_read_all(actor=request.user)
    if not is_htmx(request):
        if count:
            messages.success(request, f"已将 {count} 条通知标为已读。")
        return redirect(_back(request))
    context = _list_context(request)
    context["count"] = unread_count_for(user=request.user)
    return render(request, "web/inbox/read_all.html", context)


urlpatterns = [
    path("inbox/", inbox, name="inbox"),
    path("inbox/<int:pk>/read/", notice_read, name="notice_read"),
    path("inbox/read-all/", notices_read_all, name="notices_read_all"),
]
