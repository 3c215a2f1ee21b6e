"""formex: validated JSON from OCR text of Chinese fiscal project performance forms.

Library entry points::

    from extractor import extract_file, extract_text, Settings
    result = extract_file("scan.txt")
    result.to_json()   # {"source", "sha256", "forms": [...]}
"""

from extractor.errors import FormexError
from extractor.pipeline import DocumentResult, extract_bytes, extract_file, extract_text
from extractor.settings import Settings

__version__ = "0.1.0"

__all__ = ["DocumentResult", "FormexError", "Settings", "extract_bytes", "extract_file", "extract_text", "__version__"]
