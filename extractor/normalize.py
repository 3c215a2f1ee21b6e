"""Text and number normalisation shared by the parser, the validators and the scorer.

``key()`` is the comparison form of a text (NFKC, no whitespace, no HTML tags): it is
used to match labels and to compare values, never written to the output. Values keep
the document's own characters; only OCR artefacts are removed (HTML tags, spaces that
OCR put between two Chinese characters).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from decimal import Decimal, InvalidOperation

_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,40}>")
DATE = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})")
_WS = re.compile(r"\s+")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
# Spaces between two Chinese characters: a run starting right after one and ending right before one.
# The pattern opens with a space (not with the look behind) so that a search skips to the next space.
_SPACE_BETWEEN_CJK = re.compile(rf"[ \u3000](?<=[{_CJK}][ \u3000])[ \u3000]*(?=[{_CJK}])")
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
PLACEHOLDERS = frozenset({"-", "—", "－", "–", "―", "——", "--", "一", "/", "／", "‐", "‑", "−"})


def strip_tags(text: str) -> str:
    return _TAG.sub("", text) if "<" in text else text


def blank_tags(text: str) -> str:
    """HTML tags replaced by spaces of the same length, so character offsets stay valid."""
    return _TAG.sub(lambda m: " " * len(m.group()), text) if "<" in text else text


def normalise_date(text: str | None) -> str | None:
    """``2025-01-01`` / ``2025.1.1`` / ``2025年1月1日`` → ``2025-01-01``; anything else → None."""
    match = DATE.search(text) if text else None
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def clean_text(text: str) -> str:
    """A cell's value as written to the output: tags removed, OCR spaces inside Chinese closed up."""
    text = strip_tags(text).strip()
    return _SPACE_BETWEEN_CJK.sub("", text)


_KEYS: dict[str, str] = {}      # text → key: the layout step fills it with every cell's key
_KEYS_MAX = 1 << 16


def key(text: str | None) -> str:
    """Comparison form: NFKC, no HTML tags, no whitespace."""
    if not text:
        return ""
    found = _KEYS.get(text)
    return found if found is not None else _key(text)


def _key(text: str) -> str:
    return remember_key(text, _WS.sub("", nfkc(strip_tags(text))))


_is_normalized = unicodedata.is_normalized
# The full-width punctuation Chinese text prints (，（）；：％！？): NFKC maps each to one ASCII character.
_FULL_WIDTH = tuple((ch, unicodedata.normalize("NFKC", ch)) for ch in "，（）；：％！？")
assert all(len(a) == 1 and a.isascii() and _is_normalized("NFKD", a) for _, a in _FULL_WIDTH)


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, cheaper on Chinese text (full NFKC costs ~0.1 µs a
    character): a normalized text is returned as is (one C pass), and one whose only compatibility
    characters are full-width punctuation gets their ASCII forms by ``replace``. That is NFKC's
    result too: each of those characters decomposes to one ASCII character that decomposes no further,
    so the text's NFKD is unchanged, and a text in NFKC already is its own NFKC."""
    if _is_normalized("NFKC", text):
        return text
    replaced = text
    for wide, narrow in _FULL_WIDTH:
        if wide in replaced:
            replaced = replaced.replace(wide, narrow)
    return replaced if _is_normalized("NFKC", replaced) else unicodedata.normalize("NFKC", text)


def remember_key(text: str, k: str) -> str:
    if len(_KEYS) >= _KEYS_MAX:
        _KEYS.clear()
    _KEYS[text] = k
    return k


def key_index() -> dict[str, str]:
    """The text → key dict itself, for the layout step to record the keys it derives from folded
    lines (it empties it when full, as :func:`remember_key` does)."""
    return _KEYS


_key.cache_clear = _KEYS.clear  # type: ignore[attr-defined]   # the benchmarks' reset between documents


_DASHES = frozenset("-—－–―")


def is_placeholder(text: str) -> bool:
    """``-``, ``—``, ``－`` and friends: the cell is deliberately empty."""
    k = key(text)
    return k in PLACEHOLDERS or (bool(text.strip()) and _DASHES.issuperset(k))


@lru_cache(maxsize=1 << 16)
def _parse_number(text: str | None) -> Decimal | None:
    """A plain printed number (``6,881.38``, ``１００``) as Decimal, else None. Never rounds."""
    if text is None:
        return None
    k = key(text).replace("，", ",")
    if not _NUMBER.match(k):
        return None
    try:
        return Decimal(k.replace(",", ""))
    except InvalidOperation:
        return None


parse_number = _parse_number     # one call, not a wrapper around the cached function


def is_number(text: str) -> bool:
    return parse_number(text) is not None


def canonical_number(value: Decimal | float | int | str) -> str:
    """``100``, ``100.0`` and ``100.00`` all give ``100``: the text form used to compare numbers."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if d == d.to_integral():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")
