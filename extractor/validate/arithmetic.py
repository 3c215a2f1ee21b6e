"""Arithmetic identities the forms obey. A broken identity is flagged, never corrected.

Rates and fund scores on real forms are truncated to two decimals (0.9553… → 95.53); some
are rounded. Either is accepted; anything else is flagged.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Iterable

from extractor.validate.findings import Finding
from schemas import SelfEvaluationForm, TargetDeclarationForm

CENT = Decimal("0.01")
TOLERANCE = Decimal("0.005")
SUM_TOLERANCE = Decimal("0.015")
FUND_ROWS = ("total", "current_year_appropriation", "prior_year_carryover", "other")
GRADE_BANDS = (("优", Decimal(90)), ("良", Decimal(80)), ("中", Decimal(60)), ("差", Decimal("-1")))
_TARGET = re.compile(r"^\s*([≥≤>＞<＜=＝≧≦])\s*(\d+(?:\.\d+)?)")
_ACTUAL = re.compile(r"^\s*(\d+(?:\.\d+)?)")


def two_decimal_candidates(exact: Decimal) -> set[Decimal]:
    return {exact.quantize(CENT, rounding=ROUND_DOWN), exact.quantize(CENT, rounding=ROUND_HALF_UP)}


def _close(a: Decimal, b: Decimal, tol: Decimal = TOLERANCE) -> bool:
    return abs(a - b) <= tol


def check_self_evaluation(form: SelfEvaluationForm) -> Iterable[Finding]:
    yield from _fund_rates(form)
    yield from _fund_score(form)
    yield from _fund_columns(form)
    yield from _totals(form)
    yield from _scores_within_weights(form)
    yield from _grade(form)
    yield from _achievement(form)


def _fund_rates(form: SelfEvaluationForm) -> Iterable[Finding]:
    for name in FUND_ROWS:
        row = getattr(form.funds, name)
        if row.annual_budget is None or row.executed is None or row.execution_rate is None:
            continue
        if row.annual_budget == 0:
            expected = {Decimal(0)} if row.executed == 0 else set()
        else:
            exact = row.executed / row.annual_budget * 100
            if abs(row.execution_rate - exact.quantize(CENT, rounding=ROUND_DOWN)) <= TOLERANCE:
                continue            # the truncated rate, the usual one, is among the expected: nothing to find
            expected = two_decimal_candidates(exact)
            if exact > 100:             # min(exact, 100) is exact itself otherwise
                expected |= two_decimal_candidates(Decimal(100))
        if expected and all(abs(row.execution_rate - e) > TOLERANCE for e in expected):
            yield Finding("rate_mismatch", "error", f"funds.{name}.execution_rate",
                          "执行率 is not 全年执行数 / 全年预算数 × 100 (truncated or rounded)",
                          expected=min(expected), found=row.execution_rate,
                          identity=f"执行率 {row.execution_rate} ≠ 全年执行数 {row.executed} / 全年预算数 "
                                   f"{row.annual_budget} × 100 = {min(expected)}")


def _fund_score(form: SelfEvaluationForm) -> Iterable[Finding]:
    row = form.funds.total
    if row.execution_rate is None or row.weight is None or row.score is None:
        return
    exact = min(row.execution_rate, Decimal(100)) / 100 * row.weight
    if abs(row.score - exact.quantize(CENT, rounding=ROUND_DOWN)) <= TOLERANCE:
        return                      # the truncated score, the usual one, is among the expected: nothing to find
    expected = two_decimal_candidates(exact)
    if all(abs(row.score - e) > TOLERANCE for e in expected):
        yield Finding("fund_score_mismatch", "error", "funds.total.score",
                      "资金得分 is not min(执行率, 100)/100 × 分数", expected=min(expected), found=row.score,
                      identity=f"资金得分 {row.score} ≠ min(执行率 {row.execution_rate}, 100)/100 × 分数 {row.weight} "
                               f"= {min(expected)}")


def _fund_columns(form: SelfEvaluationForm) -> Iterable[Finding]:
    parts = [getattr(form.funds, n) for n in FUND_ROWS[1:]]
    for column in ("initial_budget", "annual_budget", "executed"):
        total = getattr(form.funds.total, column)
        values = [getattr(p, column) for p in parts]
        if total is None or any(v is None for v in values):
            continue
        expected = sum(values, Decimal(0))
        if not _close(total, expected, SUM_TOLERANCE):
            yield Finding("fund_sum_mismatch", "error", f"funds.total.{column}",
                          "年度资金总额 is not 当年财政拨款 + 上年结转资金 + 其他资金", expected=expected, found=total,
                          identity=f"年度资金总额 {total} ≠ 当年财政拨款 {values[0]} + 上年结转资金 {values[1]} "
                                   f"+ 其他资金 {values[2]} = {expected}")


def _totals(form: SelfEvaluationForm) -> Iterable[Finding]:
    rows = form.indicators
    if form.total_score is not None and all(r.score is not None for r in rows):
        scores = sum((r.score for r in rows), Decimal(0))
        expected = (form.funds.total.score or 0) + scores
        if not _close(form.total_score, expected, SUM_TOLERANCE):
            yield Finding("total_score_mismatch", "error", "total_score",
                          "总分 得分 is not 资金得分 + Σ 指标得分", expected=expected, found=form.total_score,
                          identity=f"总分 {form.total_score} ≠ 资金得分 {form.funds.total.score or 0} + Σ 指标得分 {scores}"
                                   f" = {expected}")
    if form.total_weight is not None and all(r.weight is not None for r in rows):
        weights = sum((r.weight for r in rows), Decimal(0))
        expected = (form.funds.total.weight or 0) + weights
        if not _close(form.total_weight, expected, SUM_TOLERANCE):
            yield Finding("total_weight_mismatch", "error", "total_weight",
                          "总分 分值 is not 资金分数 + Σ 分值", expected=expected, found=form.total_weight,
                          identity=f"总分 分值 {form.total_weight} ≠ 资金分数 {form.funds.total.weight or 0} + Σ 分值 "
                                   f"{weights} = {expected}")


def _scores_within_weights(form: SelfEvaluationForm) -> Iterable[Finding]:
    pairs = [(i, r.weight, r.score) for i, r in enumerate(form.indicators)]
    pairs.append((None, form.funds.total.weight, form.funds.total.score))
    for i, weight, score in pairs:
        if weight is None or score is None:
            continue
        if score < 0 or score > weight:
            path = "funds.total" if i is None else f"indicators[{i}]"
            yield Finding("score_out_of_range", "error", f"{path}.score", "得分 must lie between 0 and 分值",
                          expected=f"0..{weight}", found=score)


def expected_grade(total: Decimal) -> str:
    return next(grade for grade, floor in GRADE_BANDS if total >= floor)


def _grade(form: SelfEvaluationForm) -> Iterable[Finding]:
    if form.grade is None or form.total_score is None:
        return
    expected = expected_grade(form.total_score)
    if form.grade.strip() != expected:
        yield Finding("grade_mismatch", "error", "grade", "评分等级 does not match 总分 (优 ≥ 90, 良 80–90, 中 60–80, 差 < 60)",
                      expected=expected, found=form.grade)


def _achievement(form: SelfEvaluationForm) -> Iterable[Finding]:
    for i, row in enumerate(form.indicators):
        if row.weight is None or row.score is None or (row.score < row.weight and row.deviation_note):
            continue        # nothing to find whether the target is met or not
        met = target_met(row.target, row.actual)
        if met is None:
            continue
        if not met and row.score >= row.weight:
            yield Finding("missed_target_full_score", "warning", f"indicators[{i}].score",
                          "the actual value misses the target, yet the score is full", expected=f"< {row.weight}", found=row.score)
        elif met and row.score < row.weight and not row.deviation_note:
            yield Finding("points_lost_without_reason", "warning", f"indicators[{i}].deviation_note",
                          "the target is met but points were lost, and no 偏差原因 is given", found=row.score)


def target_met(target: str | None, actual: str | None) -> bool | None:
    """Whether a numeric target with an operator (``≥80.00(%)``) is met by a numeric actual."""
    if not target or not actual:
        return None
    t, a = _TARGET.match(target), _ACTUAL.match(actual)
    if not t or not a:
        return None
    op, goal, value = t.group(1), Decimal(t.group(2)), Decimal(a.group(1))
    if op in "≥≧":
        return value >= goal
    if op in "≤≦":
        return value <= goal
    if op in ">＞":
        return value > goal
    if op in "<＜":
        return value < goal
    return value == goal


def check_target_declaration(form: TargetDeclarationForm) -> Iterable[Finding]:
    f = form.funds
    parts = (f.current_year_appropriation, f.prior_year_carryover, f.other)
    if f.annual_total is not None and all(p is not None for p in parts):
        expected = sum(parts, Decimal(0))  # type: ignore[arg-type]
        if not _close(f.annual_total, expected, SUM_TOLERANCE):
            yield Finding("fund_sum_mismatch", "error", "funds.annual_total",
                          "年度资金申请总额 is not 当年财政拨款 + 上年结转资金 + 其他资金", expected=expected, found=f.annual_total,
                          identity=f"年度资金申请总额 {f.annual_total} ≠ 当年财政拨款 {parts[0]} + 上年结转资金 {parts[1]} "
                                   f"+ 其他资金 {parts[2]} = {expected}")
    if f.project_total is not None and f.project_fiscal is not None and f.project_other is not None:
        expected = f.project_fiscal + f.project_other
        if not _close(f.project_total, expected, SUM_TOLERANCE):
            yield Finding("fund_sum_mismatch", "error", "funds.project_total",
                          "项目资金总额 is not 财政资金 + 其他资金", expected=expected, found=f.project_total,
                          identity=f"项目资金总额 {f.project_total} ≠ 财政资金 {f.project_fiscal} + 其他资金 "
                                   f"{f.project_other} = {expected}")
    if form.plan_start and form.plan_end and form.plan_start > form.plan_end:
        yield Finding("dates_reversed", "error", "plan_end", "计划完成日期 is before 计划开始日期",
                      expected=f">= {form.plan_start}", found=form.plan_end)
    if form.year and form.plan_start and form.plan_end:
        years = {int(form.plan_start[:4]), int(form.plan_end[:4])}
        if not min(years) <= form.year <= max(years):
            yield Finding("year_outside_plan", "warning", "year", "the form's year is outside its planned dates",
                          expected=sorted(years), found=form.year)
