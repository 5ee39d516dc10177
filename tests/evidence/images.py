"""Test files built in memory: photos with chosen metadata, hostile files dressed as photos."""

import io
import struct
import zlib

from PIL import ExifTags, Image

GPS_LATITUDE = (6.0, 10.0, 30.0)


def photo_bytes(
    size: tuple[int, int] = (80, 40),
    image_format: str = "JPEG",
    *,
    colour: str | tuple[int, ...] = "red",
    mode: str = "RGB",
    taken: str | None = None,
    offset: str | None = None,
    orientation: int | None = None,
    with_gps_and_camera: bool = False,
    **save: object,
) -> bytes:
    """A photo as a phone would send it: optional capture time, orientation, GPS position and camera."""
    image = Image.new(mode, size, colour)
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if with_gps_and_camera:
        exif[ExifTags.Base.Make] = "SAMSUNG-MAKE"
        exif[ExifTags.Base.Model] = "Galaxy-A05-MODEL"
        exif[ExifTags.Base.Software] = "A055FXXU-SOFTWARE"
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "S"
        gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
        gps[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps[ExifTags.GPS.GPSLongitude] = (106.0, 49.0, 0.0)
    if taken is not None or offset is not None or with_gps_and_camera:
        tags = exif.get_ifd(ExifTags.IFD.Exif)
        if taken is not None:
            tags[ExifTags.Base.DateTimeOriginal] = taken
        if offset is not None:
            tags[ExifTags.Base.OffsetTimeOriginal] = offset
        if with_gps_and_camera:
            tags[ExifTags.Base.MakerNote] = b"MAKERNOTE-SERIAL-123"
            tags[ExifTags.Base.BodySerialNumber] = "BODY-SERIAL-456"
    out = io.BytesIO()
    options: dict[str, object] = dict(save)
    if orientation is not None or taken is not None or offset is not None or with_gps_and_camera:
        options["exif"] = exif.tobytes()
    image.save(out, image_format, **options)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of `width` × `height` black pixels: a few KB that would decode to
    width × height bytes in Pillow (mode "1" is unpacked to a byte per pixel)."""
    row = b"\x00" + bytes((width + 7) // 8)  # filter byte "none", then the packed bits
    packer = zlib.compressobj(9)
    chunks = [packer.compress(row) for _ in range(height)]
    idat = b"".join(chunks) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
