"""Token accounting: usage per form (across retries and re-asks), a run's budget, a cost estimate."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

from extractor.errors import BudgetExhausted
from extractor.settings import Price


@dataclass
class Usage:
    """What one form cost. Cached answers add calls to ``cached_calls`` and no tokens."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    api_calls: int = 0            # HTTP requests that reached the API, re-asks and retries included
    cached_calls: int = 0
    schema_reasks: int = 0        # instructor re-asks after schema-invalid output
    targeted_reasks: int = 0      # our re-asks for ungrounded values or missing rows
    transport_retries: int = 0    # tenacity retries after 429 / 5xx / timeouts / resets
    seconds: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add_response(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.api_calls += 1

    def merge(self, other: "Usage") -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self, price: Price | None = None) -> dict[str, float | int | None]:
        data: dict[str, float | int | None] = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["total_tokens"] = self.total_tokens
        data["cost_usd"] = round(price.cost(self.prompt_tokens, self.completion_tokens), 6) if price else None
        return data


class TokenBudget:
    """A run's token allowance, shared by every call of the run. ``None`` means unlimited.

    A call is refused once the budget is spent; a call already in flight is allowed to finish,
    so a run may overshoot by at most the calls in flight.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        self._lock = threading.Lock()

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.spent >= self.limit

    def charge(self, tokens: int) -> None:
        with self._lock:
            self.spent += tokens

    def check(self) -> None:
        if self.exhausted:
            raise BudgetExhausted(f"token budget spent: {self.spent} of {self.limit} tokens; "
                                  "the remaining forms were not sent to the model")
