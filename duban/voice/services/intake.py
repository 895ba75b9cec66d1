"""The public's side: send a clue, rate its answer. No account: the tracking code is the key."""

import re
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from duban.core import clock
from duban.core.errors import DomainError
from duban.core.images import photo_clean
from duban.core.sealed import keyed_hash, seal
from duban.org.models import Unit
from duban.supervision.models import Task, TaskState
from duban.supervision.services.common import lock, require_text, save_versioned
from duban.voice import limits
from duban.voice.models import (
    Clue,
    ClueCategory,
    CluePhoto,
    ClueRating,
    ClueReply,
    ClueState,
    Rating,
)
from duban.voice.routing import office_for
from duban.voice.services.common import answer_deadline, move_clue, record_clue
from duban.voice.services.triage import clue_waiting_notify
from duban.voice.store import clue_entry, index_add

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 3000
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _clean_phone(phone: str) -> str:
    digits = re.sub(r"[\s()（）]", "", phone or "").replace("+86", "")
    if not digits:
        return ""
    if not (_MOBILE.match(digits) or _LANDLINE.match(digits)):
        raise DomainError("clue_phone_invalid", "请填写正确的手机号码或固定电话（如 13812345678 或 0851-12345678）。")
    return digits.replace("-", "")


def clue_submit(*, category: str, description: str, place_unit_id: int | None = None, place_text: str = "",
                name: str = "", phone: str = "", photos: list[tuple[str, bytes]] | None = None,
                address: str) -> Clue:
    """A citizen sends a clue. The address and phone are counted first (abuse limits), then the clue is
    checked and written in one transaction. Returns the clue; its `code` is the sender's key."""
    phone = _clean_phone(phone)
    limits.admit_submission(address=address, phone=phone)
    return _clue_create(category=category, description=description, place_unit_id=place_unit_id,
                        place_text=place_text, name=name, phone=phone, photos=photos or [])


@transaction.atomic
def _clue_create(*, category, description, place_unit_id, place_text, name, phone, photos) -> Clue:
    if category not in ClueCategory.values:
        raise DomainError("clue_category_invalid", "请选择问题类别。")
    description = require_text(description, "clue_description_required", "请描述您反映的问题。", DESCRIPTION_MAX)
    if len(description) < DESCRIPTION_MIN:
        raise DomainError("clue_description_short", f"问题描述太短，请至少写{DESCRIPTION_MIN}个字，说明时间、地点和情况。")
    place = None
    if place_unit_id:
        place = Unit.objects.filter(pk=place_unit_id, is_active=True).first()
        if place is None:
            raise DomainError("clue_place_invalid", "所选地区不存在，请重新选择。")
    place_text = (place_text or "").strip()
    if len(place_text) > 200:
        raise DomainError("clue_place_too_long", "具体地点不超过200字。")
    if place is None and not place_text:
        raise DomainError("clue_place_required", "请选择所在地区，或填写具体地点。")
    name = (name or "").strip()
    if len(name) > 30:
        raise DomainError("clue_name_too_long", "姓名不超过30字。")
    if len(photos) > settings.DUBAN_PHOTO_MAX_COUNT:
        raise DomainError("clue_photos_too_many", f"最多上传{settings.DUBAN_PHOTO_MAX_COUNT}张照片。")
    cleaned = [photo_clean(n, c) for n, c in photos]
    office = office_for(place)
    while True:
        code = _new_code()
        if not Clue.objects.filter(code=code).exists():
            break
    clue = Clue.objects.create(
        code=code, category=category, place_unit=place, place_text=place_text, description=description,
        office=office, submitted_at=clock.now(), contact_name_sealed=seal(name),
        contact_phone_sealed=seal(phone), phone_key=keyed_hash("phone", phone) if phone else "",
    )
    for photo in cleaned:
        CluePhoto.objects.create(clue=clue, file=ContentFile(photo.content, name=photo.name), width=photo.width,
                                 height=photo.height, size=len(photo.content), sha256=photo.sha256)
    _index(clue)
    record_clue(actor=None, verb="clue.submit", clue=clue, category=category, place_unit=place and place.pk,
                photos=len(cleaned))
    return clue


def _index(clue: Clue) -> None:
    """The clue joins the similar-clue index in the same transaction, so that the next one finds it."""
    index_add(**clue_entry(clue))


@transaction.atomic
def clue_rate(*, clue: Clue, rating: str, comment: str = "") -> Clue:
    """评价 by the sender (who holds the code). 不满意 on the first answer reopens the clue once (重办);
    any rating of the second answer, and a satisfied one of the first, closes it (办结)."""
    from duban.supervision.services.tasks import task_redo

    clue = lock(Clue, clue.pk, "clue")
    if clue.state != ClueState.ANSWERED:
        raise DomainError("clue_not_answered", "该线索尚未答复或已评价，暂不能评价。")
    if rating not in Rating.values:
        raise DomainError("clue_rating_invalid", "请选择满意、基本满意或不满意。")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise DomainError("clue_rating_comment_too_long", "意见不超过1000字。")
    if rating == Rating.UNSATISFIED and not comment and clue.round == 1:
        raise DomainError("clue_rating_reason_required", "请说明不满意的原因，以便重新办理。")
    answered_by = ClueReply.objects.filter(clue=clue, round=clue.round).values_list("unit_id", flat=True).first()
    entry = ClueRating.objects.create(clue=clue, round=clue.round, rating=rating, comment=comment,
                                      created_at=clock.now(), unit_id=answered_by)
    clue.rating = rating
    reopened = rating == Rating.UNSATISFIED and clue.round == 1
    if reopened:
        move_clue(clue, ClueState.REOPENED)
        clue.round = 2
        clue.deadline = answer_deadline(clock.today())
        clue.answered_at = None
    else:
        move_clue(clue, ClueState.CLOSED)
        clue.closed_at = clock.now()
    save_versioned(clue, ["state", "rating", "round", "deadline", "answered_at", "closed_at"], "clue")
    record_clue(actor=None, verb="clue.rate", clue=clue, rating=rating, round=entry.round, reopened=reopened)
    if reopened and clue.task_id is not None:
        reason = f"群众对答复不满意：{comment}"
        task = Task.objects.get(pk=clue.task_id)
        if clue.owns_task and task.state not in (TaskState.DRAFT, TaskState.CANCELLED):
            task_redo(actor=None, task=task, reason=reason, deadline=clue.deadline, ref_id=entry.pk,
                      verb="task.redo_by_rating")
        elif task.state not in (TaskState.DRAFT, TaskState.CANCELLED):
            # A clue joined to a larger task: the task goes on; its lead unit is asked to answer again.
            clue_waiting_notify(actor=None, clue=clue, message=reason)
        # A cancelled task has no unit left to ask: the triage office answers the reopened clue itself.
    return clue
