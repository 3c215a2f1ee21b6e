"""Render OCR texts of the eval set as the documents users really have: ruled-table PDFs.

- :func:`render_text_pdf`: a PDF with a text layer (CJK font), one table row per source line,
  every cell ruled, as a form printed from a spreadsheet;
- :func:`render_scan_pdf`: the same pages rasterised at 150–200 dpi, slightly rotated, blurred,
  noised and JPEG-compressed, wrapped in an image-only PDF, as a scanner makes them.

Seeded and reproducible. Fixtures are built on the fly; nothing binary is committed::

    python -m eval.render OUTDIR [--scan] [--seed N]    # every seed document → OUTDIR/<name>.pdf
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pymupdf

from eval.dataset import DATA_DIR, load_cases

FONT = "china-s"           # PyMuPDF's built-in CJK font (Droid Sans Fallback)
LATIN = "helv"             # its ASCII glyphs are full-width; Latin runs use Helvetica, as printed forms do
PAGE = pymupdf.paper_rect("a4-l")
MARGIN = 36.0
FONT_SIZE = 7.0
LINE_HEIGHT = FONT_SIZE * 1.35
CELL_PAD = 2.0


@dataclass(frozen=True)
class ScanStyle:
    dpi: int = 180
    max_rotation_deg: float = 1.0
    blur: int = 3                  # Gaussian kernel size (odd; 1 = none)
    noise_sigma: float = 8.0
    jpeg_quality: int = 60


def _rows(text: str) -> list[list[str]]:
    rows = []
    for raw in text.splitlines():
        cells = [c.strip() for c in raw.replace("\u3000", " ").split("\t")]
        while len(cells) > 1 and not cells[-1]:
            cells.pop()
        rows.append(cells)
    return rows


def _column_widths(rows: list[list[str]]) -> list[float]:
    count = max(len(r) for r in rows if len(r) > 1)
    demand = [12.0] * count
    for row in rows:
        if len(row) > 1:
            for i, cell in enumerate(row):
                demand[i] = max(demand[i], min(text_width(cell), 24 * FONT_SIZE))
    scale = (PAGE.width - 2 * MARGIN) / sum(demand)
    return [w * scale for w in demand]


def _runs(text: str) -> list[tuple[str, str]]:
    """(font, run) pieces: ASCII in the Latin font, everything else in the CJK font."""
    runs: list[tuple[str, str]] = []
    for char in text:
        font = LATIN if char.isascii() else FONT
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + char)
        else:
            runs.append((font, char))
    return runs


def text_width(text: str, size: float = FONT_SIZE) -> float:
    return sum(pymupdf.get_text_length(run, fontname=font, fontsize=size) for font, run in _runs(text))


def put_text(shape: pymupdf.Shape, x: float, y: float, text: str, size: float = FONT_SIZE) -> None:
    for font, run in _runs(text):
        shape.insert_text((x, y), run, fontname=font, fontsize=size)
        x += pymupdf.get_text_length(run, fontname=font, fontsize=size)


def _wrap(text: str, width: float) -> list[str]:
    lines, current, used = [], "", 0.0
    for char in text:
        step = text_width(char)
        if current and used + step > width - 2 * CELL_PAD:
            lines.append(current)
            current, used = "", 0.0
        current += char
        used += step
    return [*lines, current] if current or not lines else lines


def render_text_pdf(text: str) -> bytes:
    """The OCR text as a ruled-table PDF with a text layer."""
    rows = _rows(text)
    widths = _column_widths(rows)
    document = pymupdf.open()
    shape, y = None, PAGE.height        # one Shape per page, committed once (not per rect or text)
    for cells in rows:
        if len(cells) == 1 and not cells[0]:
            y += LINE_HEIGHT / 2
            continue
        wrapped = [_wrap(c, widths[i]) for i, c in enumerate(cells)] if len(cells) > 1 else [[cells[0].lstrip("# ")]]
        height = max(len(w) for w in wrapped) * LINE_HEIGHT + 2 * CELL_PAD
        if shape is None or y + height > PAGE.height - MARGIN or cells[0].startswith("#"):
            if shape is not None:
                shape.commit()
            shape, y = document.new_page(width=PAGE.width, height=PAGE.height).new_shape(), MARGIN
        if len(cells) == 1:
            title = wrapped[0][0]
            x = (PAGE.width - text_width(title, FONT_SIZE + 3)) / 2
            put_text(shape, x, y + FONT_SIZE + 3, title, FONT_SIZE + 3)
            y += height + 4
            continue
        x = MARGIN
        for i, width in enumerate(widths):
            shape.draw_rect(pymupdf.Rect(x, y, x + width, y + height))
            shape.finish(color=(0, 0, 0), width=0.6)
            for k, line in enumerate(wrapped[i] if i < len(wrapped) else []):
                put_text(shape, x + CELL_PAD, y + CELL_PAD + FONT_SIZE + k * LINE_HEIGHT, line)
            x += width
        y += height
    if shape is not None:
        shape.commit()
    data = document.tobytes(garbage=3, deflate=True)
    document.close()
    return data


def _degrade(image: np.ndarray, style: ScanStyle, rng: random.Random) -> np.ndarray:
    angle = rng.uniform(-style.max_rotation_deg, style.max_rotation_deg)
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    image = cv2.warpAffine(image, matrix, (w, h), borderValue=(255, 255, 255))
    if style.blur > 1:
        image = cv2.GaussianBlur(image, (style.blur, style.blur), 0)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, style.noise_sigma, image.shape)
    image = np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, style.jpeg_quality])
    assert ok
    return jpeg


def render_scan_pdf(text: str, *, seed: int = 0, style: ScanStyle = ScanStyle()) -> bytes:
    """The same form as an image-only PDF: rasterised, rotated, blurred, noised, JPEG."""
    rng = random.Random(seed)
    source = pymupdf.open(stream=render_text_pdf(text), filetype="pdf")
    scanned = pymupdf.open()
    for page in source:
        pix = page.get_pixmap(dpi=style.dpi, colorspace=pymupdf.csGRAY)
        image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width)
        jpeg = _degrade(image, style, rng)
        out = scanned.new_page(width=page.rect.width, height=page.rect.height)
        out.insert_image(out.rect, stream=jpeg.tobytes())
    data = scanned.tobytes(garbage=3, deflate=True)
    scanned.close()
    source.close()
    return data


def render_scan_image(text: str, *, seed: int = 0, style: ScanStyle = ScanStyle(), page: int = 0) -> bytes:
    """One page as a JPEG file, as a phone or a sheet-fed scanner delivers it."""
    rng = random.Random(seed)
    source = pymupdf.open(stream=render_text_pdf(text), filetype="pdf")
    pix = source[page].get_pixmap(dpi=style.dpi, colorspace=pymupdf.csGRAY)
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width)
    source.close()
    return _degrade(image, style, rng).tobytes()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--scan", action="store_true", help="image-only scans instead of text-layer PDFs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    for i, case in enumerate(load_cases(args.data)):
        text = case.text_path.read_text(encoding="utf-8")
        data = render_scan_pdf(text, seed=args.seed + i) if args.scan else render_text_pdf(text)
        (args.outdir / f"{case.name}.pdf").write_bytes(data)
        print(args.outdir / f"{case.name}.pdf")


if __name__ == "__main__":
    main()
