"""Extraction backends, each one module behind :class:`~extractor.backends.base.Backend`."""

from __future__ import annotations

from extractor.backends.base import Backend, ExtractedForm
from extractor.errors import ConfigError
from extractor.settings import Settings


def get_backend(settings: Settings) -> Backend:
    """The backend the settings name."""
    if settings.backend == "rules":
        from extractor.backends.rules import RulesBackend

        return RulesBackend()
    raise ConfigError(f"unknown backend {settings.backend!r}")


__all__ = ["Backend", "ExtractedForm", "get_backend"]
