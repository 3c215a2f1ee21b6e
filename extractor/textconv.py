"""Traditional → Simplified Chinese for matching labels and titles (OpenCC), never for values."""

from __future__ import annotations

from functools import partial
from typing import Iterable

import opencc

_CONVERTER = opencc.OpenCC("t2s")
_CACHE_MAX = 1 << 14


class _Conversions(dict):
    """Text → its Simplified form: a text not held yet is converted on first look-up (``__missing__``),
    so that a look-up of one held (nearly every one: :func:`prime` converts a document's texts at
    once) is a dict subscript at C speed, not a Python call."""

    def __missing__(self, text: str) -> str:
        simple = text if text.isascii() else _CONVERTER.convert(text)
        if len(self) >= _CACHE_MAX:
            self.clear()
        self[text] = simple
        return simple


_CACHE = _Conversions()

simplified = partial(dict.__getitem__, _CACHE)
simplified.__doc__ = """``財政項目支出績效自評表`` → ``财政项目支出绩效自评表``; ASCII and Simplified text are returned as is.
(A partial over the conversions' subscript: called hundreds of times a form, it makes no Python frame.)"""


def prime(texts: Iterable[str]) -> None:
    """Convert many texts (a document's lines) in one OpenCC call, for :func:`simplified` to find.

    A call costs ~3 µs however short its text, a character ~0.05 µs. Texts are joined by newlines:
    no dictionary entry holds one, so no match crosses from one text into the next and each comes
    back as it would alone."""
    todo = [t for t in texts if t not in _CACHE and not t.isascii() and "\n" not in t]
    if not isinstance(texts, (set, frozenset)):
        todo = list(dict.fromkeys(todo))       # each text once (a set holds each once already)
    if not todo:
        return
    converted = _CONVERTER.convert("\n".join(todo)).split("\n")
    if len(converted) == len(todo):
        if len(_CACHE) + len(todo) > _CACHE_MAX:
            _CACHE.clear()      # room for the whole document first: none of its texts is dropped while it is read
        _CACHE.update(zip(todo, converted))


simplified.cache_clear = _CACHE.clear  # type: ignore[attr-defined]   # the benchmarks' reset between documents
