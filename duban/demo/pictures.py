"""Small made-up photos for the demo: a clue's picture, a visit's, a rectification's evidence.

Plain colours and a few shapes, a few kilobytes each: enough for the pages to show a photo, quick to make."""

import io
import random

from PIL import Image, ImageDraw


def picture(rng: random.Random, size: tuple[int, int] = (320, 240)) -> bytes:
    """A JPEG: a sky over ground, a block or two in front, in colours from `rng`."""
    width, height = size
    sky = tuple(rng.randint(150, 220) for _ in range(3))
    ground = tuple(rng.randint(60, 140) for _ in range(3))
    image = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(height // 3, height // 2)
    draw.rectangle([0, horizon, width, height], fill=ground)
    for _ in range(rng.randint(1, 3)):
        x, w, h = rng.randint(0, width - 60), rng.randint(30, 90), rng.randint(30, 90)
        draw.rectangle([x, horizon - h // 2, x + w, horizon + h // 2], fill=tuple(rng.randint(30, 200) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()
