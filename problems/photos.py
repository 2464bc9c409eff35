"""Photos with a report: only real images, re-encoded so that nothing but the pixels is kept.

A phone photo carries EXIF: where it was taken (GPS), when, with which device. Re-encoding
the decoded pixels into a fresh image drops all of it (EXIF, XMP, ICC, comments); the EXIF
orientation is applied first, so the photo still stands the right way up.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from problems.services import CleanPhoto

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a decompression bomb is refused before its pixels are decoded
MAX_SIDE = 2000  # the long side after downscaling
JPEG_QUALITY = 85
WEBP_QUALITY = 85
# The decoded format (never the file name or the browser's content type) -> stored extension.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
ACCEPT = "image/jpeg,image/png,image/webp"

NOT_AN_IMAGE = _("“%(name)s” is not a photo we can use. Choose a JPEG, PNG or WebP photo.")
TOO_LARGE = _("“%(name)s” is too large (%(size)s). A photo can be at most %(max)s.")
TOO_MANY_PIXELS = _("“%(name)s” has too many pixels. A photo can be at most %(max)s megapixels.")
TOO_MANY_PHOTOS = _("Choose at most %(max)s photos.")


def _name(upload: Any) -> str:
    return Truncator(getattr(upload, "name", "") or "").chars(60) or str(_("the photo"))


def photo_clean(upload: Any) -> CleanPhoto:
    """Check an uploaded file and re-encode it; ValidationError says what is wrong."""
    name = _name(upload)
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise ValidationError(
            TOO_LARGE,
            code="too_large",
            params={
                "name": name,
                "size": filesizeformat(size),
                "max": filesizeformat(MAX_PHOTO_BYTES),
            },
        )
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=list(FORMATS)) as image:
                if image.format not in FORMATS:
                    raise ValidationError(NOT_AN_IMAGE, code="not_an_image", params={"name": name})
                if image.width * image.height > MAX_PHOTO_PIXELS:
                    raise ValidationError(
                        TOO_MANY_PIXELS,
                        code="too_many_pixels",
                        params={"name": name, "max": MAX_PHOTO_PIXELS // 1_000_000},
                    )
                return _reencode(image, image.format)
    except ValidationError:
        raise
    except (
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ValidationError(
            TOO_MANY_PIXELS,
            code="too_many_pixels",
            params={"name": name, "max": MAX_PHOTO_PIXELS // 1_000_000},
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # Not an image, a truncated or corrupt one, or one Pillow cannot decode.
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image", params={"name": name}) from exc


def photos_clean(uploads: Sequence[Any]) -> list[CleanPhoto]:
    """All photos of one report, or a ValidationError listing every one that is refused."""
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(TOO_MANY_PHOTOS, code="too_many", params={"max": MAX_PHOTOS})
    cleaned: list[CleanPhoto] = []
    errors: list[ValidationError] = []
    for upload in uploads:
        try:
            cleaned.append(photo_clean(upload))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return cleaned


_STRICT_DECODING = threading.Lock()


def _reencode(image: Image.Image, source_format: str) -> CleanPhoto:
    if source_format == "JPEG":
        # Decode at a smaller scale straight away when the photo is far larger than we keep.
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))
    with _STRICT_DECODING:
        # WeasyPrint turns on Pillow's global "load truncated images" when it is imported
        # (the minutes and invite sheets); a half-uploaded photo must still be refused.
        loose, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = loose
    upright = ImageOps.exif_transpose(image)  # a copy; the orientation tag is applied
    pixels = _pixels_only(upright, source_format)
    pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    extension = FORMATS[source_format]
    if source_format == "JPEG":
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif source_format == "PNG":
        pixels.save(out, "PNG", optimize=True)
    else:
        pixels.save(out, "WEBP", quality=WEBP_QUALITY)
    return CleanPhoto(
        content=out.getvalue(), extension=extension, width=pixels.width, height=pixels.height
    )


def _pixels_only(image: Image.Image, source_format: str) -> Image.Image:
    """A new image with the same pixels and nothing else: no info, no EXIF, no palette tricks."""
    grey = image.mode in ("1", "L", "I", "I;16", "F")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if source_format == "JPEG":
        mode = "L" if grey else "RGB"
    elif has_alpha:
        mode = "LA" if image.mode in ("LA", "La") else "RGBA"
    else:
        mode = "L" if grey else "RGB"
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())
