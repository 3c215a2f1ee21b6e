"""What a run did, summed over its documents: forms, statuses, model calls, tokens, cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extractor.pipeline import DocumentResult

_USAGE_KEYS = ("prompt_tokens", "completion_tokens", "api_calls", "cached_calls", "schema_reasks",
               "targeted_reasks", "transport_retries")


@dataclass
class RunStats:
    documents: int = 0
    forms: int = 0
    form_errors: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: {"valid": 0, "needs_review": 0, "invalid": 0})
    forms_sent_to_model: int = 0
    usage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_USAGE_KEYS, 0))
    cost_usd: float | None = None
    model_seconds: float = 0.0

    def add(self, result: "DocumentResult") -> None:
        self.add_summary(result.summary())

    def add_summary(self, summary: dict[str, Any]) -> None:
        """Count one document from :meth:`DocumentResult.summary`."""
        self.documents += 1
        self.forms += summary["forms"]
        self.form_errors += len(summary["form_errors"])
        for status, count in summary["statuses"].items():
            self.statuses[status] += count
        for extraction in summary["extractions"]:
            self._add_extraction(extraction)

    def _add_extraction(self, extraction: dict[str, Any]) -> None:
        if extraction.get("backend") == "llm" or extraction.get("sent_to_model"):
            self.forms_sent_to_model += 1
        usage = extraction.get("usage") or {}
        for name in _USAGE_KEYS:
            self.usage[name] += int(usage.get(name) or 0)
        self.model_seconds += float(usage.get("seconds") or 0.0)
        if usage.get("cost_usd") is not None:
            self.cost_usd = (self.cost_usd or 0.0) + usage["cost_usd"]

    @property
    def total_tokens(self) -> int:
        return self.usage["prompt_tokens"] + self.usage["completion_tokens"]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total_tokens"] = self.total_tokens
        data["model_seconds"] = round(self.model_seconds, 3)
        if self.cost_usd is not None:
            data["cost_usd"] = round(self.cost_usd, 6)
        return data

    def model_line(self) -> str | None:
        """One line on model use, or None if the model was not called."""
        u = self.usage
        if not (self.forms_sent_to_model or u["api_calls"] or u["cached_calls"]):
            return None
        cost = f", ~${self.cost_usd:.4f}" if self.cost_usd is not None else ""
        return (f"model: {self.forms_sent_to_model} forms sent, {u['api_calls']} API calls ({u['cached_calls']} answered "
                f"from cache), {u['prompt_tokens']} prompt + {u['completion_tokens']} completion tokens{cost}; "
                f"{u['schema_reasks']} schema re-asks, {u['targeted_reasks']} targeted re-asks, "
                f"{u['transport_retries']} transport retries")
