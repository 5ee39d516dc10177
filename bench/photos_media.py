"""The photos `python -m bench photos` sends, and the check of what the server keeps of one."""

from __future__ import annotations

import io
import random

from bench.photos_poster import multipart_file


def make_photo(seed: int, width: int = 1600, height: int = 1200) -> bytes:
    """A photo-like JPEG: colour gradients, soft shapes and sensor-like noise (so it compresses like a phone
    photo, ~450 KB), with EXIF a phone writes: make, model, orientation, capture time and GPS position."""
    from PIL import Image, ImageDraw, ImageFilter
    from PIL.ExifTags import GPS, IFD, Base

    rnd = random.Random(seed)
    size = (width, height)
    channels = [Image.linear_gradient("L").rotate(rnd.randrange(360)).resize(size) for _ in range(3)]
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y, r = rnd.randrange(width), rnd.randrange(height), rnd.randrange(20, 240)
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=tuple(rnd.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(3))
    image = Image.blend(image, Image.effect_noise(size, 30).convert("RGB"), 0.25)
    exif = Image.Exif()
    exif[Base.Make], exif[Base.Model], exif[Base.Orientation] = "Bench", "Android 1600", 1
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = f"2026:12:01 09:{seed % 60:02d}:00"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef], gps[GPS.GPSLatitude] = "S", (6.0, 54.0, 12.5 + seed)
    gps[GPS.GPSLongitudeRef], gps[GPS.GPSLongitude] = "E", (107.0, 36.0, 30.25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


async def check_cleaning(address: str, token: str, photo: bytes) -> str:
    """Upload one photo and read back what the server keeps: no GPS or camera tags, the capture time kept,
    at most 1,600 px, a thumbnail of at most 320 px. One line for the report."""
    import httpx
    from PIL import Image
    from PIL.ExifTags import IFD, Base

    content_type, body = multipart_file("file", "check.jpg", "image/jpeg", photo)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://{address}", headers=headers, timeout=30) as http:
        made = await http.post("/api/v1/evidence", content=body, headers={"Content-Type": content_type})
        if made.status_code != 201:
            return f"upload answered {made.status_code}: {made.text[:200]}"
        item = made.json()
        stored = await http.get(item["url"])
        thumbnail = await http.get(item["thumbnail_url"])
    if stored.status_code != 200 or thumbnail.status_code != 200:
        return f"download answered {stored.status_code}, thumbnail {thumbnail.status_code}"
    image, small = Image.open(io.BytesIO(stored.content)), Image.open(io.BytesIO(thumbnail.content))
    exif = image.getexif()
    gps = dict(exif.get_ifd(IFD.GPSInfo))
    camera = [tag for tag in (Base.Make, Base.Model) if tag in exif]
    kept_time = exif.get_ifd(IFD.Exif).get(Base.DateTimeOriginal)
    ok = (
        not gps
        and not camera
        and kept_time is not None
        and max(image.size) <= 1600
        and max(small.size) <= 320
    )
    return (
        f"{'ok' if ok else 'NOT AS SPECIFIED'}: sent {len(photo) // 1024} KB with GPS and camera tags; stored "
        f"{image.format} {image.size[0]}x{image.size[1]}, {len(stored.content) // 1024} KB, GPS tags {len(gps)}, "
        f"camera tags {len(camera)}, capture time {'kept' if kept_time else 'missing'}; thumbnail "
        f"{small.size[0]}x{small.size[1]}, {len(thumbnail.content) // 1024} KB"
    )
