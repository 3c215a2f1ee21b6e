"""formex: validated JSON from OCR text of Chinese fiscal project performance forms.

Library entry points::

    from extractor import extract_file, extract_text, Settings
    result = extract_file("scan.txt")
    result.to_json()   # {"source", "sha256", "forms": [...]}
"""

from typing import Any

from extractor.errors import FormexError
from extractor.settings import Settings

__version__ = "0.1.0"

_PIPELINE = ("DocumentResult", "extract_bytes", "extract_file", "extract_text")


def __getattr__(name: str) -> Any:
    """The pipeline is imported on first use, so that ``formex --help`` starts at once."""
    if name in _PIPELINE:
        from extractor import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'extractor' has no attribute {name!r}")

__all__ = ["DocumentResult", "FormexError", "Settings", "extract_bytes", "extract_file", "extract_text", "__version__"]
