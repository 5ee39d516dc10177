"""Checking and cleaning an uploaded photo or PDF: pure functions on bytes (no database, no event loop),
run in a worker thread by server/evidence/service.py.

What a file is comes from its bytes alone, never from its name or the type the browser declared: a PNG
named .pdf is stored as the photo it is, a text or HTML file named .jpg is refused. Photos come out as
JPEG without anything the phone wrote into them (GPS position, camera, thumbnails, comments) but the
capture time; PDFs are kept byte for byte after a sanity check."""

import io
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from server import clock
from server.errors import Invalid, PantauError
from server.evidence.models import EvidenceKind

# --- Limits, in one place -------------------------------------------------------------------------------
# Each upload, after the browser's downscaling (web/static/evidence.js): a 1,600 px JPEG is ~0.5 MB.
MAX_FILE_BYTES = 5 * 1024 * 1024
# Decompression bombs: a few KB of PNG can declare 20,000 × 20,000 pixels (1.6 GB decoded). These are read
# from the header, before a single pixel is decoded. (A phone's full-size photo is 12-20 megapixels.)
MAX_PIXELS = 40_000_000
MAX_SIDE = 12_000
# What is stored: longest side (px) and JPEG quality of the photo and of its thumbnail.
STORED_SIDE = 1600
STORED_QUALITY = 82
THUMBNAIL_SIDE = 320
THUMBNAIL_QUALITY = 75
# A PDF ends with %%EOF, give or take trailing whitespace and an incremental update's padding.
PDF_TAIL_BYTES = 1024

PHOTO_TYPE = "image/jpeg"
PDF_TYPE = "application/pdf"
ACCEPTED = "a photo (JPEG, PNG or WebP) or a PDF"

# A camera's DateTimeOriginal is its local clock with no zone: in Bukitintan that is WIB (UTC+7, no DST)
# unless OffsetTimeOriginal says otherwise.
_EXIF_TIME = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
_EARLIEST_CAPTURE = datetime(1990, 1, 1, tzinfo=UTC)


class UnsupportedMediaType(PantauError):
    """The bytes are not a kind of file Pantau keeps as evidence."""

    status_code = 415


class FileTooLarge(PantauError):
    status_code = 413


@dataclass(frozen=True)
class CleanMedia:
    kind: EvidenceKind
    content_type: str
    data: bytes  # what is stored: the re-encoded JPEG, or the PDF as uploaded
    width: int | None
    height: int | None
    captured_at: datetime | None  # UTC
    thumbnail: bytes | None  # JPEG; None for a PDF


def inspect_and_clean(data: bytes, filename: str | None = None) -> CleanMedia:
    """Check `data` by what it really is and return what to store; refuses with 413 (over 5 MB),
    415 (not a JPEG, PNG, WebP or PDF) or 422 (a broken file, or an image too large to decode safely).
    `filename` only names the file in those messages."""
    name = _shown(filename)
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLarge(
            f"{name} is {len(data) / 1024 / 1024:.1f} MB; each file may be at most "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB"
        )
    if not data:
        raise Invalid(f"{name} is empty")
    if data.startswith(b"%PDF-"):
        return _clean_pdf(data, name)
    image_format = _image_format(data)
    if image_format is None:
        raise UnsupportedMediaType(f"{name} is not {ACCEPTED}")
    return _clean_photo(data, image_format, name)


def _shown(filename: str | None) -> str:
    """The file as messages name it: its base name, cut short ("The file" when it has none)."""
    base = re.split(r"[/\\]", filename or "")[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())
    if not base:
        return "The file"
    return repr(base if len(base) <= 80 else base[:80] + "…")


def _image_format(data: bytes) -> str | None:
    """Pillow's format name for the three photo formats accepted, from their magic numbers."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _clean_pdf(data: bytes, name: str) -> CleanMedia:
    if b"%%EOF" not in data[-PDF_TAIL_BYTES:]:
        raise Invalid(f"{name} is not a complete PDF; was it cut off?")
    return CleanMedia(EvidenceKind.document, PDF_TYPE, data, None, None, None, None)


def _clean_photo(data: bytes, image_format: str, name: str) -> CleanMedia:
    broken = Invalid(f"{name} is a damaged or incomplete {image_format} image")
    with warnings.catch_warnings():
        # Pillow's complaints about a corrupt EXIF block are moot (the block is dropped); its own bomb guard
        # warns (and past twice its limit, raises): as an error, that warning stops the decoding here too.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[image_format])  # reads the header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(name, None) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise broken from None
        with image:
            width, height = image.size
            if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                raise _too_many_pixels(name, (width, height))
            try:
                if image_format == "JPEG":
                    # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that is still ≥ the stored size.
                    image.draft("RGB", (STORED_SIDE, STORED_SIDE))
                image.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _too_many_pixels(name, (width, height)) from None
            except (OSError, SyntaxError, ValueError, EOFError):
                raise broken from None
            captured_at, exif_time = _capture_time(image)
            photo = _as_rgb(_upright(image))

    # Nothing of the original's metadata travels on: not through `info` (Pillow would write a JPEG comment
    # back), nor its colour profile (whose header may name the phone's maker; browsers downscaling before
    # the upload already convert to sRGB).
    photo.info = {}
    photo.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.LANCZOS)
    stored = _jpeg(photo, STORED_QUALITY, exif=_exif_with_only(exif_time))
    small = photo.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    thumbnail = _jpeg(small, THUMBNAIL_QUALITY)
    return CleanMedia(
        EvidenceKind.photo, PHOTO_TYPE, stored, photo.width, photo.height, captured_at, thumbnail
    )


def _upright(image: Image.Image) -> Image.Image:
    """The pixels turned as the EXIF Orientation says; as they are when that tag is unreadable."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block: the metadata is dropped, the photo is still good
        return image.copy()


def _too_many_pixels(name: str, size: tuple[int, int] | None) -> Invalid:
    megapixels = MAX_PIXELS // 1_000_000
    if size is None:  # Pillow refused it at the header, before telling its size
        return Invalid(
            f"{name} is too large an image to open: at most {MAX_SIDE} pixels a side and {megapixels} megapixels"
        )
    width, height = size
    return Invalid(
        f"{name} is too large an image to open ({width} × {height} pixels): at most {MAX_SIDE} pixels a side "
        f"and {megapixels} megapixels"
    )


def _as_rgb(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: a transparent PNG or WebP is laid on white, not on black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG: Pillow cannot convert it to RGB directly; scale to 8 bits first.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGB") if image.mode != "RGB" else image


def _jpeg(image: Image.Image, quality: int, exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, **({"exif": exif} if exif else {}))
    return out.getvalue()


def _capture_time(image: Image.Image) -> tuple[datetime | None, tuple[str, str | None] | None]:
    """When the photo was taken, in UTC, and the EXIF values it came from (to write back); None for a
    missing, blank ("0000:00:00 00:00:00"), implausible or unreadable date."""
    try:
        tags = image.getexif().get_ifd(ExifTags.IFD.Exif)
        original = tags.get(ExifTags.Base.DateTimeOriginal)
        offset = tags.get(ExifTags.Base.OffsetTimeOriginal)
    except Exception:  # a malformed EXIF block: no capture time, the photo is still good
        return None, None
    if not isinstance(original, str):
        return None, None
    original = original.strip("\x00 ")
    offset = offset.strip("\x00 ") if isinstance(offset, str) else None
    found = _EXIF_TIME.fullmatch(original)
    zone = _zone(offset)
    if found is None:
        return None, None
    try:
        year, month, day, hour, minute, second = (int(part) for part in found.groups())
        local = datetime(year, month, day, hour, minute, second, tzinfo=zone or clock.JAKARTA)
    except ValueError:
        return None, None
    moment = local.astimezone(UTC)
    if not _EARLIEST_CAPTURE <= moment <= clock.now() + timedelta(days=1):
        return None, None
    return moment, (original, offset if zone else None)


def _zone(offset: str | None) -> timezone | None:
    found = _EXIF_OFFSET.fullmatch(offset or "")
    if found is None:
        return None
    sign, hours, minutes = found.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def _exif_with_only(capture: tuple[str, str | None] | None) -> bytes | None:
    """A fresh EXIF block holding the capture time alone; None (no EXIF at all) without one."""
    if capture is None:
        return None
    exif = Image.Exif()
    tags = exif.get_ifd(ExifTags.IFD.Exif)
    tags[ExifTags.Base.DateTimeOriginal] = capture[0]
    if capture[1] is not None:
        tags[ExifTags.Base.OffsetTimeOriginal] = capture[1]
    return exif.tobytes()
