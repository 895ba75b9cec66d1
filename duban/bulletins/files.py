"""A bulletin's stored file as a download (the pages and the API share it)."""

from django.http import FileResponse

from duban.bulletins.models import Bulletin
from duban.core.errors import NotFound

KINDS = ("docx", "pdf")


def bulletin_file_response(bulletin: Bulletin, kind: str) -> FileResponse:
    """The .docx or PDF of a bulletin already fetched through `bulletin_get_for`; NotFound when it has none.

    Always a download, never rendered, and kept out of shared caches.
    """
    field = bulletin.docx if kind == "docx" else bulletin.pdf if kind == "pdf" else None
    if not field:
        raise NotFound("bulletin")
    try:
        handle = field.storage.open(field.name, "rb")
    except (OSError, ValueError):
        raise NotFound("bulletin") from None
    response = FileResponse(handle, as_attachment=True, filename=f"{bulletin.title}（第{bulletin.version}版）.{kind}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
