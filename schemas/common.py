"""Shared field types of the hand-off format."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, PlainSerializer

FORMAT_VERSION = "1"


def _decimal_to_json(value: Decimal) -> float | int:
    """A Decimal leaves as a JSON number (never a string)."""
    return float(value)


# An exact number: Decimal in Python, a JSON number on the wire.
Amount = Annotated[
    Decimal,
    PlainSerializer(_decimal_to_json, return_type=float, when_used="json"),
]
OptionalAmount = Optional[Amount]


class ContractModel(BaseModel):
    """Base of every contract model: unknown keys are rejected, values stay as given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=False)
