"""System checks for settings that would quietly break a security promise."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_media_not_public(app_configs, **kwargs):
    """Evidence files go out only through views that check scope: never under a static directory."""
    media = settings.MEDIA_ROOT.resolve()
    static_dirs = [settings.STATIC_ROOT.resolve(), *(p.resolve() for p in settings.STATICFILES_DIRS)]
    for d in static_dirs:
        if media == d or d in media.parents or media in d.parents:
            return [Error(f"MEDIA_ROOT ({media}) overlaps the static directory {d}: evidence files would be "
                          "served without a scope check.", hint="Set DUBAN_MEDIA_ROOT outside DUBAN_STATIC_ROOT.",
                          id="duban.E001")]
    return []
