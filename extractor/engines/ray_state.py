"""One token budget and one response cache for every Ray worker of a run.

The SQLite cache (:class:`~extractor.backends.llm.cache.ResponseCache`) is one file on one disk:
worker processes on other machines cannot open it. So a small Ray actor, pinned to the driver's
node, owns the run's :class:`~extractor.backends.llm.usage.TokenBudget` and the cache file at the
configured ``cache_path`` (the same file a local run uses: a Ray run and a local run answer each
other's repeated requests). Workers hold :class:`SharedBudget` and :class:`SharedCache`, with the
interfaces of the originals, whose calls go to the actor: one round trip (about a millisecond)
per model call, small beside the call itself.

Guarantees as in a local run: a call is refused once the budget is spent; calls in flight finish,
so a run overshoots by at most the calls in flight across the cluster.
"""

from __future__ import annotations

from typing import Any

from extractor.backends.llm.cache import ResponseCache
from extractor.backends.llm.usage import TokenBudget
from extractor.errors import BudgetExhausted


class ModelState:
    """The actor's state: the budget and the cache (None when caching is off)."""

    def __init__(self, limit: int | None, cache_path: str | None) -> None:
        self.budget = TokenBudget(limit)
        self.cache = ResponseCache(cache_path) if cache_path else None

    def charge(self, tokens: int) -> None:
        self.budget.charge(tokens)

    def spent(self) -> int:
        return self.budget.spent

    def exhausted(self) -> bool:
        return self.budget.exhausted

    def get(self, key: str) -> Any | None:
        return self.cache.get(key) if self.cache is not None else None

    def put(self, key: str, answer: Any, model: str, prompt_version: str) -> None:
        if self.cache is not None:
            self.cache.put(key, answer, model=model, prompt_version=prompt_version)

    def size(self) -> int:
        return len(self.cache) if self.cache is not None else 0


def start_model_state(limit: int | None, cache_path: str | None) -> Any:
    """Start the actor on this (the driver's) node; its handle goes to every task."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
    actor = ray.remote(ModelState).options(num_cpus=0, scheduling_strategy=here)
    return actor.remote(limit, str(cache_path) if cache_path else None)


class SharedBudget:
    """:class:`TokenBudget`'s interface over the actor."""

    def __init__(self, actor: Any, limit: int | None) -> None:
        self.actor = actor
        self.limit = limit

    @property
    def spent(self) -> int:
        import ray

        return ray.get(self.actor.spent.remote())

    @property
    def exhausted(self) -> bool:
        import ray

        return self.limit is not None and ray.get(self.actor.exhausted.remote())

    def charge(self, tokens: int) -> None:
        import ray

        ray.get(self.actor.charge.remote(tokens))

    def check(self) -> None:
        if self.exhausted:
            raise BudgetExhausted(f"token budget spent: {self.spent} of {self.limit} tokens; "
                                  "the remaining forms were not sent to the model")


class SharedCache:
    """:class:`ResponseCache`'s interface over the actor."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor

    def get(self, key: str) -> Any | None:
        import ray

        return ray.get(self.actor.get.remote(key))

    def put(self, key: str, answer: Any, *, model: str, prompt_version: str) -> None:
        import ray

        ray.get(self.actor.put.remote(key, answer, model, prompt_version))

    def __len__(self) -> int:
        import ray

        return ray.get(self.actor.size.remote())

    def close(self) -> None:
        """The actor owns the file; it closes with the run."""
