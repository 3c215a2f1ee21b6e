"""The ``formex`` command line: a thin layer over the library calls.

    formex extract PATH... [-o OUTDIR]     text, PDFs, images, office files, web pages, folders, zips, globs → JSON
    formex eval [--data DIR] [--detail]    score a backend on the labelled eval set
    formex validate RESULT.json --source DOC   re-validate an edited result
    formex review RESULT.json --source DOC -o page.html   the review page of a result
    formex serve [--host --port]           the HTTP service
    formex schema                          the JSON Schema of the hand-off format
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from extractor import __version__
from extractor.atomic import write_atomically
from extractor.errors import ConfigError, FormexError, InternalError, exit_code_for
from extractor.log import configure as configure_logging, get_logger
from extractor.runstats import RunStats
from extractor.settings import BACKENDS, MODES, Settings

ENGINES = ("local", "ray")   # extractor.engines.ENGINES, named here: importing it loads the pipeline

if TYPE_CHECKING:        # the pipeline is imported by the commands that run it, not by --help
    from extractor.backends import Backend

RENDERINGS = ("text", "pdf", "scan", "office", "xlsx", "docx", "html", "pipes", "cells", "flat", "glued")  # how eval feeds documents

EXIT_BUDGET = 5
log = get_logger("cli")


def _settings(config: str | None = None, llm: dict[str, object] | None = None, **overrides: object) -> Settings:
    try:
        return Settings.from_env(config=config, llm=llm, **overrides)
    except ConfigError as exc:
        raise click.UsageError(exc.message) from exc


def _backend(settings: Settings) -> Backend:
    from extractor.backends import get_backend

    try:
        return get_backend(settings)
    except ConfigError as exc:
        raise click.UsageError(exc.message) from exc


def model_options(command):  # type: ignore[no-untyped-def]
    """The options that configure the model backends (``llm``, ``hybrid``), shared by commands."""
    options = [
        click.option("--config", type=click.Path(dir_okay=False), help="TOML config file (default: $FORMEX_CONFIG)."),
        click.option("--model", help="Model name, e.g. gpt-4o-mini."),
        click.option("--base-url", help="OpenAI-compatible API base URL, e.g. http://127.0.0.1:8000/v1."),
        click.option("--api-key-env", help="Name of the environment variable holding the API key."),
        click.option("--mode", type=click.Choice(MODES), help="instructor mode (default: chosen per server)."),
        click.option("--prompt-version", help="Prompt version folder under prompts/ (default: v1)."),
        click.option("--few-shot/--no-few-shot", default=None, help="Include the prompt's example forms."),
        click.option("--max-tokens", type=int, help="Completion token limit per call."),
        click.option("--timeout", "timeout_s", type=float, help="Seconds per API call."),
        click.option("--concurrency", type=int, help="Forms in flight at once."),
        click.option("--token-budget", type=int, help="Stop sending forms once the run has used this many tokens."),
        click.option("--cache-path", help="Response cache (SQLite) path; 'off' disables it."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _llm_overrides(values: dict[str, object]) -> dict[str, object]:
    names = ("model", "base_url", "api_key_env", "mode", "prompt_version", "few_shot", "max_tokens", "timeout_s",
             "concurrency", "token_budget", "cache_path")
    return {name: values.pop(name, None) for name in names}


def _settings_from_options(backend: str | None, values: dict[str, object]) -> Settings:
    llm = _llm_overrides(values)
    return _settings(config=values.pop("config", None), llm=llm, backend=backend)  # type: ignore[arg-type]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="formex")
@click.option("-v", "--verbose", count=True, help="Log more to stderr: -v retries and progress, -vv tracebacks of internal errors.")
def main(verbose: int) -> None:
    """formex: validated JSON from OCR text of fiscal project performance forms.

    Exit codes: 0 all done; 1 an input or form failed, or a form is invalid (validate);
    2 configuration; 3 the model misbehaved; 4 the model's API failed; 5 the token budget is spent.
    """
    # instructor logs every failed attempt; formex reports failures itself, once, as typed errors.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    configure_logging(verbose)


def _summary_line(summary: dict, source: str) -> str:
    statuses = summary["statuses"]
    line = (f"{source}: {summary['forms']} forms; {statuses['valid']} valid, {statuses['needs_review']} need review, "
            f"{statuses['invalid']} invalid")
    if summary["form_errors"]:
        line += f", {len(summary['form_errors'])} form errors"
    return line


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output-dir", "outdir",
              help="Batch mode: one JSON per document here (a folder, or a URL: s3://bucket/out), plus forms.jsonl "
                   "and errors.jsonl; resumable.")
@click.option("--backend", type=click.Choice(BACKENDS), default=None, help="Extraction backend (default: rules).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Parallel worker processes for the parser (default: CPU count; model backends use 1); "
                   "with --engine ray and no --address, the CPUs of the local Ray cluster.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write an Excel workbook: forms, indicator rows and findings, headed by the form's labels.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write forms.csv, indicators.csv and findings.csv here (UTF-8 with BOM, for Excel).")
@click.option("--pretty", is_flag=True, help="Batch mode: indent each result's JSON (default: compact).")
@click.option("--summary/--no-summary", default=False, help="Print a line per document to stderr.")
@click.option("--progress/--no-progress", default=True, help="Show progress in batch mode.")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Batch mode: worker processes here (local), or Ray tasks on a cluster (ray; pip install 'formex[ray]').")
@click.option("--address", help="With --engine ray: the cluster (auto, ray://host:10001); default: a new local one.")
@model_options
def extract(paths: tuple[str, ...], outdir: str | None, backend: str | None, workers: int | None,
            xlsx_path: Path | None, csv_dir: Path | None, pretty: bool, summary: bool, progress: bool, engine: str,
            address: str | None,
            **options: object) -> None:
    """Extract forms from OCR text (any layout), PDFs (text layer or scanned), images, Excel, Word
    and legacy office files and web pages, given as files, folders, zip archives or glob patterns,
    into hand-off JSON (stdout, or -o OUTDIR)."""
    from extractor.ingest.limits import Limits
    from extractor.inputs import discover

    settings = _settings_from_options(backend, options)
    items, refused = discover(paths, max_bytes=settings.max_input_bytes, limits=Limits.of(settings))
    if not items and not refused:
        raise click.UsageError("no input files found")
    runner = _backend(settings)
    if outdir is None:
        if xlsx_path or csv_dir or engine != "local":
            raise click.UsageError(f"{'--xlsx and --csv need' if xlsx_path or csv_dir else '--engine ray needs'} -o OUTDIR")
        _extract_to_stdout(items, refused, settings, runner, summary)
    else:
        exports = {"xlsx": xlsx_path, "csv": csv_dir}
        _extract_batch(items, refused, _output_dir(outdir), settings, runner, workers or os.cpu_count() or 1, exports,
                       summary, progress, pretty, engine, address)


def _output_dir(raw: str) -> Path:
    from extractor.storage import as_path

    try:
        outdir = as_path(raw)
    except ConfigError as exc:
        raise click.UsageError(exc.message) from exc
    if outdir.is_file():
        raise click.UsageError(f"-o {raw} is a file, not a folder")
    return outdir


def _extract_to_stdout(items: list, refused: list, settings: Settings, runner: Backend, summary: bool) -> None:
    from extractor.pipeline import extract_bytes

    failures = len(refused)
    codes = [bad.error.code for bad in refused]
    run = RunStats()
    for bad in refused:
        click.echo(f"error: {bad.source}: {bad.error.message}", err=True)
    for item in items:
        if getattr(runner, "budget_exhausted", False):
            click.echo(f"token budget spent: {item.source} and the rest were not processed", err=True)
            sys.exit(EXIT_BUDGET)
        try:
            result = extract_bytes(item.read(settings.max_input_bytes), source=item.source, settings=settings,
                                   backend=runner)
        except FormexError as exc:
            failures += 1
            codes.append(exc.code)
            click.echo(f"error: {item.source}: {exc.message}", err=True)
            continue
        except Exception as exc:  # a bug: this input fails, the others go on
            log.debug("internal error on %s", item.source, exc_info=exc)
            failures += 1
            codes.append(InternalError.code)
            click.echo(f"error: {item.source}: {InternalError.from_exception(exc).message} (-vv for the traceback)", err=True)
            continue
        run.add(result)
        for error in result.errors:
            codes.append(error["code"])
            click.echo(f"error: {item.source} lines {error['lines'][0]}-{error['lines'][1]}: {error['message']}", err=True)
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        if summary:
            click.echo(_summary_line(result.summary(), item.source), err=True)
    if summary:
        click.echo(f"{len(items) + len(refused) - failures}/{len(items) + len(refused)} documents extracted, "
                   f"{run.forms} forms, {failures} failed", err=True)
        if (model_line := run.model_line()) is not None:
            click.echo(model_line, err=True)
    if getattr(runner, "budget_exhausted", False):
        sys.exit(EXIT_BUDGET)
    sys.exit(exit_code_for(codes))


def _extract_batch(items: list, refused: list, outdir: Path, settings: Settings, runner: Backend, workers: int,
                   exports: dict[str, Path | None], summary: bool, progress: bool, pretty: bool, engine: str = "local",
                   address: str | None = None) -> None:
    from extractor.batch import DUPLICATES_FILE, ERRORS_FILE, FLAGGED_FILE, FORMS_FILE
    from extractor.engines import get_engine
    from extractor.progress import ProgressLine

    line = ProgressLine() if progress else None

    def report(state, total):  # type: ignore[no-untyped-def]
        if line is not None:
            line(state, total)

    def document_line(source, document):  # type: ignore[no-untyped-def]
        if summary:
            click.echo(("\n" if line is not None and line.tty else "") + _summary_line(document, source), err=True)

    writers = _export_writers(exports)
    try:
        batch = get_engine(engine, outdir, settings, workers=workers, backend=runner, address=address,
                           on_progress=report, on_document=document_line, pretty=pretty, sinks=writers)
        result = batch.run(items, refused)
    except ConfigError as exc:
        raise click.UsageError(exc.message) from exc
    _echo_capped([f"error: {e['source']}: {e['message']}" for e in result.errors], None, outdir / ERRORS_FILE,
                 cap=len(result.errors) if summary else 20)
    _echo_capped([f"duplicate: {d['source']}: same content as {d['same_content_as']} (result {d['result']})"
                  for d in result.duplicates_shown], result.duplicates, outdir / DUPLICATES_FILE)
    _echo_capped([_flagged_line(f) for f in result.flagged_shown], result.flagged_forms, outdir / FLAGGED_FILE)
    if result.flagged_codes:
        click.echo("flagged forms by finding: " + ", ".join(f"{code} {count}" for code, count
                                                            in result.flagged_codes.most_common()), err=True)
    _close_exports(writers, exports, line)
    click.echo(f"{result.extracted + result.skipped}/{result.inputs} documents extracted, {result.run.forms} forms, "
               f"{result.pages} pages, {result.flagged} forms flagged, {result.failed} failed, "
               f"{result.skipped} skipped as already done, {result.duplicates} duplicates of another input "
               f"({result.seconds:.1f}s); JSON in {outdir}/, all forms in {outdir / FORMS_FILE}, "
               f"errors in {outdir / ERRORS_FILE}", err=True)
    if (model_line := result.run.model_line()) is not None:
        click.echo(model_line, err=True)
    if result.stopped_early:
        click.echo(f"stopped early: {result.stopped_early}", err=True)
        sys.exit(EXIT_BUDGET)
    sys.exit(exit_code_for(error.get("code", "") for error in result.errors))


def _echo_capped(lines: list[str], total: int | None, where: Path, cap: int = 20) -> None:
    """Print lines to stderr; past ``cap`` (or the lines kept), say how many more are in ``where``."""
    total = len(lines) if total is None else total
    for text in lines[:cap]:
        click.echo(text, err=True)
    if total > min(cap, len(lines)):
        click.echo(f"... {total - min(cap, len(lines))} more in {where}", err=True)


def _flagged_line(entry: dict) -> str:
    why = ", ".join(f"{code}" + (f" ×{count}" if count > 1 else "") for code, count in entry["codes"].items())
    name = f" {entry['project_name']}" if entry.get("project_name") else ""
    return f"flagged: {entry['source']} form {entry['form_index']}{name}: {entry['status']} ({why or 'no finding'})"


def _export_writers(exports: dict[str, Path | None]) -> list:
    """The workbook and CSV writers asked for; the batch feeds them each form's rows in input order."""
    writers: list = []
    if exports.get("xlsx"):
        from extractor.export_xlsx import WorkbookWriter

        writers.append(WorkbookWriter(exports["xlsx"]))
    if exports.get("csv"):
        from extractor.export_csv import CsvWriter

        writers.append(CsvWriter(exports["csv"]))
    return writers


def _close_exports(writers: list, exports: dict[str, Path | None], line: object) -> None:
    for writer in writers:
        if line is not None:
            what = "saving the workbook" if hasattr(writer, "book") else "closing the CSV files"
            line.note(f"{what} ({writer.count} forms)")  # type: ignore[attr-defined]
        writer.close()
    if exports.get("xlsx"):
        click.echo(f"workbook: {writers[0].count} forms -> {exports['xlsx']}", err=True)
    if exports.get("csv"):
        click.echo(f"csv: {writers[-1].count} forms -> {exports['csv']}/forms.csv, indicators.csv, findings.csv", err=True)


@main.command(name="eval")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Eval set folder holding seeds/ and gold/ (default: the bundled set).")
@click.option("--backend", type=click.Choice(BACKENDS), default=None)
@click.option("--detail", is_flag=True, help="List every field that is not a true positive.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option("--validators", is_flag=True, help="Evaluate the validators instead: mutation detection on the gold set.")
@click.option("--render", "rendering", type=click.Choice(RENDERINGS), default="text",
              help="Feed the documents as OCR text (default), rendered text-layer PDFs, rendered noisy scans (OCR), "
                   "office prints (LibreOffice: text-layer PDF, partly ruled, sealed scan, one image per page), "
                   "workbooks, Word files, web pages, pipe tables, one cell per line, or flattened text.")
@click.option("--compare", "specs", multiple=True,
              help="Compare backends: rules, hybrid, llm, llm:MODEL@URL, hybrid:fake ... (repeat, or space-separate).")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              help="With --compare: write summary.md, report.html (charts) and comparison.json here.")
@click.option("--synthetic-forms", default=500, show_default=True, help="With --compare: synthetic forms at the default noise.")
@click.option("--variants", "variant_forms", type=int, default=None, is_flag=False, flag_value=60,
              help="Score each template variant (eval/variants.py, N forms each, default 60) and each real form of "
                   "eval/data/real* instead: field F1 per template.")
@model_options
def eval_command(data_dir: Path | None, backend: str | None, detail: bool, as_json: bool, validators: bool,
                 rendering: str, specs: tuple[str, ...], report_dir: Path | None, synthetic_forms: int,
                 variant_forms: int | None, **options: object) -> None:
    """Score a backend on the labelled eval set (field P/R/F1 by the FORMAT.md rules), or compare
    several on the real and synthetic sets (--compare ... --report DIR)."""
    from eval.dataset import DATA_DIR
    from eval.report import format_report, format_validator_report
    from eval.runner import run_eval

    if validators:
        from eval.mutations import run_validator_eval

        validator_report = run_validator_eval(data_dir or DATA_DIR)
        click.echo(json.dumps(validator_report.as_dict(), ensure_ascii=False, indent=1) if as_json
                   else format_validator_report(validator_report))
        return
    settings = _settings_from_options(backend, options)
    if variant_forms is not None:
        from eval.variants import format_scores, score_real, score_variants

        scores = score_variants(settings, variant_forms) + score_real(settings)
        click.echo(json.dumps([s.as_dict() for s in scores], ensure_ascii=False, indent=1) if as_json else format_scores(scores))
        return
    if specs:
        _compare(settings, [s for spec in specs for s in spec.split()], report_dir, synthetic_forms)
        return
    if rendering == "office":
        from eval.office import run_office_eval

        click.echo(run_office_eval(settings, data_dir or DATA_DIR, as_json=as_json))
        return
    try:
        report = run_eval(settings, data_dir or DATA_DIR, detail=detail, rendering=rendering)
    except ConfigError as exc:
        raise click.UsageError(exc.message) from exc
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(format_report(report, detail=detail))


def _compare(settings: Settings, specs: list[str], report_dir: Path | None, synthetic_forms: int) -> None:
    from eval.compare_report import SUMMARY_HEAD, summary_rows, write_report
    from eval.comparison import compare

    try:
        comparison = compare(specs, settings, synthetic_forms=synthetic_forms,
                             progress=lambda message: click.echo(f"... {message}", err=True))
    except ConfigError as exc:
        raise click.UsageError(exc.message) from exc
    click.echo(" | ".join(SUMMARY_HEAD))
    for row in summary_rows(comparison):
        click.echo(" | ".join(row))
    if report_dir:
        paths = write_report(comparison, report_dir)
        click.echo(f"report: {paths['markdown']}, {paths['html']}, {paths['json']}", err=True)


@main.command()
@click.argument("result_path", metavar="RESULT.json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The source document the result was extracted from.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the result with fresh validation, spans and alignment here.")
@click.option("--apply", "patch_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Apply a reviewer's corrections first: a JSON Patch (as the review page exports) or field edits.")
@click.option("--reviewer", default=None, help="Who made the corrections, for the trail (default: your user name).")
def validate(result_path: Path, source_path: Path, output: Path | None, patch_path: Path | None,
             reviewer: str | None) -> None:
    """Re-validate a result (e.g. after a person edited it) against its source. Exit 1 if any form is invalid."""
    from extractor.ingest import ingest_source
    from extractor.revalidate import revalidate_ingested

    try:
        document = json.loads(result_path.read_text(encoding="utf-8"))
        source = ingest_source(source_path, _settings())          # read (or OCR'd) once
        if patch_path is not None:
            document = _apply_patch(document, patch_path, source.text, reviewer)
        checked = revalidate_ingested(document, source)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{result_path} is not JSON: {exc.msg} (line {exc.lineno})") from exc
    except FormexError as exc:
        raise click.ClickException(exc.message) from exc
    for note in checked.notes:
        click.echo(f"note: {note}")
    for index, (name, status, findings) in enumerate(checked.statuses):
        click.echo(f"form {index} {name or '?'}: {status}")
        for finding in findings:
            click.echo(f"  [{finding['severity']}] {finding['code']} {finding['path']}: {finding['message']}")
    if output:
        write_atomically(output, json.dumps(checked.document, ensure_ascii=False, indent=1) + "\n")
    sys.exit(1 if any(status == "invalid" for _, status, _ in checked.statuses) else 0)


def _apply_patch(document: Any, patch_path: Path, source_text: str, reviewer: str | None) -> dict[str, Any]:
    """The result with a reviewer's corrections applied (the trail kept in ``review.trail``)."""
    import getpass

    from extractor.corrections import apply_changes, parse_changes

    if not isinstance(document, dict):
        raise click.ClickException("--apply needs a result document ({\"forms\": [...]}), not a bare list")
    try:
        changes = parse_changes(json.loads(patch_path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{patch_path} is not JSON: {exc.msg} (line {exc.lineno})") from exc
    review = document.get("review") or {}
    version = int(review.get("version", 0)) + 1
    updated, trail = apply_changes(document, source_text, changes,
                                   reviewer=reviewer or getpass.getuser(), version=version)
    updated["review"]["trail"] = [*review.get("trail", []), *trail]
    return updated


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--config", type=click.Path(dir_okay=False), help="TOML config file (default: $FORMEX_CONFIG).")
@click.option("--workers", "http_workers", default=1, type=click.IntRange(1, 64), show_default=True,
              help="uvicorn worker processes.")
def serve(host: str, port: int, config: str | None, http_workers: int) -> None:
    """Serve the HTTP API (POST /v1/extractions, jobs, review pages; OpenAPI docs at /docs)."""
    import uvicorn

    from extractor.service.app import create_app

    settings = _settings(config=config)
    try:
        app = create_app(settings)        # a configuration mistake stops here, before the port is bound
    except ConfigError as exc:
        raise click.UsageError(exc.message) from exc
    if http_workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    else:
        if config:
            os.environ["FORMEX_CONFIG"] = str(config)
        uvicorn.run("extractor.service.asgi:app", host=host, port=port, workers=http_workers, log_level="warning")


@main.command()
@click.argument("result_path", metavar="RESULT.json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The document the result was extracted from (text, PDF or image).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The HTML page.")
def review(result_path: Path, source_path: Path, output: Path) -> None:
    """Write the review page of a result: the page images (PDFs, images) or the source text, every
    value boxed or highlighted at its place; edits are exported as a JSON patch for --apply."""
    from extractor.ingest import ingest_source
    from extractor.review import render_review
    from extractor.review.images import data_urls

    try:
        document = json.loads(result_path.read_text(encoding="utf-8"))
        ingested = ingest_source(source_path, _settings())
        images = data_urls(source_path.read_bytes()) if ingested.boxes else []
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{result_path} is not JSON: {exc.msg} (line {exc.lineno})") from exc
    except FormexError as exc:
        raise click.ClickException(exc.message) from exc
    trail = (document.get("review") or {}).get("trail", []) if isinstance(document, dict) else []
    write_atomically(output, render_review(document, ingested.text, boxes=ingested.boxes, page_images=images,
                                           trail=trail))
    click.echo(f"review page: {output}", err=True)


@main.command()
def schema() -> None:
    """Print the JSON Schema of one document's forms (the hand-off format)."""
    from schemas.forms import form_json_schema

    click.echo(json.dumps(form_json_schema(), ensure_ascii=False, indent=1))


if __name__ == "__main__":  # pragma: no cover
    main()
