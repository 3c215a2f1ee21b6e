"""Compare backends (and models, prompts) on the real visible set and on synthetic sets.

    formex eval --compare rules hybrid:fake llm:MODEL@URL ... --report DIR

A spec is ``rules``, ``llm`` or ``hybrid`` (model from the settings), ``llm:MODEL@URL`` /
``hybrid:MODEL@URL`` for any OpenAI-compatible endpoint, or ``llm:fake`` / ``hybrid:fake`` for
formex's own fake server answering with the parser's reading (a plumbing check, not a model).

The real forms and the synthetic forms are always reported side by side, never blended.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from eval.compare import FieldResult, compare_document
from eval.dataset import DATA_DIR, load_cases
from eval.evaluators import FabricationRate, FieldF1, PerFieldF1, RowRecall, grouped_prf
from eval.synthetic import DEFAULT_LEVEL, INCONSISTENCIES, KINDS, make_set
from extractor.backends import get_backend
from extractor.errors import ConfigError, FormexError
from extractor.pipeline import extract_text
from extractor.runstats import RunStats
from extractor.settings import Settings

NOISE_LEVELS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
ALIGNMENT_RANK = {"exact": 0, "normalized": 1, "split": 1, "derived": 2, "none": 3}


@dataclass(frozen=True)
class Item:
    """One document to score: its text, gold forms, and what was done to each form."""

    name: str
    text: str
    gold: list[dict[str, Any]]
    kinds: tuple[tuple[str, ...], ...] = ()
    expected_findings: tuple[tuple[str, ...], ...] = ()


@dataclass
class RunRecord:
    """What one backend did on one set of items."""

    results: list[FieldResult] = field(default_factory=list)
    forms: list[dict[str, Any]] = field(default_factory=list)   # per predicted form: doc, index, alignment, codes
    stats: RunStats = field(default_factory=RunStats)
    seconds: float = 0.0
    failed_documents: int = 0


def real_items(data_dir=DATA_DIR) -> list[Item]:
    return [Item(c.name, c.text_path.read_text(encoding="utf-8"), c.gold) for c in load_cases(data_dir)]


def synthetic_items(count: int = 500, *, level: float = DEFAULT_LEVEL, seed: int = 0,
                    inconsistency_rate: float = 0.0) -> list[Item]:
    return [Item(d.name, d.text, d.gold, tuple(map(tuple, d.kinds)), tuple(map(tuple, d.expected_findings)))
            for d in make_set(count, level=level, seed=seed, inconsistency_rate=inconsistency_rate)]


def run_items(items: Sequence[Item], settings: Settings) -> RunRecord:
    backend = get_backend(settings)
    record = RunRecord()
    started = time.perf_counter()
    for item in items:
        try:
            result = extract_text(item.text, source=item.name, settings=settings, backend=backend)
        except FormexError:
            record.failed_documents += 1
            record.results.extend(compare_document(item.name, item.gold, []))
            continue
        record.stats.add(result)
        predicted = [f.form.model_dump(mode="json") for f in result.forms]
        record.results.extend(compare_document(item.name, item.gold, predicted))
        for index, extracted in enumerate(result.forms):
            validation = extracted.validation
            record.forms.append({"document": item.name, "index": index,
                                 "alignment": validation.alignment if validation else {},
                                 "error_codes": sorted({f.code for f in validation.errors()}) if validation else []})
    record.seconds = time.perf_counter() - started
    return record


# --- one small function per metric -----------------------------------------------------------

def field_f1(record: RunRecord) -> dict[str, Any]:
    return FieldF1().evaluate(record.results)


def per_field(record: RunRecord) -> dict[str, Any]:
    return PerFieldF1().evaluate(record.results)


def per_form_type(record: RunRecord, items: Sequence[Item]) -> dict[str, Any]:
    types = {(i.name, n): g["form_type"] for i in items for n, g in enumerate(i.gold)}
    return grouped_prf(record.results, lambda r: types.get((r.document, r.form), "unpaired"))


def per_noise_kind(record: RunRecord, items: Sequence[Item]) -> dict[str, Any]:
    kinds = {(i.name, n): set(k) for i in items for n, k in enumerate(i.kinds)}
    table = {}
    for kind in KINDS:
        subset = [r for r in record.results if kind in kinds.get((r.document, r.form), ())]
        if subset:
            table[kind] = FieldF1().evaluate(subset)
    clean = [r for r in record.results if not kinds.get((r.document, r.form))]
    if clean:
        table["(none)"] = FieldF1().evaluate(clean)
    return table


def consistency_rate(record: RunRecord) -> dict[str, Any]:
    forms = len(record.forms)
    consistent = sum(1 for f in record.forms if not f["error_codes"])
    return {"forms": forms, "consistent": consistent, "rate": round(consistent / forms, 4) if forms else None}


def fabrication_and_rows(record: RunRecord) -> dict[str, Any]:
    return {"fabrication": FabricationRate().evaluate(record.results), "rows": RowRecall().evaluate(record.results)}


def alignment_auroc(record: RunRecord) -> dict[str, Any]:
    """How well "not exact" ranks wrong values above right ones (Mann–Whitney AUROC)."""
    alignment = {(f["document"], f["index"]): f["alignment"] for f in record.forms}
    wrong, right = [], []
    for r in record.results:
        if r.pred_path is None or r.pred_form is None or r.status not in ("tp", "mismatch", "fp"):
            continue
        status = alignment.get((r.document, r.pred_form), {}).get(r.pred_path, "none")
        (right if r.status == "tp" else wrong).append(ALIGNMENT_RANK.get(status, 3))
    if not wrong or not right:
        return {"auroc": None, "wrong": len(wrong), "right": len(right)}
    greater = sum(1 for w in wrong for r in right if w > r)
    ties = sum(1 for w in wrong for r in right if w == r)
    return {"auroc": round((greater + 0.5 * ties) / (len(wrong) * len(right)), 4), "wrong": len(wrong), "right": len(right)}


def inconsistency_detection(record: RunRecord, items: Sequence[Item]) -> dict[str, Any]:
    """For forms printed with a known inconsistency: was its finding raised?"""
    codes = {(f["document"], f["index"]): set(f["error_codes"]) for f in record.forms}
    pairing = {(r.document, r.form): r.pred_form for r in record.results if r.pred_form is not None}
    table: dict[str, dict[str, Any]] = {}
    for item in items:
        for n, expected in enumerate(item.expected_findings):
            for code in expected:
                row = table.setdefault(code, {"trials": 0, "detected": 0})
                row["trials"] += 1
                raised = codes.get((item.name, pairing.get((item.name, n))), set())
                row["detected"] += code in raised
    for row in table.values():
        row["recall"] = round(row["detected"] / row["trials"], 4) if row["trials"] else None
    return table


def cost_per_form(record: RunRecord) -> dict[str, Any]:
    forms = max(record.stats.forms, 1)
    return {"tokens_per_form": round(record.stats.total_tokens / forms, 1),
            "cost_usd_per_form": round(record.stats.cost_usd / forms, 6) if record.stats.cost_usd is not None else None,
            "seconds_per_form": round(record.seconds / forms, 4),
            "forms_sent_to_model": record.stats.forms_sent_to_model, "api_calls": record.stats.usage["api_calls"],
            "cached_calls": record.stats.usage["cached_calls"]}


def summarise(record: RunRecord, items: Sequence[Item], *, synthetic: bool) -> dict[str, Any]:
    summary = {"documents": len(items), "forms_gold": sum(len(i.gold) for i in items), "forms": record.stats.forms,
               "failed_documents": record.failed_documents, "field_f1": field_f1(record),
               "per_field": per_field(record), "per_form_type": per_form_type(record, items),
               "consistency": consistency_rate(record), **fabrication_and_rows(record),
               "alignment_auroc": alignment_auroc(record), "cost": cost_per_form(record)}
    if synthetic:
        summary["per_noise_kind"] = per_noise_kind(record, items)
    return summary


# --- backends -----------------------------------------------------------------------------------

def settings_for(spec: str, base: Settings, stack: ExitStack) -> Settings:
    """Settings for one spec; ``:fake`` starts the fake server for the life of ``stack``."""
    backend, _, target = spec.partition(":")
    if backend not in ("rules", "llm", "hybrid"):
        raise ConfigError(f"unknown backend in {spec!r}; use rules, llm[:MODEL@URL|:fake] or hybrid[:MODEL@URL|:fake]")
    settings = base.with_(backend=backend)
    if target == "fake":
        from extractor.testing import FakeOpenAIServer, parser_model

        server = stack.enter_context(FakeOpenAIServer(default=parser_model()))
        return settings.with_llm(base_url=server.url, model="fake-parser-echo", cache_path="off")
    if target:
        model, _, url = target.partition("@")
        return settings.with_llm(model=model or None, base_url=url or None)
    return settings


@dataclass
class Comparison:
    specs: list[str]
    real: dict[str, dict[str, Any]] = field(default_factory=dict)
    synthetic: dict[str, dict[str, Any]] = field(default_factory=dict)
    noise_curve: dict[str, dict[float, float]] = field(default_factory=dict)
    inconsistencies: dict[str, dict[str, Any]] = field(default_factory=dict)
    validators: dict[str, Any] = field(default_factory=dict)
    settings_note: dict[str, Any] = field(default_factory=dict)


def compare(specs: Iterable[str], base: Settings, *, synthetic_forms: int = 500, curve_forms: int = 150,
            levels: Sequence[float] = NOISE_LEVELS, progress=lambda message: None) -> Comparison:  # type: ignore[no-untyped-def]
    from eval.mutations import run_validator_eval

    specs = list(specs)
    result = Comparison(specs)
    real = real_items()
    synthetic = synthetic_items(synthetic_forms)
    odd = synthetic_items(max(100, synthetic_forms // 5), seed=7, inconsistency_rate=1.0)
    curves = {level: synthetic_items(curve_forms, level=level, seed=11) for level in levels}
    for spec in specs:
        with ExitStack() as stack:
            settings = settings_for(spec, base, stack)
            progress(f"{spec}: real forms")
            result.real[spec] = summarise(run_items(real, settings), real, synthetic=False)
            progress(f"{spec}: {synthetic_forms} synthetic forms")
            result.synthetic[spec] = summarise(run_items(synthetic, settings), synthetic, synthetic=True)
            progress(f"{spec}: inconsistent forms")
            result.inconsistencies[spec] = inconsistency_detection(run_items(odd, settings), odd)
            result.noise_curve[spec] = {}
            for level, items in curves.items():
                progress(f"{spec}: noise level {level}")
                result.noise_curve[spec][level] = field_f1(run_items(items, settings))["f1"]
    progress("validators: mutation detection on the real gold")
    result.validators = run_validator_eval(DATA_DIR).as_dict()
    result.settings_note = {"synthetic_forms": synthetic_forms, "curve_forms_per_level": curve_forms,
                            "levels": list(levels), "default_level": DEFAULT_LEVEL,
                            "inconsistency_types": sorted(INCONSISTENCIES.values())}
    return result
