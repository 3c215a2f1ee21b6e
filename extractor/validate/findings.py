"""Findings are data: a list of them plus a status, never exceptions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Status = Literal["valid", "needs_review", "invalid"]


@dataclass(frozen=True)
class Finding:
    """One thing a validator noticed. It never changes the value it speaks of."""

    code: str
    severity: Severity
    path: str
    message: str
    expected: Any = None
    found: Any = None
    source_span: tuple[int, int] | None = None
    identity: str | None = None     # an arithmetic check with its numbers: "总分 99.5 ≠ 资金得分 9.55 + Σ 指标得分 89.95"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.identity is None:
            del data["identity"]
        data["expected"] = _jsonable(self.expected)
        data["found"] = _jsonable(self.found)
        data["source_span"] = list(self.source_span) if self.source_span else None
        return data


def _jsonable(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    return value


@dataclass
class FormValidation:
    """Status and findings of one form, with where each value was found in the source."""

    findings: list[Finding] = field(default_factory=list)
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    alignment: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        severities = {f.severity for f in self.findings}
        if "error" in severities:
            return "invalid"
        if "warning" in severities:
            return "needs_review"
        return "valid"

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "findings": [f.as_dict() for f in self.findings]}
