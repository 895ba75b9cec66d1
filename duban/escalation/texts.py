"""What a notice says, in the office's words: one function for the inbox, mail, robots and SMS."""

import datetime as dt

from django.conf import settings

from duban.escalation.models import Cause, Step, Urge

WHAT = {
    Cause.DEADLINE: "完成时限",
    Cause.EXTENSION: "延期后的完成时限",
    Cause.MILESTONE: "节点时限",
    Cause.REPORT: "进展报送时限",
    Cause.SIGN: "签收时限",
}


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def urge_title(urge: Urge) -> str:
    label = Step(urge.step).label
    return f"【{label}】{urge.task.code} {urge.task.title}"


def urge_lines(urge: Urge) -> list[str]:
    """The body: what is due, for whom, and what to do."""
    unit = urge.unit.display_name
    if urge.step == Step.MANUAL:
        lines = [f"督查室对{unit}承办的事项发出催办单：", urge.message]
    elif urge.step == Step.INSTRUCTION:
        lines = [f"领导对{unit}承办的事项作出批示：", urge.message]
    elif urge.cause == Cause.CLUE:
        due = f"（答复时限{_date(urge.due_on)}）" if urge.step == Step.CLUE else f"，答复时限{_date(urge.due_on)}已过，请即答复"
        lines = [f"{unit}：有群众线索待您单位答复{due}。", urge.message]
    elif urge.step == Step.REDO:
        a = urge.assignment
        due = f"，请于{_date(a.deadline)}前重新办理" if a.deadline else ""
        lines = [f"{unit}：事项重办{due}。原因：", urge.message]
    elif urge.step == Step.ASSIGN:
        a = urge.assignment
        due = f"，完成时限为{_date(a.deadline)}" if a.deadline else ""
        lines = [f"{unit}：收到新交办事项，请于{_date(a.sign_due)}前签收{due}。"]
    else:
        what = WHAT.get(urge.cause, "时限")
        if urge.step == Step.REMINDER:
            lines = [f"{unit}：{what}为{_date(urge.due_on)}，即将到期，请抓紧办理。"]
        elif urge.step == Step.URGE_SIGN:
            lines = [f"{unit}：事项应于{_date(urge.due_on)}前签收，至今未签收，请即签收。"]
        elif urge.step == Step.LISTED:
            lines = [f"{unit}：{what}{_date(urge.due_on)}已逾期多日，本事项列为挂牌督办，将在督查通报中点名。"]
        elif urge.step == Step.NOTICE:
            lines = [f"{unit}：{what}{_date(urge.due_on)}已逾期，现发出督办通知，请说明原因并限期办结。"]
        else:
            lines = [f"{unit}：{what}{_date(urge.due_on)}已过，请抓紧办理并及时反馈。"]
    return lines


def home_link() -> str:
    """Where a digest sends its reader: duban's front page, the workbench of what waits for them."""
    base = settings.DUBAN_BASE_URL
    return f"{base}/" if base else ""


def task_link(task_id: int) -> str:
    """Where one urge sends its reader: the task's page, with the actions open to them."""
    base = settings.DUBAN_BASE_URL
    return f"{base}/tasks/{task_id}/" if base else ""


def digest_title(day: dt.date, count: int) -> str:
    return f"【督办提醒】{day.month}月{day.day}日 共{count}项"
