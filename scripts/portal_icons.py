"""Draws the portal's home-screen icons (portal/public/icons): a white location pin on the brand blue, as the web app
manifest lists them (192 and 512 px, plain and maskable: the maskable ones keep the pin inside the safe circle that
a launcher's mask never cuts), and a 180 px apple-touch-icon. Supersampled four times for smooth edges.

    python -m scripts.portal_icons
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "portal" / "public" / "icons"
BLUE = (18, 57, 95, 255)  # the header's colour, also the manifest's theme_color #12395f
PIN = (255, 255, 255, 255)
DOT = (27, 94, 154, 255)
SUPERSAMPLE = 4


def icon(size: int, scale: float) -> Image.Image:
    s = size * SUPERSAMPLE
    img = Image.new("RGBA", (s, s), BLUE)
    draw = ImageDraw.Draw(img)
    r = s * 0.22 * scale  # the pin's head
    cx, cy = s / 2, s / 2 - r * 0.45
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=PIN)
    draw.polygon([(cx - r * 0.86, cy + r * 0.5), (cx + r * 0.86, cy + r * 0.5), (cx, cy + r * 2.1)], fill=PIN)
    inner = r * 0.42
    draw.ellipse([cx - inner, cy - inner, cx + inner, cy + inner], fill=DOT)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, 1.0).save(OUT / f"icon-{size}.png", optimize=True)
        icon(size, 0.75).save(OUT / f"maskable-{size}.png", optimize=True)
    icon(180, 0.9).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
