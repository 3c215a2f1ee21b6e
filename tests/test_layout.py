"""The layout step: every cell's comparison key is the one ``normalize.key`` gives its text,
however the line is folded for speed."""

import random

from extractor.layout import split_lines
from extractor.normalize import key

# Characters where folding a whole line and folding one cell could part ways: combining marks,
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
