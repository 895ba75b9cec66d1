"""收件箱: a person's own notices, in the words of their e-mails, marked read one by one or all at once."""

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.escalation.models import Notice
from duban.escalation.services import urge_send
from duban.security.testing import force_login_verified
from duban.supervision import services as s
from duban.supervision.models import Assignment

D = dt.date
HTMX = {"HTTP_HX_REQUEST": "true"}
QUERY_BOUND = 14


def assigned(c, *, title="推进重点项目开工", leads=None):
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=D(2026, 5, 28))
    task = s.task_create(actor=c.supervisor, decision=decision, title=title,
                         lead_unit_ids=[u.pk for u in leads or [c.pref_drc]], deadline=D(2026, 6, 30))
    return s.task_assign(actor=c.supervisor, task=task)


def header_count(page: str) -> int:
    """The unread count the header shows (0 when it shows none)."""
    found = re.search(r'<span class="count" id="unread-count"[^>]*>(\d+)</span>', page)
    return int(found.group(1)) if found else 0


def test_it_shows_each_person_only_their_own_notices(client, cast, frozen):
    c = cast
    task = assigned(c)
    assigned(c, title="盘活闲置国有资产", leads=[c.pref_finance])
    client.force_login(c.drc_liaison)
    response = client.get("/inbox/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"【交办通知】{task.code} 推进重点项目开工" in page
    assert "州发改委：收到新交办事项，请于2026年6月2日前签收，完成时限为2026年6月30日。" in page
    assert f'href="/tasks/{task.pk}/"' in page
    assert "2026年6月1日 09:00" in page and "紧急" in page
    assert "盘活闲置国有资产" not in page  # 州财政局's notice went to 州财政局 only
    assert header_count(page) == 1
    client.force_login(c.finance_liaison)
    page = client.get("/inbox/").content.decode()
    assert "盘活闲置国有资产" in page and "推进重点项目开工" not in page


def test_it_shows_a_supervisors_urge_in_its_own_words(client, cast, frozen):
    c = cast
    task = assigned(c)
    urge_send(actor=c.supervisor, assignment=Assignment.objects.get(task=task), message="请于本周五前报送进展。")
    client.force_login(c.drc_head)
    page = client.get("/inbox/").content.decode()
    assert f"【催办单】{task.code} 推进重点项目开工" in page
    assert "督查室对州发改委承办的事项发出催办单：" in page and "请于本周五前报送进展。" in page
    assert page.index("【催办单】") < page.index("【交办通知】")  # newest first


def test_it_marks_a_notice_read_and_lowers_the_count_in_the_header(client, cast, frozen):
    c = cast
    task = assigned(c)
    urge_send(actor=c.supervisor, assignment=Assignment.objects.get(task=task), message="请抓紧办理。")
    client.force_login(c.drc_liaison)
    page = client.get("/inbox/").content.decode()
    assert header_count(page) == 2
    urge_notice = Notice.objects.get(recipient=c.drc_liaison, urge__step="manual")
    assert f'action="/inbox/{urge_notice.pk}/read/"' in page
    response = client.post(f"/inbox/{urge_notice.pk}/read/", {"next": "/inbox/?unread=1"})
    assert (response.status_code, response["Location"]) == (302, "/inbox/?unread=1")
    assert Notice.objects.get(pk=urge_notice.pk).read_at is not None
    page = client.get("/inbox/").content.decode()
    assert header_count(page) == 1
    unread = client.get("/inbox/?unread=1").content.decode()
    assert "【交办通知】" in unread and "【催办单】" not in unread


def test_it_answers_htmx_with_the_row_and_the_new_count(client, cast, frozen):
    c = cast
    task = assigned(c)
    urge_send(actor=c.supervisor, assignment=Assignment.objects.get(task=task), message="请抓紧办理。")
    client.force_login(c.drc_liaison)
    first, second = Notice.objects.filter(recipient=c.drc_liaison).order_by("id")
    response = client.post(f"/inbox/{first.pk}/read/", **HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith(f'<li class="notice" id="notice-{first.pk}">')
    assert "已读" in fragment and "/read/" not in fragment  # read: no button any more
    assert '<span class="count" id="unread-count" hx-swap-oob="true">1</span>' in fragment
    assert "<html" not in fragment
    response = client.post(f"/inbox/{second.pk}/read/", **HTMX)
    assert '<span id="unread-count" hx-swap-oob="true"></span>' in response.content.decode()


def test_it_offers_the_mark_as_read_form_with_htmx_and_without(client, cast, frozen):
    assigned(cast)
    client.force_login(cast.drc_liaison)
    notice = Notice.objects.get(recipient=cast.drc_liaison)
    page = client.get("/inbox/").content.decode()
    assert (f'<form method="post" action="/inbox/{notice.pk}/read/" hx-post="/inbox/{notice.pk}/read/"\n'
            f'        hx-target="#notice-{notice.pk}" hx-swap="outerHTML">') in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<li class="notice notice-unread"' in page and 'class="unread"' in page


def test_it_reads_nobody_elses_notice(client, cast, frozen):
    c = cast
    assigned(c)
    theirs = Notice.objects.get(recipient=c.drc_head)
    client.force_login(c.drc_liaison)
    assert client.post(f"/inbox/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/inbox/{theirs.pk}/read/", **HTMX).status_code == 404
    assert client.post("/inbox/999999/read/").status_code == 404
    assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_it_marks_only_by_post(client, cast, frozen):
    assigned(cast)
    notice = Notice.objects.get(recipient=cast.drc_liaison)
    client.force_login(cast.drc_liaison)
    assert client.get(f"/inbox/{notice.pk}/read/").status_code == 405
    assert client.get("/inbox/read-all/").status_code == 405
    assert Notice.objects.get(pk=notice.pk).read_at is None


def test_it_marks_every_notice_read_at_once(client, cast, frozen):
    c = cast
    task = assigned(c)
    urge_send(actor=c.supervisor, assignment=Assignment.objects.get(task=task), message="请抓紧办理。")
    assigned(c, title="盘活闲置国有资产", leads=[c.pref_finance])
    client.force_login(c.drc_liaison)
    assert '<form class="actions inbox-actions" method="post" action="/inbox/read-all/"' in \
        client.get("/inbox/").content.decode()
    response = client.post("/inbox/read-all/", {"next": "/inbox/"}, follow=True)
    page = response.content.decode()
    assert "已将 2 条通知标为已读。" in page
    assert header_count(page) == 0
    assert not Notice.objects.filter(recipient=c.drc_liaison, read_at__isnull=True).exists()
    assert Notice.objects.filter(recipient=c.finance_liaison, read_at__isnull=True).count() == 1  # not theirs


def test_it_answers_htmx_read_all_with_the_list_of_the_same_tab(client, cast, frozen):
    c = cast
    assigned(c)
    client.force_login(c.drc_liaison)
    response = client.post("/inbox/read-all/?unread=1", **HTMX)
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="notices" class="inbox">')
    assert "暂无未读通知" in fragment
    assert '<span id="unread-count" hx-swap-oob="true"></span>' in fragment


def test_it_shows_an_empty_inbox_kindly(client, cast, frozen):
    client.force_login(cast.leader)
    page = client.get("/inbox/").content.decode()
    assert "暂无通知" in page
    assert "催办、督办通知、交办通知和领导批示会送到这里。" in page
    assert "全部标为已读" not in page


def test_it_answers_an_htmx_visit_with_the_list_alone(client, cast, frozen):
    assigned(cast)
    client.force_login(cast.drc_liaison)
    fragment = client.get("/inbox/?unread=1", **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="notices"')
    assert "<html" not in fragment and "【交办通知】" in fragment
    assert '<a href="/inbox/?unread=1" aria-current="page">未读</a>' in fragment


def test_it_keeps_administrators_and_strangers_out(client, cast, frozen):
    response = client.get("/inbox/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post("/inbox/read-all/").status_code == 302
    force_login_verified(client, cast.sysadmin)
    assert client.get("/inbox/").status_code == 403
    assert client.post("/inbox/read-all/").status_code == 403


def test_it_pages_the_inbox_in_the_same_number_of_queries_however_many_notices(
        client, cast, frozen, django_assert_max_num_queries):
    c = cast
    task = assigned(c)
    assignment = Assignment.objects.get(task=task)
    for n in range(2):
        urge_send(actor=c.supervisor, assignment=assignment, message=f"第{n + 1}次催办。")
    client.force_login(c.drc_liaison)
    client.get("/inbox/")
    with CaptureQueriesContext(connection) as few, django_assert_max_num_queries(QUERY_BOUND):
        response = client.get("/inbox/")
    assert len(response.context["rows"]) == 3
    for n in range(2, 40):
        urge_send(actor=c.supervisor, assignment=assignment, message=f"第{n + 1}次催办。")
    for title in ("盘活闲置国有资产", "建设数字政府平台"):
        assigned(c, title=title)
    with CaptureQueriesContext(connection) as many, django_assert_max_num_queries(QUERY_BOUND):
        response = client.get("/inbox/")
    assert len(response.context["rows"]) == 30 and response.context["page"].paginator.count == 43
    assert len(many.captured_queries) == len(few.captured_queries)
    page = response.content.decode()
    assert "第 1 / 2 页" in page and 'href="/inbox/?page=2"' in page
    second = client.get("/inbox/?page=2")
    assert len(second.context["rows"]) == 13
