"""群众线索: the office's and the units' endpoints (scoped like every other), and the public's.

The public endpoints need no account. They answer whoever calls, so they follow the API's CSRF posture
by hand: a request that carries the browser's session cookie must carry the CSRF token too (as with
SessionAuth), one without cookies need not — and every unsafe public call must be JSON, which a page on
another site cannot send without a CORS preflight this API never grants. Abuse is held off by the
challenge (duban.voice.limits) and per-address windows; a refusal for flooding is 429 with Retry-After.
"""

import base64
import binascii

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from ninja import Query, Router, Status
from ninja.errors import HttpError

from duban.api.clue_schemas import (
    ChallengeOut,
    ClueAnswerIn,
    ClueAttachIn,
    ClueDeclineIn,
    ClueForwardIn,
    ClueMergeIn,
    ClueOut,
    CodeIn,
    ContactOut,
    PublicClueCreatedOut,
    PublicClueIn,
    PublicClueOut,
    PublicRateIn,
)
from duban.api.common import Page, PageIn, address, caller, filters_of, paged
from duban.api.errors import ERRORS, ErrorOut
from duban.api.schemas import Id, text
from duban.core.errors import DomainError
from duban.org.selectors import get_one
from duban.supervision import selectors as task_selectors
from duban.voice import limits
from duban.voice import selectors as sel
from duban.voice import services as s
from duban.voice.models import Clue, ClueRating, ClueReply, ClueState

router = Router(tags=["群众线索"])

NO_STORE = "no-store"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
PUBLIC_ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut,
                 503: ErrorOut}


class ClueFilters(PageIn):
    state: text(20) | None = None  # a state, or "open" (受理、转办、重办中)
    category: text(20) | None = None
    q: text(100) | None = None


def _with_parts(qs: QuerySet[Clue]) -> QuerySet[Clue]:
    """What ClueOut reads, in a fixed number of queries whatever the page holds."""
    return qs.select_related("office", "place_unit", "task").annotate(
        photo_count=Count("photos", distinct=True)).prefetch_related(
        Prefetch("replies", queryset=ClueReply.objects.select_related("unit").order_by("round")),
        Prefetch("ratings", queryset=ClueRating.objects.order_by("round")))


def _clue(user, pk: int) -> Clue:
    """One clue in the caller's scope (404 outside it)."""
    return get_one(_with_parts(sel.clue_list_for(user=user)), pk, "clue")


@router.get("/clues", response={200: Page[ClueOut], **ERRORS}, operation_id="clue_list")
def clue_list(request, params: Query[ClueFilters]):
    """The clues the caller may see: those triaged in their office's subtree, or behind a task they follow
    or their unit was assigned. Never the sender's name or phone."""
    return paged(_with_parts(sel.clue_list_for(user=caller(request), filters=filters_of(params))), params)


@router.get("/clues/{clue_id}", response={200: ClueOut, **ERRORS}, operation_id="clue_get")
def clue_get(request, clue_id: Id):
    return _clue(caller(request), clue_id)


@router.post("/clues/{clue_id}/forward", response={200: ClueOut, **ERRORS}, operation_id="clue_forward")
def clue_forward(request, clue_id: Id, body: ClueForwardIn):
    """转办: a new task of decision kind 群众线索 for the units (the first leads). The triage office only."""
    user = caller(request)
    with transaction.atomic():
        s.clue_forward(actor=user, clue=sel.clue_get_for(user=user, id=clue_id), unit_ids=body.unit_ids,
                       title=body.title, requirements=body.requirements, deadline=body.deadline,
                       expected_version=body.version)
        return _clue(user, clue_id)


@router.post("/clues/{clue_id}/attach", response={200: ClueOut, **ERRORS}, operation_id="clue_attach")
def clue_attach(request, clue_id: Id, body: ClueAttachIn):
    """并入已有事项: a task the office already supervises; its lead unit answers the sender."""
    user = caller(request)
    clue = sel.clue_get_for(user=user, id=clue_id)
    task = task_selectors.task_get_for(user=user, id=body.task_id)
    with transaction.atomic():
        s.clue_attach(actor=user, clue=clue, task=task, expected_version=body.version)
        return _clue(user, clue_id)


@router.post("/clues/{clue_id}/merge", response={200: ClueOut, **ERRORS}, operation_id="clue_merge")
def clue_merge(request, clue_id: Id, body: ClueMergeIn):
    """合并: the same matter as an earlier clue of the office, handled there."""
    user = caller(request)
    clue = sel.clue_get_for(user=user, id=clue_id)
    into = sel.clue_get_for(user=user, id=body.into_id)
    with transaction.atomic():
        s.clue_merge(actor=user, clue=clue, into=into, expected_version=body.version)
        return _clue(user, clue_id)


@router.post("/clues/{clue_id}/decline", response={200: ClueOut, **ERRORS}, operation_id="clue_decline")
def clue_decline(request, clue_id: Id, body: ClueDeclineIn):
    """不予受理, with a reason the sender reads by their code."""
    user = caller(request)
    with transaction.atomic():
        s.clue_decline(actor=user, clue=sel.clue_get_for(user=user, id=clue_id), reason=body.reason,
                       expected_version=body.version)
        return _clue(user, clue_id)


@router.post("/clues/{clue_id}/answer", response={200: ClueOut, **ERRORS}, operation_id="clue_answer")
def clue_answer(request, clue_id: Id, body: ClueAnswerIn):
    """答复: the lead unit of the clue's task (or the triage office). When the task was made for the clue,
    the answer is also the unit's 申请办结."""
    user = caller(request)
    with transaction.atomic():
        s.clue_answer(actor=user, clue=sel.clue_get_for(user=user, id=clue_id), text=body.text,
                      expected_version=body.version)
        return _clue(user, clue_id)


@router.post("/clues/{clue_id}/contact", response={200: ContactOut, **ERRORS}, operation_id="clue_contact")
def clue_contact(request, clue_id: Id, response: HttpResponse):
    """The sender's name and phone, for the triage office only; each reading is recorded in the audit trail.
    A POST, so that nothing caches or prefetches it; the answer is marked no-store."""
    user = caller(request)
    response["Cache-Control"] = NO_STORE
    return s.clue_contact_reveal(actor=user, clue=sel.clue_get_for(user=user, id=clue_id))


# ---- the public ----------------------------------------------------------------------------------


class PublicCaller:
    """Lets anyone in, on the API's terms: a session cookie obliges the CSRF token, and unsafe calls are
    JSON. No `openapi_security_schema`, so the schema publishes these operations with no security."""

    def __call__(self, request):
        if request.method in SAFE_METHODS:
            return "public"
        # JSON first: the CSRF check below then reads no body (Django parses only form bodies into POST).
        if request.content_type != "application/json":
            raise DomainError("json_required", "请以JSON格式提交（Content-Type: application/json）。")
        if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
            check = CsrfViewMiddleware(lambda r: None)
            request.csrf_processing_done = False
            check.process_request(request)
            if check.process_view(request, lambda r, reason: reason, (), {}) is not None:
                raise DomainError("csrf_failed", "请求缺少有效的CSRF令牌，请刷新页面后重试。")
        return "public"


class SubmitCaller(PublicCaller):
    """The public door's submission: a body larger than any clue can be is refused (413) on its declared
    length, before anything reads it."""

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            if limits.declared_length(request) > limits.body_limit():
                raise HttpError(413, limits.too_large_message())
            # Every submission is counted before its body is read and checked: failed attempts cost too.
            limits.admit_attempt(address=address(request))
        return super().__call__(request)


PUBLIC = PublicCaller()


def _limited(response: HttpResponse, exc: limits.RateLimited):
    response["Retry-After"] = str(exc.retry_after)
    return Status(429, {"code": exc.code, "message": exc.message, "detail": exc.detail})


def _photos(body: PublicClueIn) -> list[tuple[str, bytes]]:
    photos = []
    for photo in body.photos:
        try:
            content = base64.b64decode(photo.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError("photo_unreadable", f"照片“{photo.name}”的编码有误（应为base64）。") from None
        photos.append((photo.name, content))
    return photos


def _replies(clue: Clue) -> list[dict]:
    """The published answers: one waiting for the unit head's 二级审核 is not the public's yet."""
    return [{"round": r.round, "text": r.text, "unit_name": r.unit.name, "created_at": r.published_at}
            for r in clue.replies.filter(published_at__isnull=False).select_related("unit").order_by("round")]


def public_view(clue: Clue) -> dict:
    """What the holder of the code reads: the matter, its state and the answers. Nothing of the office's
    inside (no task, no staff, no ids) and, of course, nothing of the sender.

    A merged clue shows the clue it joined as the handling of the same matter: its state and published
    answers, never its ratings (another sender's words); `ratings` is only ever the clue's own."""
    replies = _replies(clue)
    merged = None
    if clue.merged_into_id is not None:
        target = clue.merged_into
        merged = {"number": target.number, "state": target.state, "state_label": ClueState(target.state).label,
                  "replies": _replies(target)}
    return {
        "number": clue.number, "category": clue.category, "category_label": clue.get_category_display(),
        "state": clue.state, "state_label": clue.get_state_display(),
        "place_name": clue.place_unit.name if clue.place_unit_id else "", "place_text": clue.place_text,
        "description": clue.description, "submitted_at": clue.submitted_at, "deadline": clue.deadline,
        "answered_at": clue.answered_at, "closed_at": clue.closed_at, "close_reason": clue.close_reason,
        "replies": replies,
        "ratings": [{"round": r.round, "rating": r.rating, "rating_label": r.get_rating_display(),
                     "comment": r.comment, "created_at": r.created_at} for r in clue.ratings.order_by("round")],
        "may_rate": clue.state == ClueState.ANSWERED,
        "merged_into": merged,
    }


@router.get("/public/challenge", response={200: ChallengeOut, **PUBLIC_ERRORS}, operation_id="public_challenge",
            auth=PUBLIC, tags=["群众线索（公开）"])
def public_challenge(request, response: HttpResponse):
    """A question a person answers at a glance; send its token and the answer with the clue (valid 30 minutes,
    once)."""
    response["Cache-Control"] = NO_STORE
    question, token = limits.challenge_new()
    return {"question": question, "token": token}


@router.post("/public/clues", response={201: PublicClueCreatedOut, 413: ErrorOut, **PUBLIC_ERRORS},
             operation_id="public_clue_submit", auth=SubmitCaller(),
             tags=["群众线索（公开）"])
def public_clue_submit(request, body: PublicClueIn, response: HttpResponse):
    """Send a clue, anonymously or with a name and phone (seen only by the office that handles it). The answer
    holds the tracking code, shown this once. Too many from one address or phone: 429 with Retry-After;
    a body larger than the photos allowed: 413, unread."""
    response["Cache-Control"] = NO_STORE
    limits.challenge_check(body.challenge_token, body.challenge_answer)
    try:
        clue = s.clue_submit(category=body.category, description=body.description,
                             place_unit_id=body.place_unit_id, place_text=body.place_text, name=body.name,
                             phone=body.phone, photos=_photos(body), address=address(request))
    except limits.RateLimited as exc:
        return _limited(response, exc)
    return Status(201, {"code": clue.code, "number": clue.number, "state": clue.state,
                        "state_label": clue.get_state_display(), "submitted_at": clue.submitted_at})


@router.post("/public/clues/lookup", response={200: PublicClueOut, **PUBLIC_ERRORS},
             operation_id="public_clue_lookup", auth=PUBLIC, tags=["群众线索（公开）"])
def public_clue_lookup(request, body: CodeIn, response: HttpResponse):
    """The clue a tracking code names: its state, the answers and the ratings. Look-ups are counted per
    address, so that codes cannot be found by trying."""
    response["Cache-Control"] = NO_STORE
    try:
        limits.admit_lookup(address=address(request))
    except limits.RateLimited as exc:
        return _limited(response, exc)
    return public_view(sel.clue_for_code(body.code))


@router.post("/public/clues/rate", response={200: PublicClueOut, **PUBLIC_ERRORS},
             operation_id="public_clue_rate", auth=PUBLIC, tags=["群众线索（公开）"])
def public_clue_rate(request, body: PublicRateIn, response: HttpResponse):
    """评价 the answer by code: 不满意 of the first answer (with a reason) has it handled once more (重办)."""
    response["Cache-Control"] = NO_STORE
    try:
        limits.admit_lookup(address=address(request))
    except limits.RateLimited as exc:
        return _limited(response, exc)
    clue = s.clue_rate(clue=sel.clue_for_code(body.code), rating=body.rating, comment=body.comment)
    return public_view(Clue.objects.select_related("place_unit", "merged_into").get(pk=clue.pk))
