"""The few template helpers every page uses: lights (colour, shape and word), states, dates, URLs."""

import datetime as dt

from django import template
from django.utils.html import format_html

from duban.supervision.models import Light

register = template.Library()

LIGHT_LABELS = dict(Light.choices)
LIGHT_LABELS[Light.NONE] = "未亮灯"


@register.simple_tag
def light(value: str | None):
    """A light as shape and word as well as colour: ■ 红灯, ▲ 黄灯, ● 绿灯, ✓ 办结."""
    value = value or Light.NONE
    return format_html('<span class="light light-{}"><i aria-hidden="true"></i>{}</span>', value,
                       LIGHT_LABELS.get(value, value))


@register.filter
def cn_date(value) -> str:
    if not value:
        return "—"
    if isinstance(value, dt.datetime):
        from django.utils import timezone
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current URL's query string with some parameters changed (None or "" removes one); page resets."""
    params = context["request"].GET.copy()
    if "page" not in changes:
        params.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
