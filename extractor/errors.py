"""Every error formex raises, in one tree.

::

    FormexError                      base of everything below; has .message and .exit_code
    ├── UserError                    the caller can fix it (exit code 1)
    │   ├── InputError               one input cannot be used; other inputs go on
    │   │   ├── InputNotFound        the path does not exist or is not a file
    │   │   ├── InputTooLarge        over the size (or page) limit
    │   │   ├── UnsafeInput          a zip entry with an unsafe path, a link, or a zip bomb
    │   │   ├── CorruptInput         a PDF or image that cannot be read
    │   │   ├── EncryptedInput       a password-protected PDF or office file
    │   │   ├── EmptyInput           the file holds no text
    │   │   ├── BinaryInput          the file is not text (and no ingester takes it)
    │   │   ├── UndecodableInput     text in an encoding formex cannot read
    │   │   ├── MissingTool          a format whose optional reader (LibreOffice) is not installed
    │   │   └── NoFormsFound         text, but no 自评表 / 申报表 in it
    │   ├── ConfigError              a setting is missing or wrong, or the API refused it (exit code 2)
    │   └── BudgetExhausted          the run's token budget is spent; the rest is not sent (exit code 5)
    ├── ModelError                   the model answered, but not usefully: no schema-valid answer
    │                                after the re-asks, or an answer cut off (exit code 3)
    ├── APIError                     the model's API failed: timeouts, resets, 5xx, 429 after the
    │                                bounded retries (exit code 4)
    ├── InternalError                formex's own fault, not the input's (exit code 1): a bug
    │   ├── WorkerCrashed            a worker process died (out of memory?) with the input
    │   ├── JobTimeout               a service job ran over its time limit
    │   └── InputLost                a queued job's stored input is gone
    └── StorageUnavailable           the service's job store cannot be read or written (disk full,
                                     read-only, locked past its timeout); nothing was recorded (exit code 6)

Third-party exceptions are translated into this tree where they enter formex
(the backends' boundary); nothing else leaks out of the library. A failure recorded as
data (a document's ``errors``, ``errors.jsonl``, a failed job) carries its class's ``code``;
:func:`exit_code_for` turns recorded codes back into the CLI's exit code.
"""

from __future__ import annotations


class FormexError(Exception):
    """Base class. ``message`` is meant for a person; ``exit_code`` for the CLI."""

    exit_code = 1
    code = "formex_error"

    def __init__(self, message: str, *, source: str | None = None, attempts: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.attempts = attempts

    def as_dict(self) -> dict[str, str | int | None]:
        data: dict[str, str | int | None] = {"code": self.code, "message": self.message, "source": self.source}
        if self.attempts is not None:
            data["attempts"] = self.attempts
        return data


class UserError(FormexError):
    code = "user_error"


class InputError(UserError):
    code = "input_error"


class InputNotFound(InputError):
    code = "input_not_found"


class InputTooLarge(InputError):
    code = "input_too_large"


class UnsafeInput(InputError):
    code = "unsafe_input"


class CorruptInput(InputError):
    code = "corrupt_input"


class EncryptedInput(InputError):
    code = "encrypted_input"


class EmptyInput(InputError):
    code = "empty_input"


class BinaryInput(InputError):
    code = "binary_input"


class UndecodableInput(InputError):
    code = "undecodable_input"


class MissingTool(InputError):
    code = "missing_tool"


class NoFormsFound(InputError):
    code = "no_forms_found"


class InvalidCorrection(InputError):
    """A reviewer's correction that cannot be applied: a path the result does not hold, a bad patch."""

    code = "invalid_correction"


class ConfigError(UserError):
    code = "config_error"
    exit_code = 2


class BudgetExhausted(UserError):
    code = "budget_exhausted"
    exit_code = 5


class ModelError(FormexError):
    code = "model_error"
    exit_code = 3


class APIError(FormexError):
    code = "api_error"
    exit_code = 4


class InternalError(FormexError):
    code = "internal_error"

    @classmethod
    def from_exception(cls, exc: BaseException) -> "InternalError":
        """A bug, reported as data; its traceback goes to the debug log where it is caught."""
        return cls(f"{type(exc).__name__}: {exc}")


class WorkerCrashed(InternalError):
    code = "worker_crashed"


class JobTimeout(InternalError):
    code = "job_timeout"


class InputLost(InternalError):
    code = "input_lost"


def error_classes(kind: type[FormexError] = FormexError) -> list[type[FormexError]]:
    """Every class of the tree below ``kind`` (itself included)."""
    return [kind, *(sub for child in kind.__subclasses__() for sub in error_classes(child))]


def exit_code_for(codes) -> int:  # type: ignore[no-untyped-def]
    """The CLI's exit code for the errors a run recorded (their ``code`` strings): 0 without any;
    otherwise the highest exit code among their classes (budget 5 > API 4 > model 3 > config 2 > 1)."""
    by_code = {kind.code: kind.exit_code for kind in error_classes()}
    return max((by_code.get(code, 1) for code in codes), default=0)


class UnknownFormType(UserError):
    """A form type with no spec under ``extractor/specs/``."""

    code = "unknown_form_type"


class StorageUnavailable(FormexError):
    code = "storage_unavailable"
    exit_code = 6
