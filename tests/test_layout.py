"""The layout step: every cell's comparison key is the one ``normalize.key`` gives its text
(the layout computes it inline, for speed); a document's lines simplified at once read as each alone."""

import random

from extractor.layout import split_lines
from extractor.normalize import key

# Characters where a shortcut in computing a key could part from normalize.key: combining marks,
# half-width katakana and their voiced marks, ideographic and no-break spaces, full-width forms,
# characters NFKC expands (㍿, ﬁ), tags, CJK with the spaces OCR puts inside it.
ALPHABET = ["项", "目", "名", "称", "Ａ", "１", "２", "。", " ", "\u3000", "\xa0", "\u0301", "\u302a", "ｶ", "ﾞ", "ﾟ",
            "e", "㍿", "ﬁ", "<b>", "</b>", "<", ">", "(", "（", "％", "-", "—", ".", ",", "，", "\u2003", "\t"]


def _document(rng: random.Random) -> str:
    lines = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(40)]
    return "\n".join(lines)


def test_every_cell_key_is_the_key_of_its_text_and_its_span_prints_it():
    rng = random.Random(7)
    for _ in range(200):
        text = _document(rng)
        for line in split_lines(text):
            for cell in line.cells:
                assert cell.key == key(cell.text), (cell, line.raw)
                assert text[cell.start:cell.end].strip() == text[cell.start:cell.end]
                assert cell.text and cell.key is not None


def test_lines_simplified_in_one_conversion_read_as_each_alone(cases):
    """textconv.prime converts a document's lines at once; each must come back as it would alone
    (Traditional phrases such as 反覆 that convert only as a whole included)."""
    from extractor import textconv

    texts = ["反覆", "覆", "乾淨", "乾隆", "甚麼", "財政項目支出績效自評表", "三級指標", "項目名稱：", "手錶", "ascii"]
    for case in cases:
        texts += [line.key for line in split_lines(case.text_path.read_text(encoding="utf-8"))]
    textconv.simplified.cache_clear()
    textconv.prime(texts)
    assert all(t in textconv._CACHE for t in texts if not t.isascii())     # converted in the one call
    primed = {t: textconv.simplified(t) for t in texts}
    alone = {t: (t if t.isascii() else textconv._CONVERTER.convert(t)) for t in texts}
    assert primed == alone
    assert primed["反覆"] == "反复" and primed["三級指標"] == "三级指标"


def test_nfkc_is_unicodedatas_nfkc_on_any_mix_of_full_width_punctuation_and_other_compatibility_characters():
    """normalize.nfkc replaces full-width punctuation by hand where that is all NFKC would change; a
    combining mark, a half-width kana or a ligature beside it must still come out as NFKC gives it."""
    import unicodedata

    from extractor.normalize import nfkc

    alphabet = ["，", "（", "）", "；", "：", "％", "！", "？", "项", "目", "1", "a", " ", "\u3000", "\u0301", "\u0308",
                "ｶ", "ﾞ", "㍿", "ﬁ", "¨", "Ａ", "。", "、", "—", "(", ","]
    rng = random.Random(11)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert nfkc(text) == unicodedata.normalize("NFKC", text), ascii(text)


def test_spaces_between_chinese_characters_close_up_as_the_look_behind_pattern_closed_them():
    """normalize's pattern opens with the space (a search skips to it); it removes what
    ``(?<=[CJK])[ \u3000]+(?=[CJK])`` removes, ideographic spaces (themselves in the CJK range) included."""
    import re

    from extractor.normalize import _CJK, _SPACE_BETWEEN_CJK

    plain = re.compile(rf"(?<=[{_CJK}])[ \u3000]+(?=[{_CJK}])")
    alphabet = ["中", "文", " ", "\u3000", "a", "1", "（", "，", "\u302a", "ｶ", "。"]
    rng = random.Random(13)
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert _SPACE_BETWEEN_CJK.sub("", text) == plain.sub("", text), ascii(text)
