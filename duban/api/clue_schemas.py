"""The shapes of 群众线索 in the API: what the office and the units read, and the much smaller public view.

Neither shape has a field for the sender: not the name, not the phone, not its keyed hash, not even whether
they gave one. The sender's contact leaves the system through `ContactOut` alone (POST /clues/{id}/contact),
which only the triage office may call and which is audited each time."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from duban.api.schemas import Date, Id, Version, text
from duban.voice.models import ClueCategory, ClueState, Rating

Category = Literal[tuple(ClueCategory.values)]
RatingIn = Literal[tuple(Rating.values)]
# The whole JSON body must stay under Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB unless configured): a few
# phone photos fit; larger ones go through the web form, which uploads them as files.
PHOTO_BASE64_MAX = 2_000_000


def _category_label(obj) -> str:
    return ClueCategory(obj.category).label


def _state_label(state: str) -> str:
    return ClueState(state).label


def _rating_label(rating: str) -> str:
    return Rating(rating).label if rating else ""


# ---- what the office and the units read ---------------------------------------------------------

class UnitRefOut(Schema):
    id: int
    name: str


class CluePlaceOut(Schema):
    unit_id: int | None
    unit_name: str
    text: str


class ClueReplyOut(Schema):
    round: int
    text: str
    unit: UnitRefOut
    created_at: dt.datetime
    published: bool = Field(description="false：答复已提交，待单位负责人审核（二级审核）后才向群众公开")
    published_at: dt.datetime | None

    @staticmethod
    def resolve_published(obj) -> bool:
        return obj.published_at is not None


class ClueRatingOut(Schema):
    round: int
    rating: str
    rating_label: str
    comment: str
    created_at: dt.datetime

    @staticmethod
    def resolve_rating_label(obj) -> str:
        return _rating_label(obj.rating)


class ClueOut(Schema):
    id: int
    number: str = Field(description="受理编号（内部流水号，不是群众的查询码）")
    category: str
    category_label: str
    state: str
    state_label: str
    round: int
    place: CluePlaceOut
    description: str
    office: UnitRefOut = Field(description="受理线索的督查室")
    task_id: int | None
    task_code: str | None
    owns_task: bool = Field(description="true：为本线索专门交办的事项，其办结即答复")
    merged_into_id: int | None
    close_reason: str
    deadline: dt.date | None
    submitted_at: dt.datetime
    routed_at: dt.datetime | None
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None
    rating: str
    photo_count: int
    replies: list[ClueReplyOut]
    ratings: list[ClueRatingOut]
    version: int

    @staticmethod
    def resolve_category_label(obj) -> str:
        return _category_label(obj)

    @staticmethod
    def resolve_state_label(obj) -> str:
        return _state_label(obj.state)

    @staticmethod
    def resolve_place(obj) -> dict:
        unit = obj.place_unit
        return {"unit_id": obj.place_unit_id, "unit_name": unit.name if unit else "", "text": obj.place_text}

    @staticmethod
    def resolve_task_code(obj) -> str | None:
        return obj.task.code if obj.task_id else None

    @staticmethod
    def resolve_photo_count(obj) -> int:
        # Lists annotate it (one query for the page); a single clue counts its own.
        count = getattr(obj, "photo_count", None)
        return count if count is not None else obj.photos.count()

    @staticmethod
    def resolve_replies(obj):
        return list(obj.replies.all())

    @staticmethod
    def resolve_ratings(obj):
        return list(obj.ratings.all())


class ContactOut(Schema):
    """Who sent the clue: read by the triage office only, each reading recorded in the audit trail."""

    name: str
    phone: str
    phone_masked: str


class ClueForwardIn(Schema):
    version: Version
    unit_ids: list[Id] = Field(..., min_length=1, max_length=20, description="承办单位，第一个为牵头单位（属地优先）")
    title: text(300) = ""
    requirements: text(5000) = ""
    deadline: Date | None = None


class ClueAttachIn(Schema):
    version: Version
    task_id: Id


class ClueMergeIn(Schema):
    version: Version
    into_id: Id


class ClueDeclineIn(Schema):
    version: Version
    reason: text(1000, 1)


class ClueAnswerIn(Schema):
    version: Version
    text: text(5000, 1)


# ---- the public ----------------------------------------------------------------------------------

class ChallengeOut(Schema):
    question: str
    token: str


class PhotoIn(Schema):
    name: text(100) = "照片.jpg"
    content_base64: str = Field(..., max_length=PHOTO_BASE64_MAX,
                                description="JPG、PNG或WEBP，base64编码；整个请求不超过2.5MB，较大的照片请通过网页提交")


class PublicClueIn(Schema):
    category: Category
    description: text(3000, 1)
    place_unit_id: Id | None = None
    place_text: text(200) = ""
    name: text(30) = Field("", description="可不填（匿名反映）")
    phone: text(30) = Field("", description="可不填；填写后仅受理的督查室可见")
    photos: list[PhotoIn] = Field([], max_length=6)
    challenge_token: text(500, 1) = Field(..., description="GET /public/challenge 返回的 token")
    challenge_answer: text(10, 1)


class PublicClueCreatedOut(Schema):
    code: str = Field(description="查询码：凭此查询办理情况、评价答复，请妥善保存，系统不会再次显示")
    number: str
    state: str
    state_label: str
    submitted_at: dt.datetime


class CodeIn(Schema):
    code: text(30, 1)


class PublicRateIn(Schema):
    code: text(30, 1)
    rating: RatingIn
    comment: text(1000) = ""


class PublicReplyOut(Schema):
    round: int
    text: str
    unit_name: str
    created_at: dt.datetime


class PublicRatingOut(Schema):
    round: int
    rating: str
    rating_label: str
    comment: str
    created_at: dt.datetime


class PublicMergedOut(Schema):
    """The earlier clue this one was merged into: the sender follows its handling here."""

    number: str
    state: str
    state_label: str
    replies: list[PublicReplyOut]


class PublicClueOut(Schema):
    number: str
    category: str
    category_label: str
    state: str
    state_label: str
    place_name: str
    place_text: str
    description: str
    submitted_at: dt.datetime
    deadline: dt.date | None
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None
    close_reason: str
    replies: list[PublicReplyOut]
    ratings: list[PublicRatingOut]
    may_rate: bool
    merged_into: PublicMergedOut | None
