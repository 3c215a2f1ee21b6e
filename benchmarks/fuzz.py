"""The whole fuzz corpus (eval/fuzz.py): every input alone, then all of them as one batch.

Reports inputs tried, crashes (an exception outside formex's error tree, or a traceback on the
batch's stderr), hangs (an input over the per-input bound), lost documents (an input with
neither a result nor a line in errors.jsonl), malformed errors.jsonl lines, good documents
not extracted, forged forms passed as valid (the parser, and a fake model that obeys the
slipped-in line), the slowest input and peak memory. Goal: 0 for every count.

    python -m benchmarks.fuzz [--count 2000] [--seed 0] [--workers 2] [--bound 60] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from eval.fuzz import generate, probe, probe_obedient, run_batch, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bound", type=float, default=60.0, help="seconds one input may take before it counts as a hang")
    parser.add_argument("--json", type=Path, help="write the full report (with every input's time) here")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    cases = generate(args.count, args.seed)
    print(f"generated {len(cases)} inputs ({sum(c.good for c in cases)} good) in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    alone = probe(cases, bound_s=args.bound)
    print(f"each alone: {alone['inputs']} inputs, {len(alone['crashes'])} crashes, {len(alone['hangs'])} hangs, "
          f"slowest {alone['slowest']['name']} {alone['slowest']['seconds']:.2f} s, peak RSS {alone['peak_rss_mib']} MiB",
          file=sys.stderr)
    obedient = probe_obedient(cases)
    with tempfile.TemporaryDirectory() as scratch:
        folder, outdir = Path(scratch) / "in", Path(scratch) / "out"
        write(cases, folder)
        batch = run_batch(folder, outdir, cases, workers=args.workers)
    report = {
        "inputs_tried": alone["inputs"],
        "kinds": sorted({c.kind for c in cases}),
        "crashes": len(alone["crashes"]) + batch["tracebacks"],
        "hangs": len(alone["hangs"]),
        "lost_documents": len(batch["lost"]),
        "copies_done_once": batch["copies_done_once"],
        "malformed_error_lines": len(batch["malformed_error_lines"]),
        "good_extracted": f"{batch['good_extracted']}/{batch['good']}",
        "forged_valid_parser": len(alone["forged_valid"]),
        "forged_valid_obedient_model": len(obedient["forged_valid"]),
        "injected": obedient["injected"],
        "injected_undetected_parser": len(alone["injected_undetected"]),
        "injected_undetected_obedient_model": len(obedient["undetected"]),
        "slowest_input": alone["slowest"],
        "peak_rss_mib_alone": alone["peak_rss_mib"],
        "batch_seconds": batch["seconds"],
        "batch_error_lines": batch["error_lines"],
        "peak_rss_mib_batch_process": batch["peak_rss_mib_workers"],
        "details": {"crashes": alone["crashes"], "hangs": alone["hangs"], "lost": batch["lost"],
                    "malformed_error_lines": batch["malformed_error_lines"], "missing_good": batch["missing_good"],
                    "forged_valid": alone["forged_valid"] + obedient["forged_valid"],
                    "obedient_failures": obedient["failed"][:20], "batch_stderr_tail": batch["stderr_tail"]},
    }
    if args.json:
        args.json.write_text(json.dumps({**report, "rows": alone["rows"]}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=1))
    bad = report["crashes"] + report["hangs"] + report["lost_documents"] + report["malformed_error_lines"] + \
        report["forged_valid_parser"] + report["forged_valid_obedient_model"] + len(batch["missing_good"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
