"""How a prediction is compared with gold — the rules of FORMAT.md, and nothing more.

* text: NFKC, all whitespace and HTML tags removed; long ``goal_*`` texts are equal at a
  normalized character similarity ≥ 0.95;
* numbers: equal within 0.005;
* forms paired in document order (then by ``project_name``); indicator rows paired by
  ``name`` similarity, in order;
* every non-null gold leaf is a gold field, every non-null predicted leaf a predicted field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import ratio

NUMBER_TOLERANCE = 0.005
LONG_TEXT_SIMILARITY = 0.95
ROW_PAIR_MIN_SIMILARITY = 0.5
FORM_PAIR_MIN_SIMILARITY = 0.5
LONG_TEXT_FIELDS = ("goal_expected", "goal_actual", "goal_overall", "goal_annual")
IGNORED_KEYS = frozenset({"validation", "spans", "meta", "alignment"})
_TAGS = re.compile(r"<[^<>]*>")
_WS = re.compile(r"\s+")


def norm_text(value: str) -> str:
    return _WS.sub("", _TAGS.sub("", unicodedata.normalize("NFKC", value)))


def text_similarity(a: str, b: str) -> float:
    return Levenshtein.normalized_similarity(norm_text(a), norm_text(b))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def values_equal(field: str, gold: Any, pred: Any) -> bool:
    if _is_number(gold) or _is_number(pred):
        return _is_number(gold) and _is_number(pred) and abs(float(gold) - float(pred)) <= NUMBER_TOLERANCE + 1e-9
    if isinstance(gold, str) and isinstance(pred, str):
        if field.rsplit(".", 1)[-1] in LONG_TEXT_FIELDS:
            return text_similarity(gold, pred) >= LONG_TEXT_SIMILARITY
        return norm_text(gold) == norm_text(pred)
    return gold == pred


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a form (indicators excluded; they are paired as rows)."""
    leaves: dict[str, Any] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in IGNORED_KEYS or (not prefix and k == "indicators"):
                continue
            leaves.update(flatten(v, f"{prefix}.{k}" if prefix else k))
    else:
        leaves[prefix] = obj
    return leaves


def align(gold: Sequence[Any], pred: Sequence[Any], similarity: Callable[[Any, Any], float], minimum: float) -> list[tuple[int | None, int | None]]:
    """Order-preserving pairing that maximises the summed similarity (pairs below ``minimum`` are not made)."""
    n, m = len(gold), len(pred)
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    sims = [[similarity(g, p) for p in pred] for g in gold]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            if sims[i][j] >= minimum:
                best = max(best, sims[i][j] + score[i + 1][j + 1])
            score[i][j] = best
    pairs: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n and j < m:
        if sims[i][j] >= minimum and score[i][j] == sims[i][j] + score[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif score[i][j] == score[i + 1][j]:
            pairs.append((i, None))
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    pairs.extend((k, None) for k in range(i, n))
    pairs.extend((None, k) for k in range(j, m))
    return pairs


def _name_similarity(a: dict[str, Any], b: dict[str, Any], key: str) -> float:
    x, y = a.get(key), b.get(key)
    if not isinstance(x, str) or not isinstance(y, str):
        return 0.0
    return ratio(norm_text(x), norm_text(y)) / 100.0


def pair_forms(gold: Sequence[dict], pred: Sequence[dict]) -> list[tuple[int | None, int | None]]:
    if len(gold) == len(pred):
        return [(i, i) for i in range(len(gold))]
    return align(gold, pred, lambda g, p: _name_similarity(g, p, "project_name"), FORM_PAIR_MIN_SIMILARITY)


def pair_rows(gold: Sequence[dict], pred: Sequence[dict]) -> list[tuple[int | None, int | None]]:
    return align(gold, pred, lambda g, p: _name_similarity(g, p, "name"), ROW_PAIR_MIN_SIMILARITY)


@dataclass(frozen=True)
class FieldResult:
    """One leaf compared: ``tp`` equal, ``mismatch`` both set but different, ``fn`` missed, ``fp`` invented."""

    document: str
    form: int
    path: str
    gold: Any
    pred: Any
    status: str
    pred_form: int | None = None        # where the predicted value sits in the prediction
    pred_path: str | None = None

    @property
    def field(self) -> str:
        return re.sub(r"\[\d+\]", "[]", self.path)


def compare_form(document: str, form_index: int, gold: dict | None, pred: dict | None,
                 pred_index: int | None = None) -> list[FieldResult]:
    results: list[FieldResult] = []
    g_leaves, p_leaves = flatten(gold or {}), flatten(pred or {})
    for path in sorted(set(g_leaves) | set(p_leaves)):
        results.append(_compare_leaf(document, form_index, path, g_leaves.get(path), p_leaves.get(path),
                                     pred_index, path if path in p_leaves else None))
    g_rows = (gold or {}).get("indicators") or []
    p_rows = (pred or {}).get("indicators") or []
    for gi, pi in pair_rows(g_rows, p_rows):
        g_row = g_rows[gi] if gi is not None else {}
        p_row = p_rows[pi] if pi is not None else {}
        index = gi if gi is not None else pi
        for key in sorted(set(g_row) | set(p_row)):
            path = f"indicators[{index}].{key}"
            results.append(_compare_leaf(document, form_index, path, g_row.get(key), p_row.get(key),
                                         pred_index, f"indicators[{pi}].{key}" if pi is not None else None))
    return [r for r in results if r.status != "none"]


def _compare_leaf(document: str, form: int, path: str, gold: Any, pred: Any,
                  pred_form: int | None = None, pred_path: str | None = None) -> FieldResult:
    if gold is None and pred is None:
        status = "none"
    elif gold is None:
        status = "fp"
    elif pred is None:
        status = "fn"
    else:
        status = "tp" if values_equal(path, gold, pred) else "mismatch"
    return FieldResult(document, form, path, gold, pred, status, pred_form, pred_path if pred is not None else None)


def compare_document(document: str, gold_forms: Sequence[dict], pred_forms: Sequence[dict]) -> list[FieldResult]:
    results: list[FieldResult] = []
    for gi, pi in pair_forms(gold_forms, pred_forms):
        index = gi if gi is not None else (pi if pi is not None else 0)
        results.extend(compare_form(document, index,
                                    gold_forms[gi] if gi is not None else None,
                                    pred_forms[pi] if pi is not None else None, pi))
    return results
