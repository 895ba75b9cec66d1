"""群众线索 in Debian's chromium at phone width: a citizen sends a clue with a photo and keeps the code; the
county's 督查室 forwards it; the unit signs and answers, and its head lets the answer go out (二级审核); the
citizen rates the answer unsatisfied, it is handled again, the second answer is rated satisfied and the clue
is closed. Real time, not frozen."""

import io
import re

import pytest
from browser import Visitor, chromium
from PIL import Image

from duban.supervision.models import Assignment, Report
from duban.voice.models import Clue, ClueState

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SMALL_PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True,
               "has_touch": True}
STORY = "城关镇幸福小区5栋门前的路灯坏了三个月，晚上一片漆黑，老人孩子出行很不安全，多次反映没人管。"
FIRST = "经核实，幸福小区5栋门前路灯线路老化，城关镇已更换线路和灯具，现已恢复照明。"
SECOND = "经再次核查，路灯控制箱故障导致夜间断电，已更换控制箱并连续三晚巡查，路灯正常亮灯。"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def people(browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    opened = []

    def open_as(user=None, label="phone"):
        v = Visitor(browser, live_server.url, SMALL_PHONE, label)
        if user is not None:
            v.login(user)
        opened.append(v)
        return v

    yield open_as
    for v in opened:
        v.check_clean()
        v.close()


def _photo() -> bytes:
    image = Image.new("RGB", (320, 240), (30, 30, 60))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (26.0, 34.0, 12.5), 3: "E", 4: (106.0, 42.0, 7.25)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _load(v) -> None:
    v.page.wait_for_load_state("load")
    v.check_labels()


def _fits(v) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    width = v.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"{v.page.url} is {width}px wide"


def _send_clue(citizen) -> str:
    page = citizen.page
    citizen.go("/voice/")
    _fits(citizen)
    page.get_by_role("link", name="我要反映").click()
    _load(citizen)
    page.get_by_label("问题类别").select_option(label="城乡建设与住房")
    page.get_by_label("所在地区").select_option(label="甲县城关镇")
    page.get_by_label("具体地点").fill("幸福小区5栋")
    page.get_by_label(re.compile("^反映内容")).fill(STORY)
    page.get_by_label("照片", exact=True).set_input_files(
        [{"name": "路灯.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    question = page.get_by_label(re.compile("^验证题"))
    label = page.locator(f"label[for='{question.get_attribute('id')}']").inner_text()
    a, b = re.search(r"(\d+) 加 (\d+)", label).groups()
    question.fill(str(int(a) + int(b)))
    _fits(citizen)
    citizen.shot("voice-new")
    page.get_by_role("button", name="提交").click()
    _load(citizen)
    assert "请牢记查询码" in page.content()
    code = page.locator("#voice-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert code not in page.url
    citizen.shot("voice-done")
    return code


def _read_by_code(citizen, code: str) -> None:
    citizen.go("/voice/track")
    citizen.page.get_by_label("查询码").fill(code.lower())
    citizen.page.get_by_role("button", name="查询").click()
    _load(citizen)
    assert citizen.page.url.endswith("/voice/status")
    _fits(citizen)


def _rate(citizen, rating: str, comment: str = "") -> None:
    form = citizen.page.locator("#rate")
    form.get_by_label(rating, exact=True).check()
    if comment:
        form.get_by_label(re.compile("^意见")).fill(comment)
    form.get_by_role("button", name="提交评价").click()
    _load(citizen)


def _answer(liaison, clue: Clue, text: str) -> None:
    liaison.go("/clues/")
    liaison.page.get_by_role("link", name=re.compile("城关镇幸福小区")).click()
    _load(liaison)
    box = liaison.page.locator("#clue-answer")
    box.locator("summary").click()
    box.get_by_label("答复内容").fill(text)
    box.get_by_role("button", name="提交答复").click()
    _load(liaison)
    assert "答复已提交，待单位负责人审核后向群众公开" in liaison.page.locator(".flash").inner_text()
    assert "答复已提交，待单位负责人审核后向群众公开" in liaison.page.locator("#h-answer + p").inner_text()
    assert liaison.page.locator("#clue-answer").count() == 0  # no second answer while the first waits


def _approve(head, clue: Clue) -> None:
    """The unit head lets the answer go out from the task page (单位审核)."""
    head.go(f"/tasks/{clue.task_id}/")
    _fits(head)
    waiting = Report.objects.filter(assignment__task_id=clue.task_id, state="unit_review").get()
    box = head.page.locator(f"#report-{waiting.pk}-unit_review")
    box.locator("summary").click()
    box.get_by_label("通过").check()
    box.get_by_role("button", name="提交单位审核").click()
    _load(head)
    assert "已审核通过" in head.page.locator(".flash").inner_text()


def test_a_citizen_is_answered_rates_it_unsatisfied_and_closes_after_the_second_answer(people, cast):
    c = cast
    citizen = people(label="citizen")
    code = _send_clue(citizen)
    clue = Clue.objects.get(code=code)
    assert clue.state == ClueState.RECEIVED and clue.photos.count() == 1

    # 督查室: the new clue first in the queue, forwarded to 甲县发改局 (not the suggested township)
    sup = people(c.county_supervisor, "supervisor")
    sup.go("/clues/")
    _fits(sup)
    sup.page.get_by_role("link", name=re.compile("城关镇幸福小区")).click()
    _load(sup)
    assert sup.page.locator(".voice-photos img").first.evaluate("img => img.naturalWidth") > 0
    box = sup.page.locator("#clue-forward")
    box.locator("summary").click()
    box.get_by_role("button", name="移除 甲县城关镇").click()
    box.get_by_label("搜索承办单位").fill("发改")
    box.locator("[data-picker=units] [data-unit-id]").first.click()
    sup.shot("clue-forward")
    box.get_by_role("button", name="转办", exact=True).click()
    _load(sup)
    assert "已转办" in sup.page.locator(".flash").inner_text()
    clue = Clue.objects.get(pk=clue.pk)
    assert clue.state == ClueState.FORWARDED
    lead = Assignment.objects.get(task=clue.task)
    assert lead.unit == c.county_drc

    # 承办单位: sign on the task page, answer on the clue page
    liaison = people(c.county_drc_liaison, "liaison")
    liaison.go(f"/tasks/{clue.task_id}/")
    liaison.page.locator(f"#assignment-{lead.pk}-sign").get_by_role("button").click()
    _load(liaison)
    _answer(liaison, clue, FIRST)
    _read_by_code(citizen, code)
    assert FIRST not in citizen.page.content() and "尚未答复" in citizen.page.content()
    head = people(c.county_drc_head, "head")
    _approve(head, clue)

    # 群众: reads the answer by code, rates it unsatisfied with a reason: it reopens
    _read_by_code(citizen, code)
    page = citizen.page
    assert FIRST in page.content() and "甲县发展和改革局" in page.content()
    assert page.locator(".voice-photos img").first.evaluate("img => img.naturalWidth") > 0
    citizen.shot("voice-answered")
    _rate(citizen, "不满意", "路灯换了但晚上还是不亮。")
    assert "重办中" in page.content()
    assert Clue.objects.get(pk=clue.pk).state == ClueState.REOPENED

    # 承办单位: answers again, and its head lets it go out
    _answer(liaison, clue, SECOND)
    _approve(head, clue)

    # 群众: satisfied; the clue is closed
    _read_by_code(citizen, code)
    assert SECOND in citizen.page.content()
    _rate(citizen, "满意")
    clue = Clue.objects.get(pk=clue.pk)
    assert clue.state == ClueState.CLOSED and clue.rating == "satisfied"
    state = citizen.page.locator("#h-state").inner_text()
    assert "已办结" in state
    steps = citizen.page.locator(".voice-steps li").all_inner_texts()
    assert steps[-1].startswith("办结") and "重办" in " ".join(steps)
    assert citizen.page.locator("#rate").count() == 0
    citizen.shot("voice-closed")
