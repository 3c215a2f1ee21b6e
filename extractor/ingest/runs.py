"""Glued number runs: ``1010100%20`` is 预算数 10 | 执行数 10 | 执行率 100% | 得分 20.

A form flattened with no separator prints the numbers of a row as one run of digits. The run is
cut into the row's columns only where the cut is the only one the form allows: each number is
written as forms write numbers (no leading zero, a percentage ends at its ``%``), 执行率 is
执行数 / 预算数, a 得分 is at most its 分值, points are at most 100. Where more than one cut fits,
or none does, the run is left whole: no digit is moved, dropped or invented, and the validators
flag the cell.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Sequence

# The kinds of value a column holds.
AMOUNT = "amount"       # 预算数, 执行数: a plain number
RATE = "rate"           # 执行率: a percentage (or a plain number)
POINTS = "points"       # 分值, 得分: a number of points, at most 100
VALUE = "value"         # 指标值, 实际完成值: a number or a percentage

_NUMBER = re.compile(r"(?:0|[1-9]\d*)(?:\.\d{1,4})?")
_MAX_RUN = 40           # a longer run is not one row's numbers: leave it
_MAX_SPLITS = 64        # stop enumerating once this many cuts fit (it is ambiguous anyway)


def _token(text: str, kind: str) -> Decimal | None:
    """The number a cell of this kind reads as, or None when ``text`` is no such cell."""
    body = text[:-1] if text.endswith("%") else text
    if text.endswith("%") and kind in (AMOUNT, POINTS):
        return None
    if not _NUMBER.fullmatch(body):
        return None
    value = Decimal(body)
    if kind == POINTS and value > 100:
        return None
    return value


def _decimals(text: str) -> int:
    body = text.rstrip("%")
    return len(body.split(".")[1]) if "." in body else 0


def _consistent(cells: Sequence[str], kinds: Sequence[str], roles: Sequence[str], limits: dict[str, Decimal]) -> bool:
    """The form's arithmetic: 执行率 = 执行数 / 预算数, 得分 ≤ 分值 (and ≤ the block's points)."""
    by_role = dict(zip(roles, cells))
    value = {role: _token(text, kind) for role, text, kind in zip(roles, cells, kinds)}
    rate, executed = value.get("execution_rate"), value.get("executed")
    budget = value.get("annual_budget") if value.get("annual_budget") is not None else value.get("initial_budget")
    if rate is not None and executed is not None and budget:
        expected = executed / budget * 100
        slack = Decimal(5) / Decimal(10) ** (_decimals(by_role["execution_rate"]) + 1) + Decimal("0.01")
        if abs(expected - rate) > slack:
            return False
    weight, score = value.get("weight"), value.get("score")
    weight = weight if weight is not None else limits.get("weight")
    if weight is not None and score is not None and score > weight:
        return False
    if rate is not None and weight is not None and score is not None and "execution_rate" in roles and "score" in roles:
        return abs(min(rate, Decimal(100)) / 100 * weight - score) <= Decimal("0.05")     # 资金得分 = min(执行率, 100%) × 分数
    return True


def splits(run: str, kinds: Sequence[str], roles: Sequence[str], limits: dict[str, Decimal] | None = None) -> list[list[str]]:
    """Every way to cut ``run`` into ``len(kinds)`` cells that the form allows (at most ``_MAX_SPLITS``)."""
    found: list[list[str]] = []
    if len(run) > _MAX_RUN or not kinds:
        return found

    def walk(start: int, cells: list[str]) -> None:
        if len(found) >= _MAX_SPLITS:
            return
        n = len(cells)
        if n == len(kinds):
            if start == len(run) and _consistent(cells, kinds, roles, limits or {}):
                found.append(list(cells))
            return
        left = len(kinds) - n - 1            # cells still to come after this one, one character each at least
        for end in range(start + 1, len(run) - left + 1):
            text = run[start:end]
            if _token(text, kinds[n]) is not None:
                walk(end, [*cells, text])

    walk(0, [])
    return found


def unique_split(run: str, kinds: Sequence[str], roles: Sequence[str], limits: dict[str, Decimal] | None = None,
                 counts: Sequence[int] | None = None) -> list[str] | None:
    """The one cut of ``run`` into the first ``n`` columns (``n`` in ``counts``, default: all of them)
    that the form allows, or None where there is none or more than one."""
    found: list[list[str]] = []
    for n in counts or (len(kinds),):
        found.extend(splits(run, kinds[:n], roles[:n], limits))
        if len(found) > 1:
            return None
    return found[0] if len(found) == 1 else None
