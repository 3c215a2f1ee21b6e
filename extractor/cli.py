"""The ``formex`` command line: a thin layer over the library calls.

    formex extract PATH... [-o OUTDIR]     OCR text → hand-off JSON
    formex eval [--data DIR] [--detail]    score a backend on the labelled eval set
    formex validate RESULT.json --source DOC   re-validate an edited result
    formex schema                          the JSON Schema of the hand-off format
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import click

from extractor import __version__
from extractor.backends import Backend, get_backend
from extractor.errors import ConfigError, FormexError, InputNotFound
from extractor.pipeline import DocumentResult, extract_file
from extractor.runstats import RunStats
from extractor.settings import BACKENDS, MODES, Settings

TEXT_SUFFIXES = (".txt", ".md", ".text")
EXIT_BUDGET = 5


def _settings(config: str | None = None, llm: dict[str, object] | None = None, **overrides: object) -> Settings:
    try:
        return Settings.from_env(config=config, llm=llm, **overrides)
    except ConfigError as exc:
        raise click.UsageError(exc.message) from exc


def _backend(settings: Settings) -> Backend:
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
def main() -> None:
    """formex: validated JSON from OCR text of fiscal project performance forms."""
    # instructor logs every failed attempt; formex reports failures itself, once, as typed errors.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)


def expand_inputs(paths: tuple[str, ...]) -> Iterator[Path]:
    """Files as given; folders give their text files, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
        else:
            yield path


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _output_path(outdir: Path, source: Path, used: set[Path], sha256: str) -> Path:
    path = outdir / f"{source.stem}.json"
    if path in used:
        path = outdir / f"{source.stem}-{sha256[:8]}.json"
    used.add(path)
    return path


def _summary_line(result: DocumentResult, where: str | None) -> str:
    kinds = {"self_evaluation": 0, "target_declaration": 0}
    rows = 0
    for extracted in result.forms:
        kinds[extracted.form.form_type] += 1
        rows += len(extracted.form.indicators)
    statuses = result.status_counts()
    line = (f"{result.source}: {len(result.forms)} forms "
            f"({kinds['self_evaluation']} 自评表, {kinds['target_declaration']} 申报表), {rows} indicator rows; "
            f"{statuses['valid']} valid, {statuses['needs_review']} need review, {statuses['invalid']} invalid")
    if result.errors:
        line += f", {len(result.errors)} form errors"
    return line + (f" -> {where}" if where else "")


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output-dir", "outdir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one JSON file per input here (default: JSON to stdout).")
@click.option("--backend", type=click.Choice(BACKENDS), default=None, help="Extraction backend (default: rules).")
@click.option("--summary/--no-summary", default=False, help="Print a readable summary to stderr.")
@model_options
def extract(paths: tuple[str, ...], outdir: Path | None, backend: str | None, summary: bool, **options: object) -> None:
    """Extract the forms of OCR text files (.txt/.md) into hand-off JSON."""
    settings = _settings_from_options(backend, options)
    inputs = list(expand_inputs(paths))
    if not inputs:
        raise click.UsageError("no input files found")
    runner = _backend(settings)
    run = RunStats()
    failures = 0
    used: set[Path] = set()
    for done, path in enumerate(inputs):
        if getattr(runner, "budget_exhausted", False):
            click.echo(f"token budget spent: stopped before {path}; {len(inputs) - done} documents not processed", err=True)
            failures += len(inputs) - done
            break
        try:
            if not path.exists():
                raise InputNotFound(f"no such file: {path}", source=str(path))
            result = extract_file(path, settings=settings, backend=runner)
        except FormexError as exc:
            failures += 1
            click.echo(f"error: {path}: {exc.message}", err=True)
            continue
        run.add(result)
        for error in result.errors:
            click.echo(f"error: {path} lines {error['lines'][0]}-{error['lines'][1]}: {error['message']}", err=True)
        document = json.dumps(result.to_json(), ensure_ascii=False, indent=1 if outdir else None)
        where = None
        if outdir:
            target = _output_path(outdir, path, used, result.sha256)
            write_atomically(target, document + "\n")
            where = str(target)
        else:
            click.echo(document)
        if summary:
            click.echo(_summary_line(result, where), err=True)
    if summary:
        click.echo(f"{len(inputs) - failures}/{len(inputs)} documents extracted, {run.forms} forms, {failures} failed"
                   + (f"; JSON in {outdir}/" if outdir else ""), err=True)
        if (model_line := run.model_line()) is not None:
            click.echo(model_line, err=True)
    if getattr(runner, "budget_exhausted", False):
        sys.exit(EXIT_BUDGET)
    sys.exit(1 if failures or run.form_errors else 0)


@main.command(name="eval")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Eval set folder holding seeds/ and gold/ (default: the bundled set).")
@click.option("--backend", type=click.Choice(BACKENDS), default=None)
@click.option("--detail", is_flag=True, help="List every field that is not a true positive.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option("--validators", is_flag=True, help="Evaluate the validators instead: mutation detection on the gold set.")
@model_options
def eval_command(data_dir: Path | None, backend: str | None, detail: bool, as_json: bool, validators: bool,
                 **options: object) -> None:
    """Score a backend on the labelled eval set (field P/R/F1 by the FORMAT.md rules)."""
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
    try:
        report = run_eval(settings, data_dir or DATA_DIR, detail=detail)
    except ConfigError as exc:
        raise click.UsageError(exc.message) from exc
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(format_report(report, detail=detail))


@main.command()
@click.argument("result_path", metavar="RESULT.json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The source document the result was extracted from.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the result with fresh validation, spans and alignment here.")
def validate(result_path: Path, source_path: Path, output: Path | None) -> None:
    """Re-validate a result (e.g. after a person edited it) against its source. Exit 1 if any form is invalid."""
    from extractor.revalidate import revalidate_document

    try:
        document = json.loads(result_path.read_text(encoding="utf-8"))
        updated, statuses = revalidate_document(document, source_path, settings=_settings())
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{result_path} is not JSON: {exc.msg} (line {exc.lineno})") from exc
    except FormexError as exc:
        raise click.ClickException(exc.message) from exc
    for index, (name, status, findings) in enumerate(statuses):
        click.echo(f"form {index} {name or '?'}: {status}")
        for finding in findings:
            click.echo(f"  [{finding['severity']}] {finding['code']} {finding['path']}: {finding['message']}")
    if output:
        write_atomically(output, json.dumps(updated, ensure_ascii=False, indent=1) + "\n")
    sys.exit(1 if any(status == "invalid" for _, status, _ in statuses) else 0)


@main.command()
def schema() -> None:
    """Print the JSON Schema of one document's forms (the hand-off format)."""
    from schemas.forms import form_json_schema

    click.echo(json.dumps(form_json_schema(), ensure_ascii=False, indent=1))


if __name__ == "__main__":  # pragma: no cover
    main()
