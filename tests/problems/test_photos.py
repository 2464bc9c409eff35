"""Photos with a report: only real images, re-encoded without EXIF (no GPS), not too large."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image, ImageFile, ImageOps

from problems import photos
from problems.models import ConfidentialView, Photo, Problem
from problems.photos import MAX_PHOTOS, MAX_SIDE, photo_clean, photos_clean
from problems.workflow import Status
from tests.conftest import PERSONA_NAMES
from tests.support import GPS_IFD, ORIENTATION, jpeg_with_gps, report_url, valid_data


def upload(content: bytes, name: str = "foto.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def opened(content: bytes) -> Image.Image:
    return Image.open(io.BytesIO(content))


def test_the_test_photo_really_has_gps():
    image = opened(jpeg_with_gps())
    assert image.getexif().get_ifd(GPS_IFD)  # else the next test proves nothing


def test_jpeg_is_reencoded_without_exif_or_gps():
    clean = photo_clean(upload(jpeg_with_gps()))
    assert clean.extension == "jpg"
    image = opened(clean.content)
    assert image.format == "JPEG"
    assert not image.getexif()
    assert "exif" not in image.info
    assert "comment" not in image.info
    assert b"SecretPhone" not in clean.content
    assert b"taken at home" not in clean.content
    assert (clean.width, clean.height) == image.size == (120, 80)


def test_orientation_is_applied_before_the_exif_goes():
    # 6: the camera was turned; the photo must stand upright after re-encoding.
    raw = jpeg_with_gps((120, 80), orientation=6)
    expected = ImageOps.exif_transpose(opened(raw))
    clean = photo_clean(upload(raw))
    image = opened(clean.content)
    assert image.size == expected.size == (80, 120)
    assert not image.getexif()


def test_large_photo_is_scaled_down_to_the_long_side():
    out = io.BytesIO()
    Image.new("RGB", (3000, 1500), "white").save(out, "JPEG")
    clean = photo_clean(upload(out.getvalue()))
    assert max(clean.width, clean.height) == MAX_SIDE
    assert opened(clean.content).size == (MAX_SIDE, 1000)


def test_png_stays_png_and_keeps_transparency():
    out = io.BytesIO()
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    info = Image.Exif()
    info[0x010F] = "PhoneMaker"
    image.save(out, "PNG", exif=info)
    clean = photo_clean(upload(out.getvalue(), "plaatje.png", "image/png"))
    result = opened(clean.content)
    assert clean.extension == "png" and result.format == "PNG"
    assert result.mode == "RGBA"
    assert not result.getexif()
    assert b"PhoneMaker" not in clean.content


def test_webp_is_accepted():
    out = io.BytesIO()
    Image.new("RGB", (50, 50), "green").save(out, "WEBP")
    clean = photo_clean(upload(out.getvalue(), "foto.webp", "image/webp"))
    assert clean.extension == "webp" and opened(clean.content).format == "WEBP"


def test_the_real_format_counts_not_the_name():
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(out, "PNG")
    clean = photo_clean(upload(out.getvalue(), "foto.jpg", "image/jpeg"))
    assert clean.extension == "png"


def test_text_file_named_jpg_is_refused():
    with pytest.raises(ValidationError) as info:
        photo_clean(upload(b"This is not a photo at all.\n", "vakantie.jpg"))
    assert info.value.code == "not_an_image"
    assert "vakantie.jpg" in info.value.messages[0]


@pytest.mark.parametrize("kind", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused(kind):
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(out, kind)
    with pytest.raises(ValidationError) as info:
        photo_clean(upload(out.getvalue(), f"foto.{kind.lower()}"))
    assert info.value.code == "not_an_image"


def test_truncated_jpeg_is_refused():
    raw = jpeg_with_gps((400, 300))
    with pytest.raises(ValidationError) as info:
        photo_clean(upload(raw[: len(raw) // 2]))
    assert info.value.code == "not_an_image"


def test_oversize_file_is_refused(monkeypatch):
    raw = jpeg_with_gps()
    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", len(raw) - 1)
    with pytest.raises(ValidationError) as info:
        photo_clean(upload(raw))
    assert info.value.code == "too_large"


def test_a_file_over_the_real_limit_is_refused_before_decoding():
    big = upload(b"\xff\xd8" + b"\0" * (photos.MAX_PHOTO_BYTES + 1))
    with pytest.raises(ValidationError) as info:
        photo_clean(big)
    assert info.value.code == "too_large"


def test_decompression_bomb_is_refused():
    # A small file that claims a huge canvas: refused from its header, before decoding.
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")  # 48 megapixels, a few kilobytes
    assert len(out.getvalue()) < 100_000
    with pytest.raises(ValidationError) as info:
        photo_clean(upload(out.getvalue(), "bom.png", "image/png"))
    assert info.value.code == "too_many_pixels"


def png_claiming(size: tuple[int, int]) -> bytes:
    """A real PNG of `size` that is only a few kilobytes: one colour, 1 bit a pixel."""
    out = io.BytesIO()
    Image.new("1", size).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any pixel is decoded: only the header may be read."""

    def decode(self, *args, **kwargs):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)


def test_forty_megapixel_png_is_refused_from_its_header_alone(no_decoding):
    raw = png_claiming((8000, 5000))  # 40 million pixels, as in the issue
    assert len(raw) < 100_000
    with pytest.raises(ValidationError) as info:
        photo_clean(upload(raw, "straat.png", "image/png"))
    assert info.value.code == "too_many_pixels"
    with translation.override("en"):
        assert info.value.messages == [
            "“straat.png” has too many pixels: a photo can have at most 25 million pixels. "
            "Make the photo smaller and try again."
        ]


def test_the_pixel_cap_is_on_the_number_of_pixels(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PHOTO_PIXELS", 60 * 40)
    assert photo_clean(upload(png_claiming((60, 40)), "a.png")).width == 60
    with pytest.raises(ValidationError) as info:
        photo_clean(upload(png_claiming((61, 40)), "b.png"))
    assert info.value.code == "too_many_pixels"


def test_the_largest_usual_phone_photo_fits():
    # An iPhone 15 or later saves 24.5 million pixels (5712 x 4284) by default.
    clean = photo_clean(upload(png_claiming((5712, 4284)), "iphone.png", "image/png"))
    assert (clean.width, clean.height) == (MAX_SIDE, 1500)


def test_webp_has_its_own_lower_cap(monkeypatch):
    monkeypatch.setattr(photos, "MAX_WEBP_PIXELS", 50 * 50 - 1)
    out = io.BytesIO()
    Image.new("RGB", (50, 50), "green").save(out, "WEBP")
    with pytest.raises(ValidationError) as info:
        photo_clean(upload(out.getvalue(), "foto.webp", "image/webp"))
    assert info.value.code == "too_many_pixels"
    assert photo_clean(upload(png_claiming((50, 50)), "foto.png")).width == 50
    assert photos.MAX_WEBP_PIXELS < photos.MAX_PHOTO_PIXELS


@pytest.mark.parametrize("pillow_limit", [2500, 6000], ids=["bomb-error", "bomb-warning"])
def test_pillow_bomb_check_also_gives_the_clear_message(monkeypatch, no_decoding, pillow_limit):
    # Pillow refuses above twice its limit and warns above it; both become our message.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    with pytest.raises(ValidationError) as info:
        photo_clean(upload(png_claiming((100, 100)), "bom.png"))
    assert info.value.code == "too_many_pixels"


def test_large_png_with_transparency_is_scaled_down_and_keeps_it():
    image = Image.new("P", (3000, 1000), 1)
    image.putpalette([255, 255, 255, 200, 30, 30])
    image.paste(0, (0, 0, 1500, 1000))
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)  # the left half is see-through
    clean = photo_clean(upload(out.getvalue(), "plaatje.png", "image/png"))
    result = opened(clean.content)
    assert result.size == (MAX_SIDE, 667) and result.mode == "RGBA"
    assert result.getpixel((10, 10)) == (0, 0, 0, 0)
    assert result.getpixel((MAX_SIDE - 10, 10)) == (200, 30, 30, 255)


def test_turned_photo_is_scaled_down_and_upright():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    Image.new("RGB", (4000, 3000), "white").save(out, "JPEG", exif=exif)
    clean = photo_clean(upload(out.getvalue()))
    assert opened(clean.content).size == (1500, MAX_SIDE)


def test_a_report_with_a_forty_megapixel_photo_saves_nothing(
    as_persona, personas, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = upload(png_claiming((8000, 5000)), "straat.png", "image/png")
    response = as_persona("resident").post(report_url(personas), valid_data(photos=[photo]))
    assert response.status_code == 200
    [message] = response.context["form"].errors["photos"]
    assert message.startswith("“straat.png” has too many pixels")
    assert not Problem.objects.exists() and not Photo.objects.exists()
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.*"))


def test_at_most_three_photos():
    raw = jpeg_with_gps()
    assert len(photos_clean([upload(raw) for _ in range(MAX_PHOTOS)])) == MAX_PHOTOS
    with pytest.raises(ValidationError) as info:
        photos_clean([upload(raw) for _ in range(MAX_PHOTOS + 1)])
    assert info.value.code == "too_many"


def test_every_bad_photo_is_named():
    good = upload(jpeg_with_gps())
    with pytest.raises(ValidationError) as info:
        photos_clean([upload(b"nope", "een.jpg"), good, upload(b"nope", "twee.png")])
    messages = info.value.messages
    assert len(messages) == 2
    assert "een.jpg" in messages[0] and "twee.png" in messages[1]


# --- Serving a photo: only to those who may see it -------------------------------------------

TEAM = {"chair", "wijkagent", "housing_contact", "office", "coordinator"}
EVERYONE = set(PERSONA_NAMES)


@pytest.fixture
def photo_of(settings, tmp_path, make_problem):
    settings.MEDIA_ROOT = tmp_path / "media"

    def _make(status: str, *, category: str = "zwerfvuil"):
        problem = make_problem(
            status, category=category, photos=[photo_clean(upload(jpeg_with_gps()))]
        )
        return problem, problem.photos.get()

    return _make


def photo_url(problem, photo) -> str:
    return reverse("report:problem_photo", args=[problem.neighbourhood.slug, problem.pk, photo.pk])


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize(
    ("status", "category", "allowed"),
    [
        (Status.NEW, "zwerfvuil", TEAM | {"resident"}),
        (Status.ACCEPTED, "zwerfvuil", EVERYONE),
        (Status.NEW, "drugsoverlast", TEAM | {"resident"}),
        (Status.ACCEPTED, "drugsoverlast", TEAM | {"resident"}),
        (Status.RESOLVED, "drugsoverlast", TEAM | {"resident"}),
    ],
    ids=["new", "accepted", "new-sensitive", "accepted-sensitive", "resolved-sensitive"],
)
def test_photo_visibility(as_persona, photo_of, persona, status, category, allowed):
    # The resident persona reported it (make_problem's default reporter).
    problem, photo = photo_of(status, category=category)
    response = as_persona(persona).get(photo_url(problem, photo))
    if persona not in allowed:
        assert response.status_code == 404, persona
        return
    assert response.status_code == 200, persona
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    content = b"".join(response.streaming_content)
    assert content == Path(photo.image.path).read_bytes()
    assert not Image.open(io.BytesIO(content)).getexif()


def test_team_looking_at_a_sensitive_photo_is_logged(as_persona, personas, photo_of):
    problem, photo = photo_of(Status.ACCEPTED, category="drugsoverlast")
    as_persona("wijkagent").get(photo_url(problem, photo))
    as_persona("resident").get(photo_url(problem, photo))  # the reporter: not a team view
    [view] = ConfidentialView.objects.filter(problem=problem)
    assert view.user == personas.wijkagent


def test_photo_of_another_problem_or_neighbourhood_is_404(as_persona, personas, photo_of):
    problem, photo = photo_of(Status.ACCEPTED)
    other, _other_photo = photo_of(Status.ACCEPTED)
    client = as_persona("resident")
    wrong_problem = reverse("report:problem_photo", args=[personas.hood.slug, other.pk, photo.pk])
    wrong_hood = reverse(
        "report:problem_photo", args=[personas.other_hood.slug, problem.pk, photo.pk]
    )
    assert client.get(wrong_problem).status_code == 404
    assert client.get(wrong_hood).status_code == 404
    assert client.get(photo_url(problem, photo)).status_code == 200


def test_missing_file_is_404(as_persona, photo_of):
    problem, photo = photo_of(Status.ACCEPTED)
    Path(photo.image.path).unlink()
    assert as_persona("resident").get(photo_url(problem, photo)).status_code == 404


def test_png_is_served_as_png(as_persona, settings, tmp_path, make_problem):
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "PNG")
    problem = make_problem(
        Status.ACCEPTED, photos=[photo_clean(upload(out.getvalue(), "a.png", "image/png"))]
    )
    response = as_persona("second_resident").get(photo_url(problem, problem.photos.get()))
    assert response["Content-Type"] == "image/png"


def test_truncated_jpeg_is_refused_also_after_weasyprint_loosened_pillow(monkeypatch):
    import weasyprint  # noqa: F401 - importing it sets LOAD_TRUNCATED_IMAGES for the process
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    raw = jpeg_with_gps((400, 300))
    with pytest.raises(ValidationError):
        photo_clean(upload(raw[: len(raw) // 2]))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as WeasyPrint wants it
