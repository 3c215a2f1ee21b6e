"""Field paths as the validators write them: ``funds.total.executed``, ``indicators[3].name``."""

from __future__ import annotations

import re
from typing import Any

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def steps(path: str) -> list[str | int]:
    """``indicators[3].name`` → ``["indicators", 3, "name"]``."""
    return [int(index) if index else name for name, index in _STEP.findall(path)]


def get_path(data: Any, path: str) -> Any:
    for step in steps(path):
        data = data[step]
    return data


def set_path(data: Any, path: str, value: Any) -> None:
    *parents, last = steps(path)
    for step in parents:
        data = data[step]
    data[last] = value


def has_path(data: Any, path: str) -> bool:
    try:
        get_path(data, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True
