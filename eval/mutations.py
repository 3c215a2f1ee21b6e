"""Validator eval: mutate clean gold forms and count how often the validators notice.

Each mutation imitates one way an extraction goes wrong (a model or OCR slip). A mutation
is detected when validating the mutated form against its source text yields an error or
warning that the clean form did not have. Clean gold forms are validated too: any error
there is reported (a real inconsistency of the document, or a false alarm).
"""

from __future__ import annotations

import copy
import random
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from eval.dataset import DATA_DIR, load_cases
from extractor.framework import FRAMEWORK, PARENT
from extractor.layout import split_lines
from extractor.segment import split_forms
from extractor.validate import SourceText, validate_form
from extractor.validate.grounding import leaves
from schemas.forms import parse_form

Mutation = Callable[[dict[str, Any], random.Random], bool]
FUND_AMOUNTS = ("initial_budget", "annual_budget", "executed")
DIGIT_CONFUSIONS = {"0": "68", "6": "08", "8": "06", "1": "7", "7": "1"}


def _numeric_paths(form: dict[str, Any], nonzero: bool = False) -> list[str]:
    return [p for p, v in leaves(form) if isinstance(v, (int, float)) and not isinstance(v, bool)
            and p != "year" and (not nonzero or v != 0)]


def _get(form: dict[str, Any], path: str) -> Any:
    node: Any = form
    for part in path.replace("]", "").replace("[", ".").split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    return node


def _set(form: dict[str, Any], path: str, value: Any) -> None:
    parts = path.replace("]", "").replace("[", ".").split(".")
    node: Any = form
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    node[parts[-1]] = value


def numeric_perturbation(form: dict, rng: random.Random) -> bool:
    paths = _numeric_paths(form)
    if not paths:
        return False
    path = rng.choice(paths)
    value = Decimal(str(_get(form, path)))
    delta = Decimal(rng.choice(["0.37", "1", "2.5", "3", "12"]))
    _set(form, path, float(value + delta if value < delta or rng.random() < 0.5 else value - delta))
    return True


def ocr_digit_confusion(form: dict, rng: random.Random) -> bool:
    candidates = []
    for path in _numeric_paths(form):
        printed = f"{Decimal(str(_get(form, path))):.2f}"
        candidates += [(path, printed, i) for i, ch in enumerate(printed) if ch in DIGIT_CONFUSIONS]
    if not candidates:
        return False
    path, printed, i = rng.choice(candidates)
    swapped = printed[:i] + rng.choice(DIGIT_CONFUSIONS[printed[i]]) + printed[i + 1:]
    _set(form, path, float(Decimal(swapped)))
    return True


def decimal_shift(form: dict, rng: random.Random) -> bool:
    paths = _numeric_paths(form, nonzero=True)
    if not paths:
        return False
    path = rng.choice(paths)
    factor = Decimal(10) if rng.random() < 0.5 else Decimal("0.1")
    _set(form, path, float(Decimal(str(_get(form, path))) * factor))
    return True


def scale_slip(form: dict, rng: random.Random) -> bool:
    """An amount read in 元 where the form counts 万元, or the reverse."""
    paths = [p for p in _numeric_paths(form, nonzero=True) if p.startswith("funds.")
             and (form["form_type"] == "target_declaration" or p.endswith(FUND_AMOUNTS))]
    if not paths:
        return False
    path = rng.choice(paths)
    factor = Decimal(10000) if form.get("funds_unit") == "万元" else Decimal("0.0001")
    _set(form, path, float(Decimal(str(_get(form, path))) * factor))
    return True


def dropped_row(form: dict, rng: random.Random) -> bool:
    if len(form["indicators"]) < 2:
        return False
    form["indicators"].pop(rng.randrange(len(form["indicators"])))
    return True


FABRICATIONS = ("提升居民幸福感和获得感", "≥95.00(%)", "按计划完成全部建设任务", "资金使用规范")


def fabricated_value(form: dict, rng: random.Random) -> bool:
    """A value the document does not show: a null filled in, or a text replaced."""
    nulls = [p for p, v in _all_leaves(form) if v is None and not p.endswith(("weight", "score"))]
    path = rng.choice(nulls) if nulls else rng.choice([p for p, v in leaves(form) if isinstance(v, str)])
    current = None
    try:
        current = _get(form, path)
    except (KeyError, IndexError):
        pass
    if path.startswith("funds.") or path in ("total_weight", "total_score"):
        _set(form, path, 12345.67)
    else:
        _set(form, path, rng.choice([f for f in FABRICATIONS if f != current]))
    return True


NOT_FABRICATED = ("year", "plan_start", "plan_end", "funds_unit", "grade", "level1", "level2")


def _all_leaves(form: dict) -> list[tuple[str, Any]]:
    """Leaves a fabrication may target, null ones included."""
    return [(p, v) for p, v in leaves(form, include_null=True) if p.rsplit(".", 1)[-1] not in NOT_FABRICATED]


def moved_hierarchy(form: dict, rng: random.Random) -> bool:
    """A row placed under the wrong branch of the framework."""
    rows = [r for r in form["indicators"] if r.get("level2") in PARENT]
    if not rows:
        return False
    row = rng.choice(rows)
    others = [l1 for l1 in FRAMEWORK if l1 != row["level1"]]
    if rng.random() < 0.5:
        row["level1"] = rng.choice(others)
    else:
        row["level2"] = rng.choice(FRAMEWORK[rng.choice(others)])
    return True


def wrong_grade(form: dict, rng: random.Random) -> bool:
    if form["form_type"] != "self_evaluation" or not form.get("grade"):
        return False
    form["grade"] = rng.choice([g for g in "优良中差" if g != form["grade"]])
    return True


def wrong_total(form: dict, rng: random.Random) -> bool:
    field = "total_score" if form["form_type"] == "self_evaluation" else None
    if field is None:
        if form["funds"].get("annual_total") is None:
            return False
        form["funds"]["annual_total"] = float(Decimal(str(form["funds"]["annual_total"])) + Decimal(rng.choice(["1000", "50000"])))
        return True
    if form.get(field) is None:
        return False
    form[field] = float(Decimal(str(form[field])) - Decimal(rng.choice(["0.5", "1", "2", "5"])))
    return True


MUTATIONS: dict[str, Mutation] = {
    "numeric_perturbation": numeric_perturbation,
    "ocr_digit_confusion": ocr_digit_confusion,
    "decimal_shift": decimal_shift,
    "scale_slip": scale_slip,
    "dropped_row": dropped_row,
    "fabricated_value": fabricated_value,
    "moved_hierarchy": moved_hierarchy,
    "wrong_grade": wrong_grade,
    "wrong_total": wrong_total,
}


@dataclass
class ValidatorReport:
    forms: int = 0
    clean_with_errors: list[dict[str, Any]] = field(default_factory=list)
    detection: dict[str, dict[str, int]] = field(default_factory=dict)
    missed: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "forms": self.forms,
            "clean_forms_with_error_findings": len({(e["document"], e["form"]) for e in self.clean_with_errors}),
            "clean_error_findings": self.clean_with_errors,
            "detection": {k: {**v, "recall": round(v["detected"] / v["trials"], 4) if v["trials"] else None}
                          for k, v in self.detection.items()},
            "missed": self.missed[:50],
        }


def _flags(form_data: dict, source: SourceText) -> set[tuple[str, str]]:
    validation = validate_form(parse_form(form_data), source)
    return {(f.code, f.path) for f in validation.findings if f.severity in ("error", "warning")}


def run_validator_eval(data_dir=DATA_DIR, trials: int = 5, seed: int = 0) -> ValidatorReport:
    report = ValidatorReport()
    for case in load_cases(data_dir):
        text = case.text_path.read_text(encoding="utf-8")
        lines = split_lines(text)
        blocks = split_forms(lines)
        if len(blocks) != len(case.gold):
            continue
        for index, (block, gold) in enumerate(zip(blocks, case.gold)):
            report.forms += 1
            source = SourceText(text, lines, block.first_line, block.last_line)
            clean = validate_form(parse_form(gold), source)
            report.clean_with_errors += [{"document": case.name, "form": index, **f.as_dict()} for f in clean.errors()]
            baseline = {(f.code, f.path) for f in clean.findings if f.severity in ("error", "warning")}
            for name, mutate in MUTATIONS.items():
                counts = report.detection.setdefault(name, {"trials": 0, "detected": 0})
                for trial in range(trials):
                    rng = random.Random(zlib.crc32(f"{seed}/{case.name}/{index}/{name}/{trial}".encode()))
                    mutated = copy.deepcopy(gold)
                    if not mutate(mutated, rng):
                        break
                    counts["trials"] += 1
                    if _flags(mutated, source) - baseline:
                        counts["detected"] += 1
                    else:
                        report.missed.append({"mutation": name, "document": case.name, "form": index, "trial": trial})
    return report
