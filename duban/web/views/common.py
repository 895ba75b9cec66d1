"""What every page view shares: who may open a page, lists in pages, filters from the URL, and turning a
domain error into a message beside the field it concerns."""

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from duban.core.errors import DomainError, NotFound
from duban.org.models import ADMIN_ROLES

PAGE_SIZE = 50


def is_htmx(request) -> bool:
    """An htmx request for a fragment (a history restore asks for the whole page)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def _finish(response):
    # A page and its fragment share a URL; business content stays out of shared and back-button caches.
    patch_vary_headers(response, ["HX-Request"])
    response.setdefault("Cache-Control", "private, no-store")
    return response


def business_page(view: Callable) -> Callable:
    """A page of business content: signed in with a business role; a row out of scope is a plain 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            if request.headers.get("HX-Request") == "true":
                # A redirect would be followed inside the request and the login page swapped into a fragment.
                target = redirect_to_login(request.headers.get("HX-Current-URL") or request.get_full_path())
                return HttpResponse(headers={"HX-Redirect": target["Location"]})
            return redirect_to_login(request.get_full_path())
        if not (user.roles - ADMIN_ROLES):
            return render(request, "403.html", {"reason": "管理员账号不查看业务内容（三员分立）。请使用业务账号登录。"},
                          status=403)
        try:
            return _finish(view(request, *args, **kwargs))
        except NotFound:
            raise Http404() from None

    return wrapped


def url_filters(request, keys: tuple[str, ...]) -> dict[str, str]:
    """The list filters a URL carries (the view is bookmarkable and shareable): non-empty values of `keys`."""
    return {k: v.strip() for k in keys if (v := request.GET.get(k, "")) and v.strip()}


def page_of(request, queryset, per_page: int = PAGE_SIZE):
    """One page of a list: a COUNT and one slice, whatever the list's size."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def error_into_form(form: forms.Form, error: DomainError, fields: dict[str, str] | None = None) -> None:
    """Put a domain error beside the field it concerns (by its code), else at the top of the form."""
    field = (fields or {}).get(error.code)
    if field is None and error.detail.get("field") in form.fields:
        field = error.detail["field"]
    form.add_error(field if field in form.fields else None, error.message)


def photo_response(file) -> FileResponse:
    """A stored photo (re-encoded on arrival, so only pixels: duban.core.images), shown in an <img>, never run
    as a page, never kept by a shared cache. `file` is the photo row's FileField."""
    try:
        handle = file.storage.open(file.name, "rb")
    except (OSError, ValueError):
        raise Http404() from None
    kind = "image/png" if file.name.endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=kind, filename=file.name.rsplit("/", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
