"""Field photos for the demo's progress updates, drawn with Pillow so that the demo ships no image
files: a sky, the ground, a building and a sign naming the work, different for every update."""

import io
import random
from datetime import datetime

from PIL import Image, ImageDraw
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock
from server.accounts.models import User
from server.evidence.service import upload

WIDTH, HEIGHT = 960, 720


def field_photo(rng: random.Random, caption: str, taken: datetime) -> bytes:
    """A JPEG with its capture time in EXIF, as a phone's camera writes it (local time, WIB)."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(HEIGHT // 3, HEIGHT // 2)
    sky = (rng.randint(90, 140), rng.randint(150, 200), rng.randint(210, 250))
    for y in range(horizon):  # a sky that lightens towards the horizon
        shade = y / horizon
        draw.line([(0, y), (WIDTH, y)], fill=tuple(int(c + (255 - c) * shade * 0.5) for c in sky))
    ground = (rng.randint(70, 120), rng.randint(110, 150), rng.randint(40, 80))
    draw.rectangle([0, horizon, WIDTH, HEIGHT], fill=ground)
    left = rng.randint(80, WIDTH // 2)
    top = horizon - rng.randint(120, 220)
    right = left + rng.randint(260, 400)
    wall = (rng.randint(200, 240), rng.randint(190, 230), rng.randint(170, 210))
    draw.rectangle([left, top, right, horizon + 40], fill=wall, outline=(90, 80, 70), width=4)
    draw.polygon([(left - 30, top), ((left + right) // 2, top - 90), (right + 30, top)], fill=(160, 60, 40))
    for x in range(left + 30, right - 40, 90):  # windows
        draw.rectangle([x, top + 40, x + 50, top + 90], fill=(70, 100, 130))
    draw.rectangle([40, HEIGHT - 130, WIDTH - 40, HEIGHT - 40], fill=(250, 250, 245), outline=(40, 40, 40))
    draw.text((60, HEIGHT - 110), caption[:80], fill=(20, 20, 20))
    draw.text(
        (60, HEIGHT - 80), taken.astimezone(clock.JAKARTA).strftime("%d-%m-%Y %H:%M WIB"), fill=(60, 60, 60)
    )
    exif = Image.Exif()
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9003] = taken.astimezone(clock.JAKARTA).strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, exif=exif)
    return buffer.getvalue()


async def demo_evidence(session: AsyncSession, rng: random.Random, *, by: User, caption: str) -> list[int]:
    """One photo uploaded by `by`, as the update form does, for the update it is about to post."""
    taken = clock.now()
    stored = await upload(session, by=by, data=field_photo(rng, caption, taken), filename="foto-lapangan.jpg")
    return [stored.id]
