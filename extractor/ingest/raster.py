"""Page images: straighten them and find the table's ruling lines in the pixels (OpenCV)."""

from __future__ import annotations

import cv2
import numpy as np

from extractor.ingest.table import Band, first_band_opens, cluster, with_grid


def drop_red(rgb: np.ndarray) -> np.ndarray:
    """A colour page as gray with red ink (seals, stamps, red signatures) removed: a pixel much
    redder than it is green or blue becomes paper, so a seal's characters never reach OCR; black
    ink under the seal stays (its pixels are dark in every channel)."""
    if rgb.ndim == 2:
        return rgb
    r, g, b = (rgb[..., i].astype(np.int16) for i in range(3))
    red = (r - np.maximum(g, b) > 45) & (r > 110)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    gray[red] = 255
    return gray


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink as 255, paper as 0; robust to uneven lighting and JPEG noise."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)


def _horizontal_mask(ink: np.ndarray) -> np.ndarray:
    length = max(25, ink.shape[1] // 30)
    return cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))


def skew_angle(gray: np.ndarray) -> float:
    """The page's rotation in degrees, from the long horizontal rules (0 if none are found)."""
    mask = _horizontal_mask(binarize(gray))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    angles = []
    for i in range(1, count):
        x, y, w, h, _ = stats[i]
        if w < gray.shape[1] // 5:
            continue
        ys, xs = np.nonzero(mask[y:y + h, x:x + w])
        if len(xs) > 50:
            slope = np.polyfit(xs, ys, 1)[0]
            angles.append(float(np.degrees(np.arctan(slope))))
    return float(np.median(angles)) if angles else 0.0


def deskew(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """The image rotated so its rules are level, and the angle corrected."""
    angle = skew_angle(gray)
    if abs(angle) < 0.05:
        return gray, 0.0
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255), angle


def bands_from_image(gray: np.ndarray) -> list[Band]:
    """Table rows of a level page image: bands between horizontal rules, with the vertical
    rules that cross each band from top to bottom (a character's stroke never does)."""
    ink = binarize(gray)
    horizontal = _horizontal_mask(ink)
    widths = horizontal.sum(axis=1) / 255
    if widths.max(initial=0) < gray.shape[1] * 0.2:
        return []
    rule_rows = np.nonzero(widths >= widths.max() * 0.5)[0]
    ys = cluster(rule_rows.astype(float), 3.0)
    found = []
    for top, bottom in zip(ys, ys[1:]):
        inner_top, inner_bottom = int(top) + 3, int(bottom) - 2
        if inner_bottom - inner_top < 6:
            continue
        column_ink = ink[inner_top:inner_bottom].sum(axis=0) / 255
        full = np.nonzero(column_ink >= (inner_bottom - inner_top) * 0.9)[0]
        edges = tuple(cluster(full.astype(float), 3.0))
        if len(edges) >= 2:
            found.append((float(top), float(bottom), edges))
    grid = cluster([x for _, _, edges in found for x in edges], 3.0)
    return first_band_opens([with_grid(top, bottom, edges, grid, _rule_spans(horizontal, top))
                              for top, bottom, edges in found])


def _rule_spans(horizontal: np.ndarray, y: float) -> list[tuple[float, float]]:
    """The x-intervals a horizontal rule covers at height ``y`` (a merged cell has a gap there)."""
    rows = horizontal[max(int(y) - 3, 0):int(y) + 4]
    if rows.size == 0:
        return []
    on = np.concatenate(([False], rows.max(axis=0) > 0, [False]))
    changes = np.flatnonzero(on[1:] != on[:-1])
    return [(float(a), float(b)) for a, b in zip(changes[::2], changes[1::2])]
