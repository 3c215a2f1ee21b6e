"""Batch engines: where the per-document work of a batch runs, behind one small interface.

- ``local``: :class:`extractor.batch.Batch`, worker processes on this machine;
- ``ray``: :class:`extractor.engines.ray_engine.RayBatch`, Ray tasks on a cluster (``formex[ray]``).

Both take the same inputs and write the same outputs under the same resume rule (done markers by
sha256, atomic writes, ``errors.jsonl``, ``forms.jsonl``): an output folder started by one engine
can be finished by the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

from extractor.backends import Backend
from extractor.batch import Batch, BatchSummary
from extractor.errors import ConfigError
from extractor.inputs import InputItem, Refused
from extractor.settings import Settings

ENGINES = ("local", "ray")


class Engine(Protocol):
    """A batch run over input items into an output folder."""

    def run(self, items: list[InputItem], refused: list[Refused]) -> BatchSummary:
        """Extract every item not already done; record every failure; write the aggregate files."""

    def results(self) -> Iterator[dict[str, Any]]:
        """Every result document the output folder holds, in a stable order."""


def get_engine(name: str, outdir: Path, settings: Settings, *, workers: int = 1, backend: Backend | None = None,
               address: str | None = None, on_progress: Callable[[BatchSummary, int], None] | None = None,
               on_document: Callable[[str, dict[str, Any]], None] | None = None, pretty: bool = False,
               sinks: Sequence[Any] = ()) -> Engine:
    """The engine ``name``: ``local`` (``workers`` processes) or ``ray`` (the cluster at ``address``,
    or a new local one of ``workers`` CPUs when ``address`` is None)."""
    if name == "local":
        if address:
            raise ConfigError("--address is for --engine ray")
        return Batch(outdir, settings, workers=workers, backend=backend, on_progress=on_progress,
                     on_document=on_document, pretty=pretty, sinks=sinks)
    if name == "ray":
        from extractor.engines.ray_engine import RayBatch, require_ray

        require_ray()
        return RayBatch(outdir, settings, address=address, local_cpus=workers, on_progress=on_progress,
                        on_document=on_document, pretty=pretty, sinks=sinks)
    raise ConfigError(f"unknown engine {name!r}; one of {', '.join(ENGINES)}")
