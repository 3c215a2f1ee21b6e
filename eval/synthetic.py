"""Synthetic forms with exact gold: both form types, OCR-like text, damage at a chosen noise level.

Vocabulary (project names, departments, units, goals, indicator rows with their levels,
targets, actuals and notes) is drawn from the visible gold labels; the numbers are new and
hold the way real forms hold them: 执行率 truncated to two decimals, the fund score from the
rate, indicator weights summing to 90, scores ≤ weights, 总分 = fund score + Σ scores, the
grade from its band; 申报表 fund sums add up.

Each form is printed as the seeds print it (tab-separated cells, merged level cells printed
once), then damaged: every kind in :data:`KINDS` is applied to a form with a probability set by
``level`` (:func:`kind_probability`): 0 is clean, 1 the default (each kind at its base rate, about
what the real seeds show), 2 every kind on every form (worse than the worst seed), 3 every kind
applied twice. Damage never changes what the gold says, except ``drop_values``, which
blanks cells and sets their gold to null. Everything is seeded: the same arguments give the
same documents.

``inconsistent`` variants print a number that breaks an identity (a wrong total, rate, fund
score or grade, a score over its weight); their label carries the finding the validators must
raise.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from eval import damage
from eval.dataset import DATA_DIR

CENT = Decimal("0.01")
LEVEL1_ORDER = ("成本指标", "产出指标", "效益指标", "满意度指标")

# kind → base rate per form at level 1 (roughly how often the seeds show it)
KINDS: dict[str, float] = {
    "shift_leading_cells": 0.35, "spaces_in_labels": 0.35, "fullwidth_punctuation": 0.3,
    "html_paragraphs": 0.25, "thousands_separators": 0.4, "split_row_over_page_break": 0.2,
    "drop_titles": 0.15, "drop_total_label": 0.15, "drop_table_heads": 0.1,
    "values_on_next_line": 0.25, "drop_values": 0.2,
}
DEFAULT_LEVEL = 1.0
INCONSISTENCIES = {
    "wrong_total_score": "total_score_mismatch", "wrong_execution_rate": "rate_mismatch",
    "wrong_fund_score": "fund_score_mismatch", "wrong_grade": "grade_mismatch", "score_over_weight": "score_out_of_range",
}


@dataclass
class SyntheticDocument:
    name: str
    text: str
    gold: list[dict[str, Any]]
    kinds: list[list[str]] = field(default_factory=list)        # damage applied, per form
    expected_findings: list[list[str]] = field(default_factory=list)   # finding codes, per form
    level: float = DEFAULT_LEVEL


# --- vocabulary from the visible gold ------------------------------------------------------

@dataclass(frozen=True)
class Vocabulary:
    names: tuple[str, ...]
    departments: tuple[str, ...]
    units: tuple[str, ...]
    goals: tuple[str, ...]
    se_rows: tuple[dict[str, Any], ...]
    td_rows: tuple[dict[str, Any], ...]
    natures: tuple[str, ...]
    categories: tuple[str, ...]


@lru_cache(maxsize=1)
def vocabulary(data_dir: Path = DATA_DIR) -> Vocabulary:
    forms = [f for path in sorted((data_dir / "gold").glob("*.json")) for f in json.loads(path.read_text(encoding="utf-8"))]
    pick = lambda key: tuple(sorted({f[key] for f in forms if f.get(key)}))  # noqa: E731
    goals = tuple(sorted({f[k] for f in forms for k in ("goal_expected", "goal_actual", "goal_annual", "goal_overall")
                          if f.get(k) and len(f[k]) < 200}))
    rows = lambda kind: tuple(r for f in forms if f["form_type"] == kind for r in f["indicators"]  # noqa: E731
                              if r.get("name") and r.get("level1") in LEVEL1_ORDER and r.get("level2"))
    return Vocabulary(pick("project_name"), pick("competent_department"), pick("implementing_unit"), goals,
                      rows("self_evaluation"), rows("target_declaration"), pick("project_nature"),
                      pick("project_category"))


# --- numbers that hold ------------------------------------------------------------------------

def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(str(round(rng.uniform(low, high), 2))).quantize(CENT)


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _indicator_rows(rng: random.Random, pool: tuple[dict[str, Any], ...], low: int, high: int) -> list[dict[str, Any]]:
    chosen = rng.sample(pool, min(len(pool), rng.randint(low, high)))
    names_seen: set[str] = set()
    rows = []
    for row in chosen:
        if row["name"] in names_seen:
            continue
        names_seen.add(row["name"])
        rows.append(dict(row))
    order = {name: i for i, name in enumerate(LEVEL1_ORDER)}
    rows.sort(key=lambda r: (order[r["level1"]], r["level2"]))
    return rows


def _weights(rng: random.Random, count: int, total: int = 90) -> list[Decimal]:
    cuts = sorted(rng.sample(range(1, total), count - 1)) if count > 1 else []
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, total])]
    return [Decimal(p).quantize(CENT) for p in parts]


def grade_of(total: Decimal) -> str:
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


def self_evaluation(rng: random.Random, vocab: Vocabulary) -> dict[str, Any]:
    annual = _money(rng, 5, 3000)
    initial = annual if rng.random() < 0.6 else _money(rng, 1, float(annual) * 1.2)
    executed = (annual * Decimal(str(rng.uniform(0.55, 1.0)))).quantize(CENT, rounding=ROUND_DOWN)
    rate = (executed / annual * 100).quantize(CENT, rounding=ROUND_DOWN)
    fund_score = (min(rate, Decimal(100)) / 100 * 10).quantize(CENT, rounding=ROUND_DOWN)
    zero = {"initial_budget": Decimal(0), "annual_budget": Decimal(0), "executed": Decimal(0),
            "execution_rate": Decimal(0), "weight": None, "score": None}
    rows = _indicator_rows(rng, vocab.se_rows, 3, 10)
    for row, weight in zip(rows, _weights(rng, len(rows))):
        row["weight"] = weight
        row["score"] = weight if rng.random() < 0.8 else (weight * Decimal(str(rng.uniform(0.5, 0.95)))).quantize(CENT)
        row["deviation_note"] = row.get("deviation_note") if row["score"] < weight else None
    total = fund_score + sum((r["score"] for r in rows), Decimal(0))
    return {
        "form_type": "self_evaluation", "year": rng.randint(2021, 2025), "project_name": rng.choice(vocab.names),
        "competent_department": rng.choice(vocab.departments), "implementing_unit": rng.choice(vocab.units),
        "funds_unit": "万元",
        "funds": {"total": {"initial_budget": initial, "annual_budget": annual, "executed": executed,
                            "execution_rate": rate, "weight": Decimal(10).quantize(CENT), "score": fund_score},
                  "current_year_appropriation": {"initial_budget": initial, "annual_budget": annual, "executed": executed,
                                                 "execution_rate": rate, "weight": None, "score": None},
                  "prior_year_carryover": dict(zero), "other": dict(zero)},
        "goal_expected": rng.choice(vocab.goals), "goal_actual": rng.choice(vocab.goals),
        "indicators": [{k: r.get(k) for k in ("level1", "level2", "name", "target", "actual", "weight", "score",
                                               "deviation_note")} for r in rows],
        "total_weight": Decimal(100).quantize(CENT), "total_score": total, "grade": grade_of(total),
    }


def target_declaration(rng: random.Random, vocab: Vocabulary) -> dict[str, Any]:
    current = _money(rng, 1000, 5_000_000)
    carryover = Decimal(0) if rng.random() < 0.7 else _money(rng, 100, 200_000)
    year = rng.randint(2022, 2026)
    rows = _indicator_rows(rng, vocab.td_rows, 4, 12)
    return {
        "form_type": "target_declaration", "year": year, "project_name": rng.choice(vocab.names),
        "project_nature": rng.choice(vocab.natures), "project_category": rng.choice(vocab.categories),
        "competent_department": rng.choice(vocab.departments), "implementing_unit": rng.choice(vocab.units),
        "plan_start": f"{year}-01-01", "plan_end": f"{year}-12-31", "funds_unit": "元",
        "funds": {"project_total": None, "project_fiscal": None, "project_other": None,
                  "annual_total": current + carryover, "current_year_appropriation": current,
                  "prior_year_carryover": carryover, "other": Decimal(0)},
        "goal_overall": None, "goal_annual": rng.choice(vocab.goals),
        "indicators": [{k: r.get(k) for k in ("level1", "level2", "name", "target")} for r in rows],
    }


# --- printing, as the seeds print -------------------------------------------------------------

def _level_cells(rows: list[dict[str, Any]], i: int) -> tuple[str, str]:
    """Merged cells: a level is printed on the first row of its group only."""
    row, before = rows[i], rows[i - 1] if i else None
    level1 = row["level1"] if before is None or before["level1"] != row["level1"] else ""
    level2 = row["level2"] if before is None or level1 or before["level2"] != row["level2"] else ""
    return level1, level2


def _indicator_lines(rows: list[dict[str, Any]], cells: Any) -> list[str]:
    """One line per indicator row; ``cells(i, row, level1, level2)`` gives the row's cells."""
    return ["\t".join(cells(i, row, *_level_cells(rows, i))) for i, row in enumerate(rows)]


def print_self_evaluation(form: dict[str, Any]) -> list[str]:
    f = form["funds"]
    fund_row = lambda label, r, scored: "\t".join(["", label, _fmt(r["initial_budget"]), _fmt(r["annual_budget"]),  # noqa: E731
                                                  _fmt(r["executed"]), _fmt(r["weight"]) if scored else "-",
                                                  _fmt(r["execution_rate"]), _fmt(r["score"]) if scored else "-"])
    lines = ["财政项目支出绩效自评表", f"({form['year']}年度)",
             f"项目名称\t\t{form['project_name']}\t\t\t\t\t",
             f"主管部门\t\t{form['competent_department']}\t\t实施单位\t\t{form['implementing_unit']}\t",
             "项目资金 (万元)\t\t年初预算数\t全年预算数\t全年执行数\t分数\t执行率(%)\t得分",
             fund_row("年度资金总额:", f["total"], True), fund_row("其中: 当年财政拨款", f["current_year_appropriation"], False),
             fund_row("上年结转资金", f["prior_year_carryover"], False), fund_row("其他资金", f["other"], False),
             "年度总体目标\t预期目标\t\t\t实际完成情况\t\t\t",
             f"\t{form['goal_expected'] or ''}\t\t\t{form['goal_actual'] or ''}\t\t\t",
             "一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施"]
    lines += _indicator_lines(form["indicators"], lambda i, row, level1, level2: [
        level1, level2, row["name"], row["target"] or "", row["actual"] or "", _fmt(row["weight"]), _fmt(row["score"]),
        row["deviation_note"] or ""])
    lines.append(f"总分\t\t\t\t\t{_fmt(form['total_weight'])}\t{_fmt(form['total_score'])}\t")
    lines.append(f"评分等级\t{form['grade']}\t\t\t\t\t\t")
    return lines


def print_target_declaration(form: dict[str, Any]) -> list[str]:
    f = form["funds"]
    lines = ["财政项目支出绩效目标申报表\t\t\t\t\t\t", f"({form['year']} 年度)\t\t\t\t\t\t",
             f"项目名称\t{form['project_name']}\t\t项目性质\t{form['project_nature']}\t项目类别\t{form['project_category']}",
             f"主管部门\t{form['competent_department']}\t\t实施单位\t{form['implementing_unit']}\t\t",
             f"计划开始日期\t{form['plan_start']}\t\t计划完成日期\t{form['plan_end']}\t\t",
             f"项目资金 (元)\t项目资金总额:\t\t年度资金申请总额:\t{_fmt(f['annual_total'])}\t\t",
             f"\t其中: 财政资金\t\t其中: 当年财政拨款\t{_fmt(f['current_year_appropriation'])}\t\t",
             f"\t\t\t上年结转资金\t{_fmt(f['prior_year_carryover'])}\t\t",
             f"\t其他资金\t\t其他资金\t{_fmt(f['other'])}\t\t",
             "项目 绩效 目标\t项目总目标\t\t\t年度总体目标\t\t",
             f"\t\t\t\t{form['goal_annual'] or ''}\t\t",
             "\t一级指标\t二级指标\t三级指标\t\t年度(/项目)指标值\t"]
    return lines + _indicator_lines(form["indicators"], lambda i, row, level1, level2: [
        "绩效 指标" if i == 0 else "", level1, level2, row["name"], "", row["target"] or "", ""])


# --- damage that needs the gold ---------------------------------------------------------------

def drop_values(form: dict[str, Any], rng: random.Random) -> None:
    """OCR lost a few cells: an indicator's target, actual or note, printed empty, gold null."""
    fields = ("target", "actual", "deviation_note") if form["form_type"] == "self_evaluation" else ("target",)
    for row in form["indicators"]:
        for name in fields:
            if row.get(name) and rng.random() < 0.12:
                row[name] = None


def values_on_next_line(lines: list[str], rng: random.Random) -> list[str]:
    """申报表: a header value printed on the line below its label."""
    out = []
    for line in lines:
        cells = line.split("\t")
        if cells[0] in ("项目名称", "主管部门") and len(cells) > 2 and cells[1] and rng.random() < 0.6:
            value, cells[1] = cells[1], ""
            out += ["\t".join(cells), f"\t{value}"]
        else:
            out.append(line)
    return out


def inconsistent(form: dict[str, Any], kind: str, rng: random.Random) -> None:
    """Print one number that breaks an identity (the label gets the finding it must raise)."""
    bump = Decimal(rng.choice(["1.00", "2.50", "7.30"]))
    if kind == "wrong_total_score":
        form["total_score"] -= bump
    elif kind == "wrong_execution_rate":
        form["funds"]["total"]["execution_rate"] -= bump
        form["funds"]["current_year_appropriation"]["execution_rate"] = form["funds"]["total"]["execution_rate"]
    elif kind == "wrong_fund_score":
        form["funds"]["total"]["score"] = max(Decimal(0), form["funds"]["total"]["score"] - bump)
    elif kind == "wrong_grade":
        form["grade"] = {"优": "良", "良": "优", "中": "差", "差": "中"}[form["grade"]]
    elif kind == "score_over_weight":
        row = form["indicators"][0]
        row["score"] = row["weight"] + bump


# --- documents ----------------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def kind_probability(base_rate: float, level: float) -> float:
    """0 → never; 1 → the base rate; 2 and above → always (linear in between)."""
    if level <= 1:
        return base_rate * max(level, 0.0)
    return min(1.0, base_rate + (1.0 - base_rate) * (level - 1))


def make_document(seed: int, *, level: float = DEFAULT_LEVEL, forms: tuple[int, int] = (2, 6),
                  inconsistency_rate: float = 0.0) -> SyntheticDocument:
    rng = random.Random(seed)
    vocab = vocabulary()
    texts, gold, kinds_per_form, expected = [], [], [], []
    for _ in range(rng.randint(*forms)):
        is_self = rng.random() < 0.6
        form = self_evaluation(rng, vocab) if is_self else target_declaration(rng, vocab)
        applied = [kind for kind, rate in KINDS.items() if rng.random() < kind_probability(rate, level)
                   and not (kind == "values_on_next_line" and is_self)]
        findings: list[str] = []
        if is_self and inconsistency_rate and rng.random() < inconsistency_rate:
            kind = rng.choice(sorted(INCONSISTENCIES))
            inconsistent(form, kind, rng)
            findings.append(INCONSISTENCIES[kind])
        if "drop_values" in applied:
            drop_values(form, rng)
        lines = print_self_evaluation(form) if is_self else print_target_declaration(form)
        if "values_on_next_line" in applied:
            lines = values_on_next_line(lines, rng)
        text = "\n".join(lines)
        text_kinds = [k for k in applied if k in damage.DAMAGES]
        passes = 2 if level >= 3 else 1
        for _ in range(passes):
            text = damage.damage(text, text_kinds, seed=rng.randrange(2**31))
        texts.append(text)
        gold.append(_jsonable(form))
        kinds_per_form.append(applied)
        expected.append(findings)
    return SyntheticDocument(f"synthetic-{seed:05d}", "\n\n".join(texts) + "\n", gold, kinds_per_form, expected, level)


def make_set(count_forms: int = 500, *, level: float = DEFAULT_LEVEL, seed: int = 0,
             inconsistency_rate: float = 0.0) -> list[SyntheticDocument]:
    """Documents until at least ``count_forms`` forms; the same arguments give the same set."""
    documents, total, n = [], 0, 0
    while total < count_forms:
        document = make_document(seed * 100_000 + n, level=level, inconsistency_rate=inconsistency_rate)
        documents.append(document)
        total += len(document.gold)
        n += 1
    return documents
