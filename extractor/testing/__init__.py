"""Test doubles that ship with formex, for its own tests and for yours.

:class:`~extractor.testing.openai_server.FakeOpenAIServer` is an OpenAI-compatible chat
completions server on loopback, answering from a script, so the real ``openai`` client,
``instructor``'s parsing and re-asks, and formex's retries all run without a network.
"""

from extractor.testing.openai_server import (
    FakeOpenAIServer,
    Reply,
    answer,
    error,
    parser_model,
    raw_content,
    slow,
)

__all__ = ["FakeOpenAIServer", "Reply", "answer", "error", "parser_model", "raw_content", "slow"]
