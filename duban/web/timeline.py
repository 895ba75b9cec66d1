"""A task's Events as lines a person reads: who did what, when, and what they wrote."""

from django.utils import timezone

from duban.scorecards.models import ConfidenceLevel

VERBS = {
    "task.create": "登记了督办事项",
    "task.update": "修改了督办事项",
    "task.assign": "交办",
    "task.close": "销号",
    "task.cancel": "撤销了督办事项",
    "task.instruct": "作出批示",
    "task.leader_read": "阅示",
    "task.listed": "挂牌督办",
    "assignment.sign": "签收",
    "assignment.return": "退办",
    "assignment.reassign": "改派",
    "assignment.verify": "审核通过办结申请",
    "assignment.reject": "退回办结申请",
    "assignment.urge": "发出催办单",
    "report.submit": "报送进展反馈",
    "report.unit_approve": "单位审核反馈",
    "report.review": "审核进展反馈",
    "extension.request": "申请延期",
    "extension.decide": "批复延期申请",
    "blocker.raise": "提出堵点难点",
    "blocker.escalate": "提请领导协调",
    "blocker.answer": "答复协调意见",
    "milestone.complete": "完成节点",
    "task.confidence": "作出研判",
    "assignment.objective_reason": "记录客观原因",
    "escalation.sweep": "系统催办",
    "task.redo": "重办",
    "task.redo_by_rating": "群众不满意，重办",
    "task.redo_by_recheck": "复查未通过，重办",
    "clue.forward": "转办群众线索",
    "clue.attach": "将群众线索并入本事项",
    "clue.answer": "答复群众",
    "clue.rate": "群众评价答复",
    "clue.close_unrated": "群众逾期未评价，线索办结",
    "finding.record": "记录督查发现问题",
    "finding.issue": "交办整改",
    "finding.return": "复查未通过，退回整改",
    "finding.close": "整改销号",
    "finding.cancel": "撤销督查发现问题",
    "recheck.record": "复查",
}

RATINGS = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}

CONFIDENCE = dict(ConfidenceLevel.choices)

# What a person wrote, by the payload key it is kept under.
WORDS = ("text", "reason", "comment", "note", "answer", "message")


def _detail(verb: str, payload: dict) -> str:
    if verb == "report.submit":
        final = "（申请办结）" if payload.get("final") else ""
        files = payload.get("files") or []
        extra = f"，佐证材料{len(files)}个" if files else ""
        return f"进度{payload.get('progress', 0)}%{final}{extra}"
    if verb in ("report.review", "report.unit_approve"):
        ok = payload.get("accept", payload.get("approve"))
        head = "通过" if ok else "退回"
        return head + (f"：{payload['comment']}" if payload.get("comment") else "")
    if verb == "extension.decide":
        head = "批准" if payload.get("approve") else "不予批准"
        return head + (f"：{payload['comment']}" if payload.get("comment") else "")
    if verb == "extension.request" and payload.get("requested_deadline"):
        return f"申请延至{payload['requested_deadline']}：{payload.get('reason', '')}"
    if verb == "task.confidence":
        return f"{CONFIDENCE.get(payload.get('level'), payload.get('level', ''))}：{payload.get('reason', '')}"
    if verb == "clue.rate":
        return f"第{payload.get('round', 1)}次答复：{RATINGS.get(payload.get('rating'), '')}"
    if verb == "recheck.record":
        return "复查通过" if payload.get("passed") else "复查未通过"
    if verb == "task.close":
        return ("按期" if payload.get("on_time") else "逾期") + f"办结。{payload.get('note', '')}"
    for key in WORDS:
        if payload.get(key):
            return str(payload[key])
    return ""


def event_lines(events) -> list[dict]:
    return [{
        "at": timezone.localtime(e.created_at),
        "who": (e.actor.full_name or e.actor.username) if e.actor_id else "系统",
        "what": VERBS.get(e.verb, e.verb),
        "detail": _detail(e.verb, e.payload or {}),
        "verb": e.verb,
    } for e in events]
