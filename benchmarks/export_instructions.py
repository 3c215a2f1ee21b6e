"""Instructions a form spent on the exports, counted by callgrind: steady where CPU time is not.

    python -m benchmarks.export_instructions [--documents 60] [--what all|render|rows|xlsx|csv|listing]

The documents (synthetic, seeded, as :mod:`benchmarks.batch_exports` makes them) are extracted
once, here, and kept as their result JSON; then this module runs itself under ``valgrind
--tool=callgrind`` twice, doing the export work on every document 1 and 3 times: the difference over
two passes' forms is the instructions a form (imports, start-up and each shape's first template
drop out). ``--what``: ``all`` is what a batch spends on a document's exports (its parts rendered,
passed between processes both ways, added to the workbook and CSV writers, saved; its forms.jsonl
lines and flagged forms made, passed and written), ``render`` only
:func:`~extractor.export_tables.render_exports`, ``rows`` the forms' rows, ``xlsx``/``csv`` the rows
and one renderer (these three with the cycle collector on), ``listing`` forms.jsonl and flagged.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import subprocess
import sys
import tempfile
from importlib import import_module
from pathlib import Path

WHAT = ("all", "render", "rows", "xlsx", "csv", "listing")


def make_documents(count: int, path: Path) -> int:
    """``count`` synthetic documents extracted, one result JSON a line; returns their forms."""
    from eval.synthetic import make_document
    from extractor.backends import get_backend
    from extractor.pipeline import extract_bytes
    from extractor.settings import Settings

    settings = Settings()
    backend = get_backend(settings)
    forms = 0
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            document = make_document(n, forms=(2, 6))
            result = extract_bytes(document.text.encode(), source=f"in/doc{n:06d}.txt", settings=settings,
                                   backend=backend).to_json()
            forms += len(result.get("forms") or [])
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return forms


def passes(documents_file: Path, count: int, what: str) -> None:
    """The export work on every document, ``count`` times (run under callgrind)."""
    from extractor.batch import _compact, flagged_forms, listing_lines
    from extractor.export_csv import CsvWriter
    from extractor.export_tables import RENDERERS, document_rows, render_exports
    from extractor.export_xlsx import WorkbookWriter

    documents = [json.loads(line) for line in documents_file.read_text(encoding="utf-8").splitlines()]
    encoded = [[_compact(form).encode() for form in document.get("forms") or []]   # (made for the result file,
               for document in documents]                                         # not by the exports)
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(count):
            root = Path(tmp) / str(n)
            sinks = [WorkbookWriter(root / "forms.xlsx"), CsvWriter(root / "csv")]
            with (root / "forms.jsonl").open("wb") as listed_file:
                for document, forms in zip(documents, encoded):
                    if what in ("rows", "xlsx", "csv"):
                        rows = list(document_rows(iter([document])))
                        if what != "rows":
                            import_module(RENDERERS[what]).render(rows)
                        continue
                    if what in ("all", "render"):
                        parts = render_exports(document, ("xlsx", "csv"))
                    if what in ("all", "listing"):
                        listed = (listing_lines(document, forms), flagged_forms(document))
                    if what == "all":
                        parts = pickle.loads(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL))
                        listed = pickle.loads(pickle.dumps(listed, protocol=pickle.HIGHEST_PROTOCOL))
                        for sink in sinks:
                            sink.add(parts[sink.kind])
                        listed_file.write(listed[0])
                        for entry in listed[1]:
                            json.dumps(entry, ensure_ascii=False)
            for sink in sinks:
                sink.close()


def instructions(documents_file: Path, count: int, what: str) -> int:
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
                           "benchmarks.export_instructions", "--passes", str(count), "--what", what,
                           "--documents-file", str(documents_file)],
                          capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=60)
    parser.add_argument("--what", choices=WHAT, default="all")
    parser.add_argument("--passes", type=int, help=argparse.SUPPRESS)          # (the run under callgrind)
    parser.add_argument("--documents-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.passes is not None:
        passes(args.documents_file, args.passes, args.what)
        return
    with tempfile.TemporaryDirectory() as tmp:
        documents_file = Path(tmp) / "documents.jsonl"
        forms = make_documents(args.documents, documents_file)
        once, thrice = (instructions(documents_file, n, args.what) for n in (1, 3))
    per_form = (thrice - once) // (2 * forms)
    print(json.dumps({"documents": args.documents, "forms": forms, "what": args.what,
                      "instructions_per_form": per_form}))


if __name__ == "__main__":
    main()
