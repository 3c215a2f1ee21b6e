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


def _eval_lines():
    from benchmarks.throughput import eval_texts
    from extractor.layout import split_lines
    lines = [line for text in eval_texts() for line in split_lines(text)]
    extra = ["財政項目支出績效自評表", "项目支出绩效目标申报表（2025年度）", "详见《项目支出绩效目标申报表》",
             "绩效目标申报", "本表为绩效自评表。", "附件1\t项目支出绩效自评表", "年度\t报表", "表", "申报", "《绩效自评表》说明"]
    lines += split_lines("\n".join(extra))
    return lines


def test_title_type_prefilter_agrees_with_the_title_search():
    """title_type's test for a title's last character (表, 报) before the search: the same types as the
    search alone gives, on every line of the eval set and on title-like lines."""
    from extractor import segment
    from extractor.textconv import simplified

    def by_search(line):
        joined = line.key
        if not joined or len(joined) > segment._TITLE_MAX or joined.isascii():
            return None
        text = segment._QUOTED.sub("", simplified(joined))
        if segment._ANY_TITLE(text) is None:
            return None
        if "。" in text or "，" in text or "详见" in text or "附件" in text and len(text) > 20:
            return None
        return next((t for t, holds in segment._TITLES if holds(text)), None)

    lines = _eval_lines()
    found = [segment.title_type(line) for line in lines]
    assert found == [by_search(line) for line in lines]
    assert {"self_evaluation", "target_declaration"} <= set(found)
