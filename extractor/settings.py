"""The one settings object. Built at the edges (CLI, service) and passed down.

Nothing below the edges reads the environment or a config file: functions take a
:class:`Settings` (or the value objects it holds) as arguments.

Sources, later wins: defaults → a TOML config file (``FORMEX_CONFIG`` or ``--config``) →
``FORMEX_*`` environment variables → explicit overrides (CLI options). The API key itself is
read from the environment variable that ``llm.api_key_env`` names, here at the edge.

Config file example::

    backend = "hybrid"

    [llm]
    base_url = "https://api.openai.com/v1"
    model = "gpt-4o-mini"
    api_key_env = "OPENAI_API_KEY"
    token_budget = 2_000_000

    [llm.prices."gpt-4o-mini"]      # USD per million tokens
    input = 0.15
    output = 0.60
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlparse

from extractor.errors import ConfigError

BACKENDS = ("rules", "llm", "hybrid")
MODES = ("TOOLS", "JSON", "JSON_SCHEMA", "MD_JSON")
ENV_PREFIX = "FORMEX_"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


# Instructor mode by server. Keys are matched against the host (and port) of ``base_url``.
# llama.cpp's Python server rejects response_format json_schema but honours a forced tool call
# (it turns the tool's schema into a grammar); Ollama's tool calling depends on the model, its
# JSON mode does not; vLLM implements json_schema with guided decoding.
MODE_BY_SERVER: tuple[tuple[str, str], ...] = (
    ("api.openai.com", "TOOLS"),
    ("api.deepseek.com", "TOOLS"),
    ("dashscope", "TOOLS"),          # Qwen (Alibaba Cloud)
    (":11434", "JSON"),              # Ollama's default port
    ("ollama", "JSON"),
    ("vllm", "JSON_SCHEMA"),
)
DEFAULT_MODE = "TOOLS"


def default_mode(base_url: str) -> str:
    """A sensible instructor mode for a server; ``TOOLS`` where nothing better is known."""
    where = base_url.lower()
    for needle, mode in MODE_BY_SERVER:
        if needle in where:
            return mode
    return DEFAULT_MODE


@dataclass(frozen=True)
class LLMSettings:
    """How the model backend talks to an OpenAI-compatible API."""

    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    api_key: str | None = field(default=None, repr=False)
    mode: str | None = None                 # None: default_mode(base_url)
    temperature: float = 0.0
    max_tokens: int = 4096
    timeout_s: float = 120.0
    max_reasks: int = 2                     # instructor re-asks on schema-invalid output
    transport_attempts: int = 5             # tenacity: 429 / 5xx / timeouts / resets
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    max_retry_after_s: float = 120.0        # a longer Retry-After gives up instead of waiting
    prompt_version: str = "v1"
    few_shot: bool = True
    targeted_reask: bool = True
    concurrency: int = 4
    cache_path: str | None = ".formex-cache/llm.sqlite"   # None (or "off"): no cache
    token_budget: int | None = None
    prices: Mapping[str, Price] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.cache_path, str) and self.cache_path.strip().lower() in ("", "off", "none"):
            object.__setattr__(self, "cache_path", None)
        if self.mode is not None and self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}; choose one of: {', '.join(MODES)}")
        if not urlparse(self.base_url).scheme.startswith("http"):
            raise ConfigError(f"base_url must be an http(s) URL, not {self.base_url!r}")
        for name in ("max_tokens", "transport_attempts", "concurrency"):
            if getattr(self, name) < 1:
                raise ConfigError(f"llm.{name} must be at least 1")
        if self.max_reasks < 0:
            raise ConfigError("llm.max_reasks must not be negative")
        if self.token_budget is not None and self.token_budget < 1:
            raise ConfigError("llm.token_budget must be positive")

    @property
    def resolved_mode(self) -> str:
        return self.mode or default_mode(self.base_url)

    @property
    def is_loopback(self) -> bool:
        return (urlparse(self.base_url).hostname or "") in LOOPBACK_HOSTS

    def price(self) -> Price | None:
        return self.prices.get(self.model)

    def key_or_error(self) -> str:
        """The API key; a local server gets a placeholder, a remote one must have a key."""
        if self.api_key:
            return self.api_key
        if self.is_loopback:
            return "local"
        raise ConfigError(f"no API key: set {self.api_key_env} (or llm.api_key_env to the variable that holds it)")


@dataclass(frozen=True)
class ServiceSettings:
    """The HTTP service (``formex serve``)."""

    api_keys: tuple[str, ...] = field(default=(), repr=False)
    allow_anonymous: bool = False           # serve without keys (local use only)
    job_db: str = ".formex-service/jobs.sqlite"
    max_upload_bytes: int = 20 * 1024 * 1024
    sync_max_bytes: int = 256 * 1024        # text inputs up to this size are answered at once
    job_timeout_s: float = 600.0
    job_workers: int = 1

    def __post_init__(self) -> None:
        if self.max_upload_bytes < 1 or self.sync_max_bytes < 0 or self.job_timeout_s <= 0 or self.job_workers < 1:
            raise ConfigError("service limits must be positive")

    def named_keys(self) -> list[tuple[str, str]]:
        """(name, secret) per API key: ``name:secret`` names a key (the review trail says who);
        a plain secret is named ``key-`` and the first 8 hex digits of its sha256."""
        import hashlib

        named = []
        for entry in self.api_keys:
            name, colon, secret = entry.partition(":")
            if not colon or not name.strip() or not secret:
                name, secret = "key-" + hashlib.sha256(entry.encode()).hexdigest()[:8], entry
            named.append((name.strip(), secret))
        return named


@dataclass(frozen=True)
class Settings:
    """How formex runs. Immutable; derive variants with :meth:`with_`."""

    backend: str = "rules"
    max_input_bytes: int = 50 * 1024 * 1024
    max_pages: int = 200                    # pages of a PDF, frames of a TIFF
    max_pixels: int = 64_000_000            # one page image, decoded or rendered
    max_zip_entries: int = 20_000
    max_zip_ratio: int = 200                # unpacked / packed, for entries over 1 MiB (zip bombs)
    ocr_dpi: int = 200
    validate: bool = True       # off: no validation, so no repair either (see extractor.pipeline)
    ocr_corrections: bool = True   # OCR confusions corrected where unique (extractor.ingest.confusions)
    llm: LLMSettings = field(default_factory=LLMSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown backend {self.backend!r}; choose one of: {', '.join(BACKENDS)}")
        if min(self.max_input_bytes, self.max_pages, self.max_pixels, self.max_zip_entries, self.max_zip_ratio) <= 0:
            raise ConfigError("max_input_bytes, max_pages, max_pixels, max_zip_entries and max_zip_ratio must be positive")
        if not 72 <= self.ocr_dpi <= 600:
            raise ConfigError("ocr_dpi must be between 72 and 600")

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]

    def with_llm(self, **changes: object) -> "Settings":
        return replace(self, llm=replace(self.llm, **{k: v for k, v in changes.items() if v is not None}))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, config: str | Path | None = None,
                 llm: Mapping[str, object] | None = None, **overrides: object) -> "Settings":
        """Defaults, then the config file, then ``FORMEX_*``, then ``overrides`` and ``llm`` overrides."""
        env = os.environ if environ is None else environ
        config_path = config or env.get(ENV_PREFIX + "CONFIG")
        file_values = _read_config(Path(config_path)) if config_path else {}
        top = {k: v for k, v in file_values.items() if k not in ("llm", "service")}
        service_values = dict(file_values.get("service", {}))
        if env.get(ENV_PREFIX + "API_KEYS"):
            service_values["api_keys"] = env[ENV_PREFIX + "API_KEYS"]
        if env.get(ENV_PREFIX + "JOB_DB"):
            service_values["job_db"] = env[ENV_PREFIX + "JOB_DB"]
        if isinstance(service_values.get("api_keys"), str):
            service_values["api_keys"] = tuple(k.strip() for k in service_values["api_keys"].split(",") if k.strip())
        elif "api_keys" in service_values:
            service_values["api_keys"] = tuple(service_values["api_keys"])
        llm_values = _llm_from_mapping(file_values.get("llm", {}))
        top.update(_top_from_env(env))
        llm_values.update(_llm_from_env(env))
        top.update({k: v for k, v in overrides.items() if v is not None})
        llm_values.update({k: v for k, v in (llm or {}).items() if v is not None})
        key_env = str(llm_values.get("api_key_env", LLMSettings.api_key_env))
        llm_values.setdefault("api_key", env.get(key_env) or None)
        try:
            return cls(llm=LLMSettings(**llm_values), service=ServiceSettings(**service_values), **top)  # type: ignore[arg-type]
        except TypeError as exc:
            raise ConfigError(f"unknown setting: {exc}") from exc


_TOP_ENV = {"BACKEND": ("backend", str), "MAX_INPUT_BYTES": ("max_input_bytes", int),
            "MAX_PAGES": ("max_pages", int), "MAX_PIXELS": ("max_pixels", int), "OCR_DPI": ("ocr_dpi", int)}
_LLM_ENV = {
    "BASE_URL": ("base_url", str), "MODEL": ("model", str), "API_KEY_ENV": ("api_key_env", str),
    "MODE": ("mode", str), "TEMPERATURE": ("temperature", float), "MAX_TOKENS": ("max_tokens", int),
    "TIMEOUT_S": ("timeout_s", float), "PROMPT_VERSION": ("prompt_version", str),
    "CONCURRENCY": ("concurrency", int), "CACHE_PATH": ("cache_path", str), "TOKEN_BUDGET": ("token_budget", int),
}


def _convert(env_name: str, raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError as exc:
        raise ConfigError(f"{env_name} must be {kind.__name__}, not {raw!r}") from exc


def _top_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {name: _convert(ENV_PREFIX + var, env[ENV_PREFIX + var], kind)
            for var, (name, kind) in _TOP_ENV.items() if env.get(ENV_PREFIX + var)}


def _llm_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values = {name: _convert(ENV_PREFIX + "LLM_" + var, env[ENV_PREFIX + "LLM_" + var], kind)
              for var, (name, kind) in _LLM_ENV.items() if env.get(ENV_PREFIX + "LLM_" + var)}
    return values


def _read_config(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def _llm_from_mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(LLMSettings)} - {"api_key"}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown [llm] setting(s) in config: {', '.join(sorted(unknown))}")
    result = dict(values)
    if "prices" in result:
        try:
            result["prices"] = {model: Price(float(p["input"]), float(p["output"])) for model, p in result["prices"].items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError("[llm.prices.MODEL] needs numeric input and output (USD per million tokens)") from exc
    return result
