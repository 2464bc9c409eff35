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
from PIL import Image, ImageFile, UnidentifiedImageError

from problems.services import CleanPhoto

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 8 * 1024 * 1024
# A photo of a street comes from a phone or a camera: 12 million pixels is the usual phone
# photo (4032 x 3024), the largest defaults are 24 million (a 6000 x 4000 camera; an iPhone 15
# or later: 5712 x 4284 = 24.5 million). 25 million fits them all; a phone's 48/50/200-million
# "high resolution" mode is refused with a message that says to make the photo smaller.
# The cap is checked on the size in the file's header (Image.open reads only the header), so a
# file that claims more is refused before a single pixel is decoded.
# What it bounds, measured at the cap (Pillow keeps RGB as 4 bytes a pixel): a JPEG is decoded
# straight at 1/2 to 1/8 scale (draft), about 60 MB; a PNG at full size, 100 MB, plus one
# working copy while scaling down if it has transparency or a palette (Pillow premultiplies
# alpha): about 140 MB, 230 MB at worst. WebP goes through three full-size buffers inside
# Pillow, so its cap is lower: 16 million pixels (a 12-million phone photo fits), about 250 MB.
# Everything after scaling down (plain pixels, turned upright) works on the small image.
# Pillow's own bomb check (Image.MAX_IMAGE_PIXELS, 89 million) is left as it is, because
# WeasyPrint shares it; its warning is turned into a refusal below all the same.
MAX_PHOTO_PIXELS = 25_000_000
MAX_WEBP_PIXELS = 16_000_000
MAX_SIDE = 2000  # the long side after downscaling: sharp on any screen, small on disk
JPEG_QUALITY = 85
WEBP_QUALITY = 85
# The decoded format (never the file name or the browser's content type) -> stored extension.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
ACCEPT = "image/jpeg,image/png,image/webp"

NOT_AN_IMAGE = _("“%(name)s” is not a photo we can use. Choose a JPEG, PNG or WebP photo.")
TOO_LARGE = _("“%(name)s” is too large (%(size)s). A photo can be at most %(max)s.")
TOO_MANY_PIXELS = _(
    "“%(name)s” has too many pixels: a photo can have at most %(max)s million pixels. "
    "Make the photo smaller and try again."
)
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
                most = MAX_WEBP_PIXELS if image.format == "WEBP" else MAX_PHOTO_PIXELS
                if image.width * image.height > most:
                    raise _too_many_pixels(name, most)
                return _reencode(image, image.format)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(name, MAX_PHOTO_PIXELS) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # Not an image, a truncated or corrupt one, or one Pillow cannot decode.
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image", params={"name": name}) from exc


def _too_many_pixels(name: str, most: int) -> ValidationError:
    return ValidationError(
        TOO_MANY_PIXELS,
        code="too_many_pixels",
        params={"name": name, "max": most // 1_000_000},
    )


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
ORIENTATION = 0x0112
# EXIF orientation -> the turn that makes the photo stand upright (as ImageOps.exif_transpose).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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
    turn = UPRIGHT.get(image.getexif().get(ORIENTATION, 1))
    # Scale down first: every copy after that (plain pixels, turned upright) is of the small
    # image; turning and copying the large one first cost 440 MB for a 24-million-pixel PNG.
    pixels = _pixels_only(_scaled_down(image, _mode(image, source_format)))
    if turn is not None:
        pixels = pixels.transpose(turn)
    out = io.BytesIO()
    extension = FORMATS[source_format]
    if source_format == "JPEG":
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif source_format == "PNG":
        # Not optimize=True: on a real photo it takes seconds (zlib level 9) for ~3% smaller.
        pixels.save(out, "PNG")
    else:
        pixels.save(out, "WEBP", quality=WEBP_QUALITY)
    return CleanPhoto(
        content=out.getvalue(), extension=extension, width=pixels.width, height=pixels.height
    )


def _mode(image: Image.Image, source_format: str) -> str:
    """The mode we store: grey or colour, with alpha only where the photo has transparency."""
    grey = image.mode in ("1", "L", "I", "I;16", "F")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if source_format == "JPEG":
        return "L" if grey else "RGB"
    if has_alpha:
        return "LA" if image.mode in ("LA", "La") else "RGBA"
    return "L" if grey else "RGB"


def _scaled_down(image: Image.Image, mode: str) -> Image.Image:
    """The image in `mode`, with its long side at most MAX_SIDE (it may be `image` itself)."""
    if image.mode != mode or "transparency" in image.info:
        # Palette, 1-bit, 16-bit or colour-keyed: convert first, so that scaling blends colours.
        image = image.convert(mode)
    width, height = image.size
    scale = MAX_SIDE / max(width, height)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # reducing_gap (as Image.thumbnail): first shrink by a whole factor, cheaply, then resample
    # the rest properly; the result looks the same.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image with the same pixels and nothing else: no info, no EXIF, no palette tricks."""
    return Image.frombytes(image.mode, image.size, image.tobytes())
