"""One small evaluator per metric. Each takes the compared fields (and forms) and returns numbers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, Sequence

from eval.compare import FieldResult


@dataclass(frozen=True)
class PRF:
    tp: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else (1.0 if not self.gold else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "predicted": self.predicted, "gold": self.gold}


def prf(results: Iterable[FieldResult]) -> PRF:
    tp = predicted = gold = 0
    for r in results:
        tp += r.status == "tp"
        predicted += r.pred is not None
        gold += r.gold is not None
    return PRF(tp, predicted, gold)


class Evaluator(Protocol):
    name: str

    def evaluate(self, results: Sequence[FieldResult]) -> dict:
        ...


class FieldF1:
    """Field-level precision / recall / F1 over every leaf (FORMAT.md)."""

    name = "field_f1"

    def evaluate(self, results: Sequence[FieldResult]) -> dict:
        return prf(results).as_dict()


def grouped_prf(results: Sequence[FieldResult], group: Callable[[FieldResult], str]) -> dict[str, dict]:
    groups: dict[str, list[FieldResult]] = defaultdict(list)
    for r in results:
        groups[group(r)].append(r)
    return {name: prf(rs).as_dict() for name, rs in sorted(groups.items())}


class PerDocumentF1:
    name = "per_document"

    def evaluate(self, results: Sequence[FieldResult]) -> dict:
        return grouped_prf(results, lambda r: r.document)


class PerFieldF1:
    name = "per_field"

    def evaluate(self, results: Sequence[FieldResult]) -> dict:
        return grouped_prf(results, lambda r: r.field)


class FabricationRate:
    """Share of predicted fields whose gold is null: values the document does not show."""

    name = "fabrication_rate"

    def evaluate(self, results: Sequence[FieldResult]) -> dict:
        predicted = [r for r in results if r.pred is not None]
        invented = sum(r.gold is None for r in predicted)
        return {"rate": round(invented / len(predicted), 4) if predicted else 0.0, "invented": invented, "predicted": len(predicted)}


class RowRecall:
    """Share of gold indicator rows whose name was found."""

    name = "row_recall"

    def evaluate(self, results: Sequence[FieldResult]) -> dict:
        names = [r for r in results if r.field == "indicators[].name" and r.gold is not None]
        found = sum(r.status == "tp" for r in names)
        return {"recall": round(found / len(names), 4) if names else 1.0, "found": found, "gold_rows": len(names)}


class Mismatches:
    """Every field that is not a true positive, for ``--detail``."""

    name = "mismatches"

    def evaluate(self, results: Sequence[FieldResult]) -> dict:
        return {"items": [
            {"document": r.document, "form": r.form, "path": r.path, "status": r.status, "gold": r.gold, "pred": r.pred}
            for r in results if r.status != "tp"
        ]}


DEFAULT_EVALUATORS: tuple[Evaluator, ...] = (FieldF1(), PerDocumentF1(), PerFieldF1(), FabricationRate(), RowRecall())
