"""The Ray engine: the batch of :mod:`extractor.batch`, its documents extracted by Ray tasks.

Who does what:

- the driver (the ``formex extract --engine ray`` process) finds the inputs, reads and hashes
  each one (the resume rule and the handling of copies are the local batch's, unchanged), sends
  its bytes to a task, and alone writes the output folder: each result atomically, then its done
  marker, then ``errors.jsonl``, ``forms.jsonl`` and the workbook; it draws the progress line;
- a task extracts one document, bytes → result JSON text and a summary
  (:func:`extractor.batch.extract_outcome`). A failure of the input (corrupt, no forms...) comes
  back as data, so Ray never retries it; only a worker that dies (killed, out of memory, node
  lost) makes Ray run the task again, at most ``max_retries`` times; after that the document
  goes to ``errors.jsonl`` as ``worker_crashed``, without a done marker, and a rerun retries it;
- the model backends share one token budget and one response cache through an actor on the
  driver's node (:mod:`extractor.engines.ray_state`).

Exactly once: a result is written only by the driver, before its marker; a task run twice (a
retry after a worker death) yields the same result, written once. A killed driver loses at most
the documents in flight; the rerun skips every document that has a marker.

Workers need formex installed (the same version) and nothing else: no shared filesystem, no
storage credentials, since bytes and results travel through Ray's object store.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Sequence

from extractor.backends import Backend, get_backend
from extractor.batch import Batch, BatchSummary, extract_outcome, write_atomically
from extractor.errors import ConfigError
from extractor.inputs import InputItem
from extractor.settings import Settings

DEFAULT_MAX_RETRIES = 3          # runs of a task after its worker died, before it counts as failed
IN_FLIGHT_PER_CPU = 2            # tasks submitted ahead per cluster CPU: bounded driver memory


def require_ray() -> None:
    """Fail with a one-line hint when Ray is not installed."""
    try:
        import ray  # noqa: F401
    except ImportError as exc:
        raise ConfigError("the ray engine needs Ray: pip install 'formex[ray]'") from exc


def connect(address: str | None, local_cpus: int) -> bool:
    """Join the cluster at ``address`` (``auto``, ``ray://host:10001``, ``host:6379``) or start a
    local one of ``local_cpus`` CPUs; reuse a connection this process already has. True when
    this call connected (and so should disconnect)."""
    import ray

    if ray.is_initialized():
        return False
    try:
        if address is None or address == "local":
            ray.init(address="local", num_cpus=local_cpus, include_dashboard=False, logging_level=logging.WARNING)
        else:
            ray.init(address=address, logging_level=logging.WARNING)
    except Exception as exc:  # Ray raises ConnectionError, ValueError, RuntimeError... for a bad address
        raise ConfigError(f"cannot connect to the Ray cluster at {address or 'a new local cluster'}: "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc
    return True


# --- the task (runs in a Ray worker process) ----------------------------------------------------

_worker: tuple[Settings, Any, Backend] | None = None


def _backend_for(settings: Settings, shared: Any) -> Backend:
    """One backend per worker process and run: built on the first document, reused after."""
    global _worker
    if _worker is None or _worker[0] != settings or _worker[1] is not shared:
        budget = cache = None
        if shared is not None:
            from extractor.engines.ray_state import SharedBudget, SharedCache

            budget = SharedBudget(shared, settings.llm.token_budget)
            cache = SharedCache(shared) if settings.llm.cache_path else None
        _worker = (settings, shared, get_backend(settings, budget=budget, cache=cache))
    return _worker[2]


def extract_document(data: bytes, source: str, settings: Settings, shared: Any = None, pretty: bool = False,
                     exports: Sequence[str] = ()) -> dict[str, Any]:
    """The task: extract one document. Never raises for a bad input (see :func:`extract_outcome`)."""
    return extract_outcome(data, source, settings, _backend_for(settings, shared), pretty=pretty, exports=exports)


# --- the driver ----------------------------------------------------------------------------------

class RayBatch(Batch):
    """:class:`~extractor.batch.Batch` whose documents run as Ray tasks; everything else is the
    local batch's: what is skipped, what is recorded, what is written and where."""

    def __init__(self, outdir: Path, settings: Settings, *, address: str | None = None, local_cpus: int = 2,
                 max_retries: int = DEFAULT_MAX_RETRIES,
                 on_progress: Callable[[BatchSummary, int], None] | None = None,
                 on_document: Callable[[str, dict[str, Any]], None] | None = None, pretty: bool = False,
                 sinks: Sequence[Any] = ()) -> None:
        super().__init__(outdir, settings, workers=1, on_progress=on_progress, on_document=on_document,
                         pretty=pretty, sinks=sinks)
        self.address = address
        self.local_cpus = max(1, local_cpus)
        self.max_retries = max_retries

    def _dispatch(self, items: list[InputItem], total: int) -> None:
        import ray

        started = connect(self.address, self.local_cpus)
        try:
            shared = self._shared_state()
            task = ray.remote(extract_document).options(
                name="formex_document", num_cpus=1, max_retries=self.max_retries, retry_exceptions=False)
            window = IN_FLIGHT_PER_CPU * max(1, int(ray.cluster_resources().get("CPU", 1)))
            in_flight: dict[Any, tuple[int, InputItem, str]] = {}
            for position, item, data, digest in self._jobs(items):
                if shared is not None and ray.get(shared.exhausted.remote()):
                    self.summary.stopped_early = "token budget spent"
                    self._finish(position, item, digest, {"ok": False, "error": {
                        "code": "budget_exhausted", "message": "not sent: the token budget is spent"}})
                    continue
                while len(in_flight) >= window:
                    self._collect(in_flight, total)
                ref = task.remote(data, item.source, self.settings, shared, self.pretty, self.output.kinds)
                in_flight[ref] = (position, item, digest)
            while in_flight:
                self._collect(in_flight, total)
            if shared is not None and ray.get(shared.exhausted.remote()) and any(
                    e.get("code") == "budget_exhausted" for e in self.summary.errors):
                self.summary.stopped_early = "token budget spent"
        finally:
            if started:
                ray.shutdown()

    def _shared_state(self) -> Any:
        """The actor holding the run's token budget and response cache (model backends only)."""
        if self.settings.backend == "rules":
            return None
        from extractor.engines.ray_state import start_model_state

        return start_model_state(self.settings.llm.token_budget, self.settings.llm.cache_path)

    def _collect(self, in_flight: dict[Any, tuple[int, InputItem, str]], total: int) -> None:
        """Wait for at least one task; write its result, then its marker (in :meth:`_finish`)."""
        import ray
        from ray.exceptions import RayTaskError

        ready, _ = ray.wait(list(in_flight), num_returns=1)
        for ref in ready:
            position, item, digest = in_flight.pop(ref)
            try:
                outcome = ray.get(ref)
            except RayTaskError as exc:  # a bug in formex: recorded, the rest of the batch goes on
                cause = exc.cause if exc.cause is not None else exc
                outcome = {"ok": False, "error": {"code": "internal_error", "message": f"{type(cause).__name__}: {cause}"}}
            except ray.exceptions.RayError as exc:  # the worker or its node died, more often than retried
                outcome = {"ok": False, "error": {"code": "worker_crashed", "message": (
                    f"the worker died {self.max_retries + 1} times while reading this input "
                    f"({type(exc).__name__}: out of memory? node lost?); rerun to retry")}}
            if outcome["ok"]:
                write_atomically(self._target(item), outcome.pop("document"))
            self._finish(position, item, digest, outcome)
