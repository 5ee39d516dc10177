"""What an uploaded file is comes from its bytes; photos are cleaned before they are stored
(server/evidence/media.py)."""

import io
import time
from datetime import UTC, datetime

import pytest
from PIL import ExifTags, Image, ImageFile

from server.errors import Invalid
from server.evidence import media
from server.evidence.media import FileTooLarge, UnsupportedMediaType, inspect_and_clean
from tests.evidence.images import MINIMAL_PDF, photo_bytes, png_declaring


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- Real type by content -------------------------------------------------------------------------------


def test_a_png_named_pdf_is_stored_as_the_photo_it_is():
    cleaned = inspect_and_clean(photo_bytes((60, 30), "PNG"), "laporan.pdf")
    assert (cleaned.kind, cleaned.content_type) == ("photo", "image/jpeg")
    assert _open(cleaned.data).format == "JPEG" and (cleaned.width, cleaned.height) == (60, 30)


def test_a_pdf_declared_as_a_jpeg_photo_is_kept_as_the_pdf_it_is():
    cleaned = inspect_and_clean(MINIMAL_PDF, "foto.jpg")
    assert (cleaned.kind, cleaned.content_type) == ("document", "application/pdf")
    assert cleaned.data == MINIMAL_PDF and cleaned.thumbnail is None and cleaned.width is None


@pytest.mark.parametrize(
    "data",
    [
        b"just some text, not a photo\n",
        b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        photo_bytes((10, 10), "GIF"),
        photo_bytes((10, 10), "BMP"),
    ],
    ids=["text", "html", "svg", "gif-header", "gif", "bmp"],
)
def test_files_that_are_not_a_jpeg_png_webp_or_pdf_are_refused_with_415_whatever_their_name(data):
    with pytest.raises(UnsupportedMediaType) as refused:
        inspect_and_clean(data, "bukti.jpg")
    assert refused.value.status_code == 415
    assert refused.value.detail == "'bukti.jpg' is not a photo (JPEG, PNG or WebP) or a PDF"


def test_a_webp_photo_is_stored_as_jpeg():
    cleaned = inspect_and_clean(photo_bytes((50, 40), "WEBP"), "x.webp")
    assert cleaned.content_type == "image/jpeg" and _open(cleaned.data).format == "JPEG"


def test_a_pdf_cut_off_before_its_end_is_refused():
    with pytest.raises(Invalid, match="not a complete PDF"):
        inspect_and_clean(MINIMAL_PDF[:-10] + b" " * 10, "surat.pdf")


@pytest.mark.parametrize(
    "data",
    [photo_bytes((400, 300))[:600], b"\xff\xd8\xff\xe0" + b"garbage" * 100, b"\x89PNG\r\n\x1a\nnot really"],
    ids=["truncated-jpeg", "jpeg-magic-then-garbage", "png-magic-then-garbage"],
)
def test_a_damaged_photo_is_refused_with_422(data):
    with pytest.raises(Invalid, match="damaged or incomplete") as refused:
        inspect_and_clean(data, "rusak.jpg")
    assert refused.value.status_code == 422


def test_a_file_over_five_megabytes_is_refused_with_413_before_it_is_read():
    with pytest.raises(FileTooLarge, match="at most 5 MB") as refused:
        inspect_and_clean(b"%PDF-" + bytes(media.MAX_FILE_BYTES), "besar.pdf")
    assert refused.value.status_code == 413


def test_an_empty_file_is_refused():
    with pytest.raises(Invalid, match="is empty"):
        inspect_and_clean(b"", "kosong.jpg")


# --- Decompression bombs --------------------------------------------------------------------------------


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    """Any attempt to decode pixels fails the test: the refusal must come from the header alone."""

    def refuse(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize(
    ("width", "height"),
    [(20_000, 20_000), (7_000, 7_000), (13_000, 100)],
    ids=["far-beyond-pillows-own-limit", "over-40-megapixels", "a-side-over-12000"],
)
def test_an_image_declaring_huge_dimensions_is_refused_from_its_header(no_pixel_decoding, width, height):
    bomb = png_declaring(width, height)
    assert len(bomb) < 100_000  # a small upload...
    started = time.perf_counter()
    with pytest.raises(Invalid, match="too large an image to open") as refused:
        inspect_and_clean(bomb, "bom.png")
    assert time.perf_counter() - started < 1  # ... refused at once, nothing decoded
    assert refused.value.status_code == 422


def test_the_largest_accepted_image_is_decoded_and_downscaled():
    side = 6_000  # 36 megapixels, under the limit
    cleaned = inspect_and_clean(png_declaring(side, side), "besar.png")
    assert (cleaned.width, cleaned.height) == (1600, 1600)


# --- Cleaning -------------------------------------------------------------------------------------------


def test_only_the_capture_time_survives_of_the_photos_exif():
    original = photo_bytes(
        (80, 40), taken="2026:12:01 10:15:00", with_gps_and_camera=True, comment=b"COMMENT-WITH-NAME"
    )
    assert b"SAMSUNG-MAKE" in original and b"MAKERNOTE-SERIAL" in original  # the test's premise

    cleaned = inspect_and_clean(original, "IMG_0001.jpg")

    exif = _open(cleaned.data).getexif()
    assert dict(exif) == {ExifTags.Base.ExifOffset: exif[ExifTags.Base.ExifOffset]}  # IFD0: the pointer only
    assert exif.get_ifd(ExifTags.IFD.Exif) == {ExifTags.Base.DateTimeOriginal: "2026:12:01 10:15:00"}
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    for secret in (b"SAMSUNG", b"Galaxy", b"SOFTWARE", b"MAKERNOTE", b"BODY-SERIAL", b"COMMENT-WITH-NAME"):
        assert secret not in cleaned.data and secret not in cleaned.thumbnail
    assert not _open(cleaned.thumbnail).getexif()


def test_a_photo_without_a_capture_time_is_stored_without_any_exif():
    cleaned = inspect_and_clean(photo_bytes((80, 40), with_gps_and_camera=True), "x.jpg")
    assert cleaned.captured_at is None
    assert not _open(cleaned.data).getexif() and b"Exif" not in cleaned.data


def test_the_exif_orientation_is_applied_to_the_pixels_and_then_dropped():
    # A phone held upright writes a landscape sensor image with Orientation 6 (rotate 90° clockwise).
    image = Image.new("RGB", (80, 40), "white")
    image.paste((255, 0, 0), (0, 0, 40, 40))  # the left half red
    out = io.BytesIO()
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    image.save(out, "JPEG", exif=exif.tobytes())

    cleaned = inspect_and_clean(out.getvalue(), "tegak.jpg")

    stored = _open(cleaned.data)
    assert stored.size == (40, 80) and (cleaned.width, cleaned.height) == (40, 80)
    assert ExifTags.Base.Orientation not in stored.getexif()
    red, green, blue = stored.getpixel((20, 10))  # rotated clockwise, the red half is now on top
    assert red > 200 and green < 60 and blue < 60
    assert stored.getpixel((20, 70))[1] > 200  # and the white half below


@pytest.mark.parametrize(
    ("taken", "offset", "expected"),
    [
        ("2026:12:01 10:15:00", None, datetime(2026, 12, 1, 3, 15, tzinfo=UTC)),  # WIB, UTC+7
        ("2026:12:01 10:15:00", "+08:00", datetime(2026, 12, 1, 2, 15, tzinfo=UTC)),  # WITA, said so
        ("2026:12:01 10:15:00", "garbage", datetime(2026, 12, 1, 3, 15, tzinfo=UTC)),
        ("0000:00:00 00:00:00", None, None),  # a camera without a set clock
        ("    :  :     :  :  ", None, None),
        ("2099:01:01 00:00:00", None, None),  # in the future: a wrong clock, not a capture time
    ],
)
def test_the_capture_time_is_read_as_wib_unless_the_photo_names_its_offset(taken, offset, expected):
    cleaned = inspect_and_clean(photo_bytes(taken=taken, offset=offset), "x.jpg")
    assert cleaned.captured_at == expected
    kept = _open(cleaned.data).getexif().get_ifd(ExifTags.IFD.Exif)
    if expected is None:
        assert kept == {}
    else:
        assert kept[ExifTags.Base.DateTimeOriginal] == taken
        assert kept.get(ExifTags.Base.OffsetTimeOriginal) == (offset if offset == "+08:00" else None)


def test_a_large_photo_is_downscaled_to_1600_pixels_with_a_320_pixel_thumbnail():
    cleaned = inspect_and_clean(photo_bytes((2400, 1800), "PNG"), "besar.png")
    assert (cleaned.width, cleaned.height) == (1600, 1200) == _open(cleaned.data).size
    thumbnail = _open(cleaned.thumbnail)
    assert thumbnail.format == "JPEG" and thumbnail.size == (320, 240)


def test_a_small_photo_keeps_its_size():
    cleaned = inspect_and_clean(photo_bytes((300, 200)), "kecil.jpg")
    assert (cleaned.width, cleaned.height) == (300, 200)
    assert _open(cleaned.thumbnail).size == (300, 200)


def test_a_transparent_png_is_laid_on_white():
    cleaned = inspect_and_clean(photo_bytes((20, 20), "PNG", mode="RGBA", colour=(0, 0, 0, 0)), "logo.png")
    assert min(_open(cleaned.data).getpixel((10, 10))) > 240


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "I;16", "1", "LA"])
def test_photos_of_other_colour_modes_come_out_as_rgb_jpeg(mode):
    image_format = "JPEG" if mode in ("CMYK", "L") else "PNG"
    colour = 128 if mode in ("L", "P", "I;16", "1") else (10, 20, 30, 40) if mode == "CMYK" else (90, 255)
    cleaned = inspect_and_clean(photo_bytes((30, 20), image_format, mode=mode, colour=colour), "x")
    stored = _open(cleaned.data)
    assert stored.mode == "RGB" and stored.size == (30, 20)


@pytest.mark.parametrize(
    "app1",
    [
        b"Exif\x00\x00" + b"\xff" * 40,
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05" + b"\x01" * 30,
        # IFD0 pointing its Exif IFD far beyond the block
        b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x69\x87\x04\x00\x01\x00\x00\x00\xff\xff\x00\x00\x00\x00\x00\x00",
    ],
    ids=["garbage", "truncated-ifd", "dangling-pointer"],
)
def test_a_photo_with_a_corrupt_exif_block_is_kept_without_it(app1):
    plain = photo_bytes((50, 40))
    segment = b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1
    cleaned = inspect_and_clean(plain[:2] + segment + plain[2:], "x.jpg")  # no warning escapes either
    assert (cleaned.width, cleaned.height, cleaned.captured_at) == (50, 40, None)
    assert b"Exif" not in cleaned.data


def test_the_colour_profile_naming_the_phone_is_not_kept():
    profile = b"\x00\x00\x02\x00PHONE-MAKER-PROFILE" + bytes(100)
    original = photo_bytes((40, 30), icc_profile=profile)
    assert b"PHONE-MAKER-PROFILE" in original  # the test's premise
    cleaned = inspect_and_clean(original, "x.jpg")
    assert b"PHONE-MAKER-PROFILE" not in cleaned.data and "icc_profile" not in _open(cleaned.data).info
