"""Plausibility: values that are possible but unlikely (a wrong unit, a wrong year)."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from extractor.validate.findings import Finding
from schemas import SelfEvaluationForm, TargetDeclarationForm

YEAR_RANGE = (2000, 2035)
MAX_WANYUAN = Decimal(1_000_000)      # 100 亿元 in 万元: more is a unit slip
SCALE_FACTOR = Decimal(5)


def check_year(form: SelfEvaluationForm | TargetDeclarationForm) -> Iterable[Finding]:
    if form.year is not None and not YEAR_RANGE[0] <= form.year <= YEAR_RANGE[1]:
        yield Finding("year_out_of_range", "error", "year", f"a fiscal year outside {YEAR_RANGE[0]}–{YEAR_RANGE[1]}",
                      expected=list(YEAR_RANGE), found=form.year)


def check_self_evaluation_scale(form: SelfEvaluationForm) -> Iterable[Finding]:
    for name in ("total", "current_year_appropriation", "prior_year_carryover", "other"):
        row = getattr(form.funds, name)
        path = f"funds.{name}"
        if row.annual_budget and row.executed and row.executed > row.annual_budget * SCALE_FACTOR:
            yield Finding("scale_suspect", "error", f"{path}.executed",
                          "全年执行数 is many times 全年预算数: an amount at the wrong scale (元 in a 万元 form?)",
                          expected=f"<= {row.annual_budget}", found=row.executed)
        elif row.execution_rate is not None and row.execution_rate > 100:
            yield Finding("rate_over_100", "warning", f"{path}.execution_rate", "执行率 over 100%: more spent than budgeted",
                          found=row.execution_rate)
        if form.funds_unit == "万元":
            for column in ("initial_budget", "annual_budget", "executed"):
                value = getattr(row, column)
                if value is not None and value >= MAX_WANYUAN:
                    yield Finding("scale_suspect", "warning", f"{path}.{column}", "over 100 亿元 in a 万元 form",
                                  found=value)


def check_declaration_scale(form: TargetDeclarationForm) -> Iterable[Finding]:
    funds = form.funds.model_dump()
    known = {k: v for k, v in funds.items() if v}
    if len(known) >= 2:
        largest, smallest = max(known.values()), min(known.values())
        if smallest * 1000 < largest and "annual_total" in known:
            for name, value in known.items():
                if value * 1000 < largest:
                    yield Finding("scale_suspect", "warning", f"funds.{name}", "a thousand times smaller than the other amounts: 万元 in a 元 form?",
                                  found=value)
