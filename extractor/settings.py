"""The one settings object. Built at the edges (CLI, service) and passed down.

Nothing below the edges reads the environment: functions take a :class:`Settings`
(or the few values they need) as arguments.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Mapping

from extractor.errors import ConfigError

BACKENDS = ("rules",)
ENV_PREFIX = "FORMEX_"


@dataclass(frozen=True)
class Settings:
    """How formex runs. Immutable; derive variants with :meth:`with_`."""

    backend: str = "rules"
    max_input_bytes: int = 50 * 1024 * 1024
    validate: bool = True

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown backend {self.backend!r}; choose one of: {', '.join(BACKENDS)}")
        if self.max_input_bytes <= 0:
            raise ConfigError("max_input_bytes must be positive")

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        """Read ``FORMEX_*`` variables; explicit ``overrides`` (e.g. CLI options) win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get(ENV_PREFIX + "BACKEND"):
            values["backend"] = env[ENV_PREFIX + "BACKEND"]
        if env.get(ENV_PREFIX + "MAX_INPUT_BYTES"):
            try:
                values["max_input_bytes"] = int(env[ENV_PREFIX + "MAX_INPUT_BYTES"])
            except ValueError as exc:
                raise ConfigError(f"{ENV_PREFIX}MAX_INPUT_BYTES must be an integer") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
