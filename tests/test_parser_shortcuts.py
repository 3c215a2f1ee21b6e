"""The parser's shortcuts give what the longer computation they replace gives, on varied input."""

from __future__ import annotations

import pytest

from extractor import textconv

_TEXTS = ["財政項目支出績效自評表", "财政项目支出绩效自评表", "abc 123", "", "預算執行情況(萬元)", "項目名稱：",
          "满意度指标", "乾隆", "髮型", "100%", "≥80.00(%)", "一級指標\t二級指標", "臺灣"]


@pytest.mark.parametrize("primed", [False, True])
def test_simplified_is_opencc_of_the_text(primed):
    """simplified (a dict subscript that converts on a miss) returns OpenCC's t2s of each text alone,
    whether or not prime converted the texts first, and ASCII text as is."""
    textconv.simplified.cache_clear()
    if primed:
        textconv.prime(_TEXTS)
    for text in _TEXTS:
        alone = text if text.isascii() else textconv._CONVERTER.convert(text)
        assert textconv.simplified(text) == alone
        assert textconv.simplified(text) == alone      # the second look-up, held
    textconv.simplified.cache_clear()
    assert len(textconv._CACHE) == 0


def test_simplified_cache_stays_bounded(monkeypatch):
    """The conversions are emptied when full, as the memo before them was."""
    monkeypatch.setattr(textconv, "_CACHE_MAX", 4)
    textconv.simplified.cache_clear()
    for n in range(10):
        assert textconv.simplified(f"項目{n}") == f"项目{n}"
        assert len(textconv._CACHE) <= 4
    textconv.simplified.cache_clear()
