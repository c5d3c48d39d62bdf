"""Checking and re-encoding the photos residents attach to posts.

Nothing here touches the database or storage: ``prepare_photos`` turns uploads into
clean bytes in memory, so a refused photo never leaves anything behind.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
# A small file can still decode into a huge bitmap (a "decompression bomb"); refuse
# before decoding. 50 megapixels is well above any phone camera.
MAX_PIXELS = 50_000_000

# Pillow format name -> (format we save in, file extension). MPO is the JPEG variant
# some phone cameras write; it is a JPEG to the resident, and saved as a plain JPEG.
_ACCEPTED = {
    "JPEG": ("JPEG", "jpg"),
    "MPO": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "WEBP": ("WEBP", "webp"),
}
# Quality 85 keeps a roof leak readable at a fraction of a phone photo's size.
_SAVE_OPTIONS = {
    "JPEG": {"quality": 85, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 85},
}
# Only these decoders are tried, so a GIF, SVG or anything else is unidentifiable
# rather than half-accepted.
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP")


@dataclass(frozen=True)
class CleanPhoto:
    name: str
    content: bytes
    width: int
    height: int


def _label(upload: UploadedFile) -> str:
    # The resident's own file name, shortened: it only helps them find the bad one.
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
    return name[:80] or _("photo")


def _not_an_image(upload: UploadedFile) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is not a photo we can accept. Use a JPEG, PNG or WebP image.")
        % {"name": _label(upload)}
    )


def _open(upload: UploadedFile) -> Image.Image:
    upload.seek(0)
    return Image.open(upload, formats=_OPEN_FORMATS)


def _clean(upload: UploadedFile) -> CleanPhoto:
    if upload.size is None or upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(
            _("“%(name)s” is larger than %(mb)s MB.")
            % {"name": _label(upload), "mb": MAX_PHOTO_BYTES // (1024 * 1024)}
        )
    try:
        with _open(upload) as probe:
            if probe.format not in _ACCEPTED:
                raise _not_an_image(upload)
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(
                    _("“%(name)s” has too many pixels; use a photo of at most %(n)s megapixels.")
                    % {"name": _label(upload), "n": MAX_PIXELS // 1_000_000}
                )
            probe.verify()
        # verify() leaves the image unusable, so decode a second time for real.
        with _open(upload) as image:
            out_format, ext = _ACCEPTED[image.format]
            image.load()
            # Turn the picture upright as the camera meant, since the EXIF tag that
            # said how is about to be dropped.
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            if out_format == "JPEG" and image.mode != "RGB":
                image = image.convert("RGB")
            elif image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA")
            # Drop every piece of metadata (EXIF with GPS, XMP, comments): only the
            # pixels are kept.
            image.info = {}
            buffer = io.BytesIO()
            image.save(buffer, format=out_format, **_SAVE_OPTIONS[out_format])
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        # Pillow reports broken or disguised files through all of these.
        raise _not_an_image(upload) from None
    return CleanPhoto(
        name=f"{uuid.uuid4().hex}.{ext}",
        content=buffer.getvalue(),
        width=image.width,
        height=image.height,
    )


def prepare_photos(photos: Iterable[UploadedFile] | None) -> list[CleanPhoto]:
    """Check every upload and return re-encoded copies; refuse all if one is bad."""
    uploads = list(photos or ())
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(
            _("You can attach at most %(n)s photos to a post (you chose %(count)s).")
            % {"n": MAX_PHOTOS, "count": len(uploads)}
        )
    return [_clean(upload) for upload in uploads]
