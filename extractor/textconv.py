"""Traditional → Simplified Chinese for matching labels and titles (OpenCC), never for values."""

from __future__ import annotations

from functools import lru_cache

import opencc

_CONVERTER = opencc.OpenCC("t2s")


@lru_cache(maxsize=1 << 14)
def simplified(text: str) -> str:
    """``財政項目支出績效自評表`` → ``财政项目支出绩效自评表``; ASCII and Simplified text are returned as is."""
    if text.isascii():
        return text
    return _CONVERTER.convert(text)
