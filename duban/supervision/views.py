"""Plain endpoints of the supervision domain: the health check and evidence downloads."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404, JsonResponse
from django.views.decorators.http import require_safe

from duban.core.errors import NotFound
from duban.supervision.models import Evidence
from duban.supervision.selectors import evidence_get_for


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@login_required
@require_safe
def evidence_download(request, pk: int):
    """An evidence file, only for someone who may see its report; anyone else gets a plain 404."""
    try:
        return evidence_file_response(evidence_get_for(user=request.user, id=pk))
    except NotFound:
        raise Http404() from None


def evidence_file_response(evidence: Evidence) -> FileResponse:
    """The file of an evidence row already fetched through `evidence_get_for` (the pages and the API share it).

    Always a download under its stored name, never rendered: a file a unit uploaded
    must not run as a page of this site, nor stay in a shared cache.
    """
    try:
        handle = evidence.file.storage.open(evidence.file.name, "rb")
    except (OSError, ValueError):
        raise NotFound("evidence") from None
    response = FileResponse(handle, as_attachment=True, filename=evidence.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
