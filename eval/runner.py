"""Run a backend over the eval set and score it."""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from eval.compare import FieldResult, compare_document
from eval.dataset import DATA_DIR, EvalCase, load_cases
from eval.evaluators import DEFAULT_EVALUATORS, Evaluator, Mismatches
from extractor.backends import Backend, get_backend
from extractor.errors import FormexError
from extractor.pipeline import extract_bytes
from extractor.runstats import RunStats
from extractor.settings import Settings


@dataclass
class EvalReport:
    backend: str
    documents: int
    forms_gold: int
    forms_predicted: int
    seconds: float
    metrics: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    run: RunStats = field(default_factory=RunStats)
    model: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "model": self.model, "documents": self.documents, "forms_gold": self.forms_gold,
                "forms_predicted": self.forms_predicted, "seconds": round(self.seconds, 3),
                "metrics": self.metrics, "run": self.run.as_dict(), "errors": self.errors}


def case_input(case: EvalCase, rendering: str = "text") -> tuple[bytes, str]:
    """The case's document as bytes: its OCR text, or rendered as a text-layer PDF or a noisy scan."""
    if rendering.startswith("office"):
        from eval.office import office_input

        return office_input(case.name, case.gold, rendering)
    data = case.text_path.read_bytes()
    if rendering == "text":
        return data, str(case.text_path)
    from eval.render_formats import FORMATS, SUFFIX, render

    if rendering in FORMATS:
        return render(data.decode("utf-8"), rendering), f"{case.name}.{rendering}.{SUFFIX[rendering]}"
    from eval.render import render_scan_pdf, render_text_pdf

    text = data.decode("utf-8")
    pdf = render_text_pdf(text) if rendering == "pdf" else render_scan_pdf(text, seed=zlib.crc32(case.name.encode()))
    return pdf, f"{case.name}.{rendering}.pdf"


def predict(case: EvalCase, settings: Settings, backend: Backend, run: RunStats,
            rendering: str = "text") -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    try:
        data, source = case_input(case, rendering)
        result = extract_bytes(data, source=source, settings=settings, backend=backend)
    except FormexError as exc:
        return [], {"document": case.name, **exc.as_dict()}
    run.add(result)
    error = {"document": case.name, "form_errors": result.errors} if result.errors else None
    return [f.form.model_dump(mode="json") for f in result.forms], error


def run_eval(settings: Settings, data_dir: Path | str = DATA_DIR, *, detail: bool = False, rendering: str = "text",
             evaluators: Sequence[Evaluator] = DEFAULT_EVALUATORS) -> EvalReport:
    """Score a backend on the eval set; ``rendering`` feeds it the OCR texts, or the same
    documents rendered as text-layer PDFs (``pdf``), noisy scans (``scan``, OCR), or the other
    shapes archives hold (``xlsx``, ``docx``, ``html``, ``pipes``, ``cells``, ``flat``:
    :mod:`eval.render_formats`)."""
    cases = load_cases(data_dir)
    backend = get_backend(settings)
    run = RunStats()
    started = time.perf_counter()
    results: list[FieldResult] = []
    errors: list[dict[str, Any]] = []
    predicted_forms = 0
    for case in cases:
        pred, error = predict(case, settings, backend, run, rendering)
        if error:
            errors.append(error)
        predicted_forms += len(pred)
        results.extend(compare_document(case.name, case.gold, pred))
    report = EvalReport(settings.backend if rendering == "text" else f"{settings.backend} on {rendering} renderings", len(cases), sum(len(c.gold) for c in cases), predicted_forms,
                        time.perf_counter() - started, errors=errors, run=run,
                        model=backend.describe() if hasattr(backend, "describe") else None)
    for evaluator in (*evaluators, *((Mismatches(),) if detail else ())):
        report.metrics[evaluator.name] = evaluator.evaluate(results)
    return report
