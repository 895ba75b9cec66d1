"""The public portal of 群众线索: no account, a phone in hand. Send a clue, keep its code, follow it, rate the answer.

The tracking code is the sender's only key, so it never travels in a URL (access logs, Referer headers,
browser history): the track form posts it, the server keeps it in the session and shows the clue at
/voice/status. The sender's name and phone go into the clue sealed and are never shown on this side again.
"""

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from duban.core.errors import DomainError, NotFound
from duban.org.models import UnitLevel
from duban.security.client_ip import client_ip
from duban.voice import limits
from duban.voice.models import ClueCategory, CluePhoto, ClueState, Rating
from duban.voice.routing import place_choices
from duban.voice.selectors import clue_for_code
from duban.voice.services import clue_rate, clue_submit
from duban.web.views.common import photo_response

SESSION_CODE = "voice_code"  # the clue this browser follows
SESSION_DONE = "voice_done"  # the code just issued, shown once on the thank-you page

SUBMIT_ERROR_FIELDS = {
    "clue_category_invalid": "category",
    "clue_description_required": "description",
    "clue_description_required_too_long": "description",
    "clue_description_short": "description",
    "clue_place_invalid": "place",
    "clue_place_required": "place",
    "clue_place_too_long": "place_text",
    "clue_name_too_long": "name",
    "clue_phone_invalid": "phone",
    "clue_photos_too_many": "photos",
    "photo_empty": "photos",
    "photo_too_large": "photos",
    "photo_type_rejected": "photos",
    "photo_too_many_pixels": "photos",
    "photo_unreadable": "photos",
    "challenge_expired": "challenge_answer",
    "challenge_invalid": "challenge_answer",
    "challenge_wrong": "challenge_answer",
    "challenge_used": "challenge_answer",
}

RATING_ERROR_FIELDS = {
    "clue_rating_invalid": "rating",
    "clue_rating_reason_required": "comment",
    "clue_rating_comment_too_long": "comment",
}


# ---- forms ------------------------------------------------------------------------------------------


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input (a phone's gallery picker)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > settings.DUBAN_PHOTO_MAX_COUNT:
            raise forms.ValidationError(f"最多上传{settings.DUBAN_PHOTO_MAX_COUNT}张照片。")
        limit = settings.DUBAN_PHOTO_MAX_BYTES
        for f in files:
            if f.size > limit:
                raise forms.ValidationError(f"照片“{f.name}”超过{limit // (1024 * 1024)}MB，请压缩后再上传。")
        return files


def place_groups() -> list:
    """The place select: the prefecture (or whatever stands above the counties) first, then one group a
    county — the county itself, then its townships."""
    units = place_choices()
    top, groups, by_path = [], [], {}
    for unit in units:
        if unit.level == UnitLevel.COUNTY:
            by_path[unit.path] = [(str(unit.pk), f"{unit.name}（县城及全县）")]
            groups.append((unit.name, by_path[unit.path]))
            continue
        county = next((p for p in by_path if unit.path.startswith(p)), None)
        if county is None:
            top.append((str(unit.pk), unit.name))
        else:
            by_path[county].append((str(unit.pk), unit.name))
    return [("", "请选择所在地区"), *top, *groups]


class ClueForm(forms.Form):
    category = forms.ChoiceField(label="问题类别", choices=[("", "请选择问题类别"), *ClueCategory.choices],
                                 error_messages={"required": "请选择问题类别。",
                                                 "invalid_choice": "请从列表中选择问题类别。"})
    place = forms.ChoiceField(label="所在地区", required=False,
                              error_messages={"invalid_choice": "所选地区不存在，请重新选择。"},
                              help_text="问题发生在哪个县（市）、乡镇（街道）。不清楚的可以不选，但请填写具体地点。")
    place_text = forms.CharField(label="具体地点", required=False, max_length=200,
                                 error_messages={"max_length": "具体地点不超过200字。"},
                                 widget=forms.TextInput(attrs={"placeholder": "如：城关镇幸福小区5栋门前"}))
    description = forms.CharField(
        label="反映内容", min_length=10, max_length=3000,
        widget=forms.Textarea(attrs={"rows": 7, "placeholder": "请写明时间、地点、涉及的单位或政策，以及具体情况。"}),
        error_messages={"required": "请描述您反映的问题。",
                        "min_length": "问题描述太短，请至少写10个字，说明时间、地点和情况。",
                        "max_length": "反映内容不超过3000字。"})
    photos = MultiplePhotoField(label="照片", required=False,
                                help_text="可选，最多6张，JPG、PNG 或 WEBP 格式。照片中的拍摄位置等信息会被清除。")
    name = forms.CharField(label="姓名（可不填）", required=False, max_length=30,
                           error_messages={"max_length": "姓名不超过30字。"},
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label="联系电话（可不填）", required=False, max_length=20,
                            error_messages={"max_length": "请填写正确的手机号码或固定电话。"},
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}))
    challenge_token = forms.CharField(widget=forms.HiddenInput, required=False)
    challenge_answer = forms.CharField(label="验证题", max_length=10,
                                       error_messages={"required": "请回答验证题。"},
                                       widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    # A field people never see (hidden by the stylesheet): only a machine filling every box fills it.
    website = forms.CharField(label="请勿填写此项", required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def __init__(self, *args, question: str, token: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = place_groups()
        self.fields["challenge_answer"].label = f"验证题：{question}"
        self.fields["challenge_answer"].help_text = "请填写阿拉伯数字，用于防止机器批量提交。"
        self.initial["challenge_token"] = token
        self.next_token = token

    def renew_challenge(self) -> None:
        """Each challenge answers once: a form shown again carries a new one and an empty answer."""
        if self.is_bound:
            self.data = self.data.copy()
            self.data["challenge_token"] = self.next_token
            self.data["challenge_answer"] = ""

    def contact_fields(self):
        return [self["name"], self["phone"]]

    def main_fields(self):
        return [self[n] for n in ("category", "place", "place_text", "description", "photos")]


class TrackForm(forms.Form):
    code = forms.CharField(label="查询码", max_length=30,
                           error_messages={"required": "请输入查询码。", "max_length": "查询码不正确。"},
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "placeholder": "如：ABCD-EFGH-JKMN", "spellcheck": "false"}))


class RatingForm(forms.Form):
    rating = forms.ChoiceField(label="您对答复是否满意", choices=Rating.choices, widget=forms.RadioSelect,
                               error_messages={"required": "请选择满意、基本满意或不满意。",
                                               "invalid_choice": "请选择满意、基本满意或不满意。"})
    comment = forms.CharField(label="意见（选择不满意时必填）", required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              error_messages={"max_length": "意见不超过1000字。"})


# ---- helpers ----------------------------------------------------------------------------------------


def _public(response):
    # Pages about one person's clue must not stay in a shared cache or the back-button cache.
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = "same-origin"
    return response


def _limited(request, error: limits.RateLimited):
    response = render(request, "web/voice/limited.html", {"message": error.message}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return _public(response)


def _error_into(form: forms.Form, error: DomainError, fields: dict[str, str]) -> None:
    field = fields.get(error.code)
    form.add_error(field if field in form.fields else None, error.message)


def _followed(request):
    """The clue whose code this session holds, or None."""
    code = request.session.get(SESSION_CODE)
    if not code:
        return None
    try:
        return clue_for_code(code)
    except NotFound:
        request.session.pop(SESSION_CODE, None)
        return None


# ---- the step line ----------------------------------------------------------------------------------

FIRST_ROUND = ["受理", "转办", "办理", "答复", "评价", "办结"]
SECOND_ROUND = ["受理", "转办", "办理", "答复", "评价", "重办", "答复", "评价", "办结"]
# Where each state stands on the line: the index of the step now under way (all before it are done).
POSITION = {
    (1, ClueState.RECEIVED): 0, (1, ClueState.FORWARDED): 2, (1, ClueState.ANSWERED): 4,
    (1, ClueState.CLOSED): 6,
    (2, ClueState.REOPENED): 5, (2, ClueState.ANSWERED): 7, (2, ClueState.CLOSED): 9,
}


def steps_of(clue) -> list[dict]:
    """The clue's path as a line of steps, each done, current or to come."""
    if clue.state == ClueState.MERGED:
        return [{"label": "受理", "status": "done"}, {"label": "已合并", "status": "done"}]
    if clue.state == ClueState.DECLINED:
        return [{"label": "受理", "status": "done"}, {"label": "不予受理", "status": "done"}]
    labels = SECOND_ROUND if clue.round > 1 else FIRST_ROUND
    at = POSITION.get((clue.round, clue.state), 0)
    return [{"label": label, "status": "done" if i < at else "current" if i == at else "todo"}
            for i, label in enumerate(labels)]


def published_replies(clue) -> list:
    """The answers the sender may read: those the unit let go out (an answer waiting for the unit head's
    二级审核 is not theirs yet)."""
    return list(clue.replies.filter(published_at__isnull=False).select_related("unit").order_by("round", "id"))


def _status_context(clue) -> dict:
    """What the sender may read about their clue: never the contact, never the office's internals.

    A merged clue's sender follows the matter's handling through the clue it joined: its state and its
    published answers, which answer the same matter. Never that clue's ratings: they are another sender's
    words (a comment may name them), so "您的评价" is only ever the clue's own."""
    merged = clue.merged_into if clue.state == ClueState.MERGED and clue.merged_into_id else None
    shown = merged or clue
    replies = published_replies(shown)
    ratings = {} if merged is not None else {r.round: r for r in clue.ratings.order_by("round")}
    for reply in replies:
        reply.rated = ratings.get(reply.round)
    return {
        "clue": clue,
        "shown": shown,
        "merged": merged,
        "steps": steps_of(shown),
        "replies": replies,
        "photos": list(clue.photos.order_by("id")),
        "may_rate": clue.state == ClueState.ANSWERED,
    }


# ---- pages ------------------------------------------------------------------------------------------


@require_safe
def home(request):
    return _public(render(request, "web/voice/home.html"))


@csrf_exempt  # the token is checked by `_new` below, once the attempt is counted and its size allowed
@sensitive_post_parameters("name", "phone")
@require_http_methods(["GET", "POST"])
def new(request):
    """The form. A POST is counted and its declared size checked before anything reads its body (the CSRF
    check included): a refused client costs a row, not six photos parsed to temporary files."""
    if request.method == "POST":
        try:
            limits.admit_attempt(address=client_ip(request))
        except limits.RateLimited as error:
            return _limited(request, error)
        if limits.declared_length(request) > limits.body_limit():
            response = render(request, "web/voice/limited.html",
                              {"heading": "提交的内容过大", "message": limits.too_large_message()}, status=413)
            return _public(response)
    return _new(request)


@csrf_protect
def _new(request):
    question, token = limits.challenge_new()
    if request.method != "POST":
        form = ClueForm(question=question, token=token)
        return _public(render(request, "web/voice/new.html", {"form": form}))
    posted_token = request.POST.get("challenge_token", "")
    posted_answer = request.POST.get("challenge_answer", "")
    form = ClueForm(request.POST, request.FILES, question=question, token=token)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["website"]:
                raise DomainError("clue_honeypot", "提交未成功，请刷新页面后重新填写。")
            limits.challenge_check(posted_token, posted_answer)
            clue = clue_submit(
                category=data["category"], description=data["description"],
                place_unit_id=int(data["place"]) if data["place"] else None, place_text=data["place_text"],
                name=data["name"], phone=data["phone"], address=client_ip(request),
                photos=[(f.name, f.read()) for f in data["photos"]])
        except limits.RateLimited as error:
            return _limited(request, error)
        except DomainError as error:
            _error_into(form, error, SUBMIT_ERROR_FIELDS)
        else:
            request.session[SESSION_DONE] = clue.code
            request.session[SESSION_CODE] = clue.code
            return redirect(reverse("web:voice_done"))
    form.renew_challenge()
    return _public(render(request, "web/voice/new.html", {"form": form}, status=400))


@require_safe
def done(request):
    code = request.session.get(SESSION_DONE)
    if not code:
        return redirect(reverse("web:voice_track"))
    return _public(render(request, "web/voice/done.html", {"code": code}))


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def track(request):
    if request.method != "POST":
        return _public(render(request, "web/voice/track.html", {"form": TrackForm()}))
    form = TrackForm(request.POST)
    if form.is_valid():
        try:
            limits.admit_lookup(address=client_ip(request))
            clue = clue_for_code(form.cleaned_data["code"])
        except limits.RateLimited as error:
            return _limited(request, error)
        except NotFound:
            form.add_error("code", "查询码不正确。")
        else:
            request.session[SESSION_CODE] = clue.code
            request.session.pop(SESSION_DONE, None)
            return redirect(reverse("web:voice_status"))
    return _public(render(request, "web/voice/track.html", {"form": form}, status=400))


@sensitive_post_parameters("comment")
@require_http_methods(["GET", "POST"])
def status(request):
    clue = _followed(request)
    if clue is None:
        return redirect(reverse("web:voice_track"))
    form = RatingForm(request.POST if request.method == "POST" else None)
    code = 200
    if request.method == "POST":
        code = 400
        if form.is_valid():
            try:
                clue_rate(clue=clue, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"])
            except DomainError as error:
                _error_into(form, error, RATING_ERROR_FIELDS)
            else:
                return redirect(reverse("web:voice_status") + "#answers")
        clue = clue_for_code(clue.code)
    context = _status_context(clue)
    context["form"] = form
    return _public(render(request, "web/voice/status.html", context, status=code))


@require_http_methods(["POST"])
def leave(request):
    """Forget the followed clue on this device (a shared phone or a library computer)."""
    request.session.pop(SESSION_CODE, None)
    request.session.pop(SESSION_DONE, None)
    return redirect(reverse("web:voice_home"))


@require_safe
def photo(request, pk: int):
    """A photo of the clue this session follows; any other is a plain 404."""
    clue = _followed(request)
    item = CluePhoto.objects.filter(pk=pk, clue_id=clue.pk).first() if clue is not None else None
    if item is None:
        raise Http404()
    return _public(photo_response(item.file))


urlpatterns = [
    path("voice/", home, name="voice_home"),
    path("voice/new", new, name="voice_new"),
    path("voice/done", done, name="voice_done"),
    path("voice/track", track, name="voice_track"),
    path("voice/status", status, name="voice_status"),
    path("voice/leave", leave, name="voice_leave"),
    path("voice/photo/<int:pk>", photo, name="voice_photo"),
]
