"""``python -m extractor`` is ``formex``."""

from extractor.cli import main

main()
