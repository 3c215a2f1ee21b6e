"""Seeded OCR damage applied to real seed texts, keeping their gold labels valid.

Each transform imitates one fault seen in the archives and changes no value the gold
records, so the same gold scores the damaged text. Used by the robustness tests and
``python -m eval.damage`` (F1 per damage kind).
"""

from __future__ import annotations

import random
import re
from typing import Callable

from extractor.framework import LEVEL1, LEVEL2

Transform = Callable[[str, random.Random], str]
_LABELS = sorted(LEVEL1 + LEVEL2, key=len, reverse=True)
_TITLE = re.compile(r"财政项目支出绩效(自评表|目标申报表)")
_FUND_NUMBER = re.compile(r"(?<![\d.,])(\d{4,})(\.\d{2})(?![\d%])")


def _lines(text: str) -> list[str]:
    return text.split("\n")


def drop_titles(text: str, rng: random.Random) -> str:
    """OCR lost the form titles."""
    return "\n".join(l for l in _lines(text) if not _TITLE.search(l.replace(" ", "")))


def drop_total_label(text: str, rng: random.Random) -> str:
    """The 总分 row lost its label cell."""
    return "\n".join(re.sub(r"^总\s*分(?=\t)", "", l) for l in _lines(text))


def spaces_in_labels(text: str, rng: random.Random) -> str:
    """满意度指标 → 满意 度指 标: OCR put spaces inside level labels."""
    out = []
    for line in _lines(text):
        cells = line.split("\t")
        for i, cell in enumerate(cells):
            if cell.strip() in _LABELS and rng.random() < 0.7:
                chars = list(cell.strip())
                cells[i] = "".join(c + (" " if rng.random() < 0.4 and j < len(chars) - 1 else "") for j, c in enumerate(chars))
        out.append("\t".join(cells))
    return "\n".join(out)


def shift_leading_cells(text: str, rng: random.Random) -> str:
    """A row's leading empty cells doubled or dropped."""
    out = []
    for line in _lines(text):
        if line.startswith("\t") and rng.random() < 0.5:
            line = line[1:] if rng.random() < 0.5 else "\t" + line
        out.append(line)
    return "\n".join(out)


def fullwidth_punctuation(text: str, rng: random.Random) -> str:
    """Half-width brackets and colons turned full-width (or back)."""
    table = str.maketrans({"(": "（", ")": "）", ":": "："})
    return "\n".join(l.translate(table) if rng.random() < 0.5 else l for l in _lines(text))


def html_paragraphs(text: str, rng: random.Random) -> str:
    """OCR wrapped long cells in <p> tags."""
    out = []
    for line in _lines(text):
        cells = [f"<p>{c}</p>" if len(c.strip()) > 30 else c for c in line.split("\t")]
        out.append("\t".join(cells))
    return "\n".join(out)


def thousands_separators(text: str, rng: random.Random) -> str:
    """Amounts in the fund table printed with thousands separators."""
    out = []
    for line in _lines(text):
        if "资金" in line:
            line = _FUND_NUMBER.sub(lambda m: f"{int(m.group(1)):,}{m.group(2)}", line)
        out.append(line)
    return "\n".join(out)


def split_row_over_page_break(text: str, rng: random.Random) -> str:
    """A self-evaluation row's text cells split in two, the tails after a blank line."""
    lines = _lines(text)
    out = []
    for line in lines:
        cells = line.split("\t")
        scores = [i for i in range(len(cells) - 1) if re.fullmatch(r"\d+\.\d+", cells[i].strip()) and re.fullmatch(r"\d+\.\d+", cells[i + 1].strip())]
        if scores and rng.random() < 0.25:
            anchor = scores[-1]
            name_col = anchor - 3
            name_ok = name_col >= 0 and re.search(r"[\u4e00-\u9fff]", cells[name_col]) and "资金" not in line
            if name_ok and len(cells[name_col].strip()) >= 6 and cells[name_col].strip() not in _LABELS:
                name = cells[name_col]
                cut = len(name) // 2
                head = cells[:]
                head[name_col] = name[:cut]
                tail = [""] * len(cells)
                tail[name_col] = name[cut:]
                out.extend(["\t".join(head), "", "\t".join(tail)])
                continue
        out.append(line)
    return "\n".join(out)


def drop_table_heads(text: str, rng: random.Random) -> str:
    """The indicator table's head row (一级指标 二级指标 三级指标 …) was lost."""
    return "\n".join(l for l in _lines(text) if "三级指标" not in l.replace(" ", ""))


DAMAGES: dict[str, Transform] = {
    "drop_table_heads": drop_table_heads,
    "drop_titles": drop_titles,
    "drop_total_label": drop_total_label,
    "spaces_in_labels": spaces_in_labels,
    "shift_leading_cells": shift_leading_cells,
    "fullwidth_punctuation": fullwidth_punctuation,
    "html_paragraphs": html_paragraphs,
    "thousands_separators": thousands_separators,
    "split_row_over_page_break": split_row_over_page_break,
}


def damage(text: str, kinds: list[str], seed: int = 0) -> str:
    rng = random.Random(seed)
    for kind in kinds:
        text = DAMAGES[kind](text, rng)
    return text


def main() -> None:
    from eval.compare import compare_document
    from eval.dataset import load_cases
    from eval.evaluators import prf
    from extractor.backends.rules import RulesBackend
    from extractor.pipeline import extract_text

    backend = RulesBackend()
    cases = load_cases()
    for kinds in [[k] for k in DAMAGES] + [list(DAMAGES)]:
        results = []
        for seed in range(3):
            for case in cases:
                text = damage(case.text_path.read_text(encoding="utf-8"), kinds, seed)
                pred = [f.form.model_dump(mode="json") for f in extract_text(text, backend=backend).forms]
                results.extend(compare_document(case.name, case.gold, pred))
        score = prf(results)
        print(f"{'+'.join(kinds) if len(kinds) == 1 else 'all damage at once':<28} F1 {score.f1:.4f}  P {score.precision:.4f}  R {score.recall:.4f}")


if __name__ == "__main__":
    main()
