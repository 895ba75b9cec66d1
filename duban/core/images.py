"""Photos from outside (a citizen's clue, an inspector's phone): checked, then re-encoded from their pixels.

Nothing of the uploaded file is kept but the picture: no EXIF (the phone's GPS position, its owner's name, the
camera's serial), no ICC or XMP blocks, no trailing bytes after the image, no second frame. The orientation the
phone recorded is applied to the pixels first, so the picture still stands the right way up."""

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from duban.core.errors import DomainError

ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; larger is refused before it is decoded
LONG_SIDE = 2560  # photos are kept at most this size on their long side


@dataclass(frozen=True)
class CleanPhoto:
    name: str  # the sender's file name, cleaned, with the stored format's suffix
    content: bytes
    width: int
    height: int
    sha256: str


def photo_clean(name: str, content: bytes) -> CleanPhoto:
    """Check one uploaded photo and return it re-encoded (JPEG, or PNG when it has transparency)."""
    stem = PurePosixPath(name.replace("\\", "/")).stem.strip()[:80] or "照片"
    if not content:
        raise DomainError("photo_empty", f"照片“{name}”是空文件。")
    if len(content) > settings.DUBAN_PHOTO_MAX_BYTES:
        limit = settings.DUBAN_PHOTO_MAX_BYTES // (1024 * 1024)
        raise DomainError("photo_too_large", f"照片“{name}”超过{limit}MB，请压缩后再上传。")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                kind = probe.format
                if kind not in ACCEPTED_FORMATS:
                    raise DomainError("photo_type_rejected", f"“{name}”不是JPG、PNG或WEBP格式的照片。")
                if probe.width * probe.height > MAX_PIXELS:
                    raise DomainError("photo_too_many_pixels", f"照片“{name}”的像素过多，请缩小后再上传。")
                probe.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                picture = ImageOps.exif_transpose(image)
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise DomainError("photo_unreadable", f"“{name}”不是可以识别的照片文件。") from exc
    picture.thumbnail((LONG_SIDE, LONG_SIDE))
    transparent = picture.mode in ("RGBA", "LA") or (picture.mode == "P" and "transparency" in picture.info)
    out = io.BytesIO()
    if transparent:
        clean = picture.convert("RGBA")
        clean.save(out, format="PNG", optimize=True)
        suffix = "png"
    else:
        clean = picture.convert("RGB")
        clean.save(out, format="JPEG", quality=85, optimize=True)
        suffix = "jpg"
    data = out.getvalue()
    return CleanPhoto(name=f"{stem}.{suffix}", content=data, width=clean.width, height=clean.height,
                      sha256=hashlib.sha256(data).hexdigest())
