"""One structured call to an OpenAI-compatible API: cache, budget, instructor, tenacity, errors.

Two retry loops, each bounded and counted in :class:`~extractor.backends.llm.usage.Usage`:

- instructor re-asks when the answer does not fit the schema (malformed JSON, a wrong type),
  at most ``max_reasks`` times, sending the validation error back to the model;
- tenacity retries transport faults (429 honouring ``Retry-After``, 5xx, timeouts, connection
  resets) with exponential backoff and jitter, at most ``transport_attempts`` attempts in all.

Third-party exceptions stop here; callers see only :mod:`extractor.errors`:
configuration error (401/403/404/400: key, model, endpoint or mode) → :class:`ConfigError`;
the model misbehaved → :class:`ModelError`; the API failed → :class:`APIError`.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any, TypeVar
from urllib.parse import urlparse

import instructor
import openai
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_random_exponential

try:  # instructor >= 1.11 keeps its exceptions in instructor.core
    from instructor.core import IncompleteOutputException, InstructorRetryException
except ImportError:  # pragma: no cover
    from instructor.exceptions import IncompleteOutputException, InstructorRetryException

from extractor.backends.llm.cache import ResponseCache, cache_key, schema_hash
from extractor.backends.llm.usage import TokenBudget, Usage
from extractor.errors import APIError, ConfigError, FormexError, ModelError
from extractor.log import get_logger
from extractor.settings import LLMSettings

log = get_logger("llm")

T = TypeVar("T", bound=BaseModel)


class TransientAPIFault(Exception):
    """A fault worth retrying (inside this module only)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def make_openai_client(settings: LLMSettings) -> openai.AsyncOpenAI:
    """The async client; its own retries are off so tenacity's are the only ones."""
    return openai.AsyncOpenAI(base_url=settings.base_url, api_key=settings.key_or_error(),
                              timeout=settings.timeout_s, max_retries=0)


class StructuredCaller:
    """Asks for one response model, through the cache and the run's budget."""

    def __init__(self, settings: LLMSettings, budget: TokenBudget, cache: ResponseCache | None) -> None:
        self.settings = settings
        self.budget = budget
        self.cache = cache
        self.mode = instructor.Mode[settings.resolved_mode]

    async def ask(self, client: openai.AsyncOpenAI, messages: list[dict[str, str]], response_model: type[T],
                  usage: Usage, *, prompt_digest: str) -> T:
        key = cache_key(model=self.settings.model, mode=self.mode.value, temperature=self.settings.temperature,
                        prompt=prompt_digest, schema=schema_hash(response_model.model_json_schema()),
                        messages=messages)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            usage.cached_calls += 1
            return response_model.model_validate(hit)
        self.budget.check()
        started = time.monotonic()
        try:
            answer = await self._with_transport_retries(client, messages, response_model, usage)
        except FormexError as exc:        # an API may echo the key back: it never leaves in a message
            raise redacted(exc, self.settings)
        finally:
            usage.seconds += time.monotonic() - started
        if self.cache is not None:
            self.cache.put(key, answer.model_dump(mode="json"), model=self.settings.model,
                           prompt_version=self.settings.prompt_version)
        return answer

    async def _with_transport_retries(self, client: openai.AsyncOpenAI, messages: list[dict[str, str]],
                                      response_model: type[T], usage: Usage) -> T:
        retrying = AsyncRetrying(stop=stop_after_attempt(self.settings.transport_attempts),
                                 wait=self._wait, retry=retry_if_exception_type(TransientAPIFault),
                                 before_sleep=lambda state: self._before_retry(state, usage), reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._ask_once(client, messages, response_model, usage)
        except TransientAPIFault as exc:
            raise APIError(f"the API failed {self.settings.transport_attempts} times; last: {exc}",
                           attempts=self.settings.transport_attempts) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _before_retry(self, state: RetryCallState, usage: Usage) -> None:
        usage.transport_retries += 1
        fault = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info("retrying %s (attempt %d of %d failed: %s); waiting %.2f s", scrub(self.settings.base_url, self.settings),
                 state.attempt_number, self.settings.transport_attempts, scrub(str(fault), self.settings), wait)

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(multiplier=self.settings.backoff_initial_s, max=self.settings.backoff_max_s)(state)
        fault = state.outcome.exception() if state.outcome else None
        retry_after = getattr(fault, "retry_after", None) or 0.0
        return max(backoff, retry_after)

    async def _ask_once(self, client: openai.AsyncOpenAI, messages: list[dict[str, str]],
                        response_model: type[T], usage: Usage) -> T:
        patched = instructor.from_openai(client, mode=self.mode)
        responses = 0

        def on_response(response: Any) -> None:
            nonlocal responses
            responses += 1
            counts = getattr(response, "usage", None)
            prompt, completion = (getattr(counts, "prompt_tokens", 0) or 0, getattr(counts, "completion_tokens", 0) or 0)
            usage.add_response(prompt, completion)
            self.budget.charge(prompt + completion)

        patched.on("completion:response", on_response)
        try:
            return await patched.chat.completions.create(
                model=self.settings.model, messages=messages, response_model=response_model,
                max_retries=self.settings.max_reasks, temperature=self.settings.temperature,
                max_tokens=self.settings.max_tokens)
        except openai.APIError as exc:
            raise translate_api_error(exc, self.settings) from exc
        except IncompleteOutputException as exc:
            raise ModelError(f"the answer was cut off at max_tokens={self.settings.max_tokens}; "
                             "raise llm.max_tokens", attempts=max(responses, 1)) from exc
        except InstructorRetryException as exc:
            cause = exc.__cause__
            if isinstance(cause, openai.APIError):
                raise translate_api_error(cause, self.settings) from exc
            raise ModelError(f"no schema-valid answer after {exc.n_attempts} attempts "
                             f"({self.settings.max_reasks} re-asks): {_first_line(cause or exc)}",
                             attempts=exc.n_attempts) from exc
        finally:
            usage.schema_reasks += max(responses - 1, 0)


def scrub(text: str, settings: LLMSettings) -> str:
    """The text with the API key (and a base URL's password) cut out."""
    for secret in (settings.api_key or "", urlparse(settings.base_url).password or ""):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def redacted(exc: FormexError, settings: LLMSettings) -> FormexError:
    """The error with the secrets cut out of its message."""
    exc.message = scrub(exc.message, settings)
    exc.args = (exc.message,)
    return exc


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "answer"
        return f"{exc.error_count()} schema error(s), first at {where}: {first.get('msg')}"
    text = str(exc).strip().splitlines()
    return text[0][:600] if text else type(exc).__name__


def retry_after_seconds(headers: Any) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    raw = headers.get("retry-after") if headers is not None else None
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def translate_api_error(exc: openai.APIError, settings: LLMSettings) -> Exception:
    """An openai exception as a formex error, or as a retryable fault."""
    where = f"{settings.base_url} (model {settings.model})"
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return TransientAPIFault(f"{type(exc).__name__} talking to {where}: {_first_line(exc)}")
    if not isinstance(exc, openai.APIStatusError):
        return APIError(f"the API at {where} failed: {_first_line(exc)}")
    status = exc.status_code
    if status == 429:
        wait = retry_after_seconds(exc.response.headers)
        if wait is not None and wait > settings.max_retry_after_s:
            return APIError(f"rate limited by {where}; it asks to wait {wait:.0f} s, "
                            f"more than llm.max_retry_after_s={settings.max_retry_after_s:.0f}")
        return TransientAPIFault(f"HTTP 429 rate limited by {where}", retry_after=wait)
    if status >= 500:
        return TransientAPIFault(f"HTTP {status} from {where}: {_first_line(exc)}",
                                 retry_after=retry_after_seconds(exc.response.headers))
    if status in (401, 403):
        return ConfigError(f"HTTP {status}: {where} refused the API key from {settings.api_key_env}")
    if status == 404:
        return ConfigError(f"HTTP 404: no such model or endpoint at {where}")
    detail = _first_line(exc)
    hint = ""
    if any(word in detail.lower() for word in ("response_format", "json_schema", "tool", "function")):
        hint = f"; the server may not support instructor mode {settings.resolved_mode}: set llm.mode (--mode)"
    elif "context" in detail.lower():
        hint = "; the form does not fit the model's context: use a model with a longer context or --no-few-shot"
    return ConfigError(f"HTTP {status}: {where} refused the request: {detail}{hint}")
