"""The ASGI app built from the environment (``uvicorn extractor.service.asgi:app``), for
multi-process serving; ``formex serve`` builds it the same way."""

from extractor.service.app import create_app
from extractor.settings import Settings

app = create_app(Settings.from_env())
