"""Validating a hand-off result formex did not write: forms located in the source by segmenting it."""

from __future__ import annotations

import copy
import json
import random
import zlib
from decimal import Decimal

from click.testing import CliRunner

from eval.mutations import MUTATIONS
from extractor.cli import main
from extractor.layout import split_lines
from extractor.revalidate import locate_forms, pair_forms_to_blocks, revalidate_text
from extractor.validate import SourceText, validate_form
from schemas.forms import parse_form


def test_the_gold_of_the_visible_set_has_no_error_against_its_sources(cases):
    for case in cases:
        checked = revalidate_text(copy.deepcopy(case.gold), case.text_path.read_text(encoding="utf-8"))
        assert checked.notes == []                                       # every form found in the source
        errors = [(case.name, i, f["code"], f["path"]) for i, (_, _, findings) in enumerate(checked.statuses)
                  for f in findings if f["severity"] == "error"]
        assert errors == []


def _flags(form_data: dict, text: str, lines, located) -> set[tuple[str, str]]:
    first, last = located
    validation = validate_form(parse_form(form_data), SourceText(text, lines, first, last))
    return {(f.code, f.path) for f in validation.findings if f.severity in ("error", "warning")}


def _score(form, rng):
    rows = [r for r in form["indicators"] if r.get("score") is not None]
    if not rows:
        return False
    row = rng.choice(rows)
    row["score"] = float(Decimal(str(row["score"])) - Decimal(rng.choice(["0.5", "1", "3"])))
    return True


def _amount(form, rng):
    funds = form["funds"]
    cells = [(name, column) for name, row in funds.items() if isinstance(row, dict) for column, v in row.items()
             if v and column in ("initial_budget", "annual_budget", "executed")]
    cells += [(name, None) for name, v in funds.items() if isinstance(v, (int, float)) and v]
    if not cells:
        return False
    name, column = rng.choice(cells)
    holder, slot = (funds[name], column) if column else (funds, name)
    holder[slot] = float(Decimal(str(holder[slot])) + Decimal(rng.choice(["1", "12.5", "300"])))
    return True


def _fabricated(field):
    def mutate(form, rng):
        rows = form["indicators"]
        if not rows:
            return False
        rng.choice(rows)[field] = rng.choice(["≥97.00(%)", "提升周边居民出行便利度"] if field == "target"
                                             else ["新增社区养老服务站点数", "居民出行便利度提升率"])
        return True
    return mutate


KINDS = {"score": _score, "amount": _amount, "fabricated_target": _fabricated("target"),
         "fabricated_name": _fabricated("name"), "dropped_row": MUTATIONS["dropped_row"],
         "total": MUTATIONS["wrong_total"], **MUTATIONS}


def detection(cases) -> dict[str, float]:
    """Recall per mutation kind; the forms are located from the mutated result itself (no source_lines)."""
    counts = {kind: [0, 0] for kind in KINDS}
    for case in cases:
        text = case.text_path.read_text(encoding="utf-8")
        lines = split_lines(text)
        clean_ranges = locate_forms(case.gold, [parse_form(g) for g in case.gold], lines)
        for index, gold in enumerate(case.gold):
            baseline = _flags(gold, text, lines, clean_ranges[index])
            for kind, mutate in KINDS.items():
                for trial in range(3):
                    rng = random.Random(zlib.crc32(f"{case.name}/{index}/{kind}/{trial}".encode()))
                    forms = copy.deepcopy(case.gold)
                    if not mutate(forms[index], rng):
                        break
                    located = locate_forms(forms, [parse_form(f) for f in forms], lines)[index]
                    assert located is not None
                    counts[kind][0] += 1
                    counts[kind][1] += bool(_flags(forms[index], text, lines, located) - baseline)
    return {kind: detected / trials for kind, (trials, detected) in counts.items() if trials}


def test_each_mutation_of_gold_without_source_lines_is_detected(cases):
    recall = detection(cases)
    assert set(recall) == set(KINDS)
    assert min(recall.values()) >= 0.95, recall


def test_forms_pair_with_source_forms_by_order_and_name():
    blocks = [("self_evaluation", "甲"), ("self_evaluation", "乙"), ("target_declaration", "丙")]
    assert pair_forms_to_blocks([("self_evaluation", "乙"), ("target_declaration", "丙")], blocks) == [1, 2]
    assert pair_forms_to_blocks([("self_evaluation", "改过的名字"), ("self_evaluation", "乙")], blocks) == [0, 1]
    assert pair_forms_to_blocks([("target_declaration", "丁")] * 2, blocks[:2]) == [None, None]


def test_formex_validate_reads_gold_and_says_when_the_source_differs(tmp_path, cases):
    case = cases[0]
    result = tmp_path / "result.json"
    result.write_text(json.dumps({"sha256": "0" * 64, "forms": case.gold}, ensure_ascii=False), encoding="utf-8")
    outcome = CliRunner().invoke(main, ["validate", str(result), "--source", str(case.text_path)])
    first = outcome.output.splitlines()[0]
    assert first.startswith("note: the source's sha256") and "differs from the one the result records" in first
    assert outcome.exit_code == 0, outcome.output
    assert "[error]" not in outcome.output


def test_formex_validate_without_sha256_prints_no_note(tmp_path, cases):
    case = cases[1]
    result = tmp_path / "gold.json"
    result.write_text(json.dumps(case.gold, ensure_ascii=False), encoding="utf-8")
    outcome = CliRunner().invoke(main, ["validate", str(result), "--source", str(case.text_path), "-o", str(tmp_path / "o.json")])
    assert outcome.exit_code == 0 and not outcome.output.startswith("note:")
    written = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    assert all(f["source_lines"][0] > 1 or i == 0 for i, f in enumerate(written))   # each form its own lines
