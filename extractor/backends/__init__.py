"""Extraction backends, each one module behind :class:`~extractor.backends.base.Backend`.

- ``rules``: the deterministic parser (offline default);
- ``llm``: a model behind an OpenAI-compatible API, one call per form;
- ``hybrid``: the parser, and the model only for forms the validators reject.
"""

from __future__ import annotations

from typing import Any

from extractor.backends.base import Backend, ExtractedForm
from extractor.errors import ConfigError
from extractor.settings import Settings


def get_backend(settings: Settings, *, budget: Any = None, cache: Any = None) -> Backend:
    """The backend the settings name. Build one per run: a run shares its token budget and cache
    (``budget`` and ``cache`` replace the model backends' own, e.g. by ones shared by a cluster)."""
    if settings.backend == "rules":
        from extractor.backends.rules import RulesBackend

        return RulesBackend()
    if settings.backend == "llm":
        from extractor.backends.llm import LLMBackend

        return LLMBackend(settings.llm, budget=budget, cache=cache)
    if settings.backend == "hybrid":
        from extractor.backends.hybrid import HybridBackend
        from extractor.backends.llm import LLMBackend

        return HybridBackend(LLMBackend(settings.llm, budget=budget, cache=cache))
    raise ConfigError(f"unknown backend {settings.backend!r}")


__all__ = ["Backend", "ExtractedForm", "get_backend"]
