"""Same exports before and after a speed change: a batch's every output file, digested.

    python -m benchmarks.same_exports --inputs DIR --write before.json    # on the code before the change
    python -m benchmarks.same_exports --inputs DIR --check before.json    # on the code after it

An export change must not change what a batch writes. ``DIR`` is made on the first call (and
reused after, so that rendered inputs, which hold the time they were made, stay the same bytes):
the bundled sample, the visible eval set in every rendered format, the real forms, synthetic
documents at three damage levels with inconsistencies, some of them with texts that need care in
XML and CSV (``&``, ``<``, ``>``, ``"``, ``,``, ``]]>``, a control character), a duplicate and a
broken input. The batch runs as a user runs it (``formex extract DIR -o OUT --xlsx --csv``, with
workers and with one process), then again over the same output folder (every input done before:
its exports rendered from its result file). Every file it writes is digested, the workbook part
by part (its unzipped XML); ``--check`` names each that differs and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from eval.dataset import DATA_DIR
from eval.synthetic import make_set

SPECIAL = ("甲&乙", "<丙>", '"丁"', "戊,己", "庚]]>辛", "壬\x07癸", "A & B <c> \"d\", e")


def make_inputs(folder: Path, synthetic_forms: int = 120) -> None:
    """The corpus, written once into ``folder``."""
    from benchmarks.same_outputs import corpus

    folder.mkdir(parents=True)
    for path in sorted((DATA_DIR / "seeds").glob("*.txt")):
        shutil.copy(path, folder / f"sample_{path.name}")
    for n, (name, data) in enumerate(corpus(synthetic_forms=40)):
        if name.startswith(("synthetic", "variant")):
            continue          # (made below, with texts that need care)
        suffix = name.rsplit(".", 1)[-1] if name.rsplit(".", 1)[-1] in ("xlsx", "docx", "html") else "txt"
        (folder / f"c{n:04d}.{suffix}").write_bytes(data)
    for level in (0.0, 1.0, 3.0):
        for n, document in enumerate(make_set(synthetic_forms, level=level, seed=11, inconsistency_rate=0.4)):
            text = document.text
            if n % 4 == 1:
                for gold, special in zip(document.gold, SPECIAL[n % len(SPECIAL):] + SPECIAL):
                    name = gold.get("project_name")
                    if name:
                        text = text.replace(name, f"{name}{special}", 1)
            (folder / f"s{level:.0f}_{n:04d}.txt").write_text(text, encoding="utf-8")
    shutil.copy(folder / "s1_0000.txt", folder / "s1_0000_copy.txt")     # a duplicate
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")           # a failure


def run(inputs: Path, root: Path) -> None:
    """The batch with workers, with one process, and again over the first one's output folder."""
    for name, extra in (("w2", ["--workers", "2"]), ("w1", ["--workers", "1"]), ("w2", ["--workers", "2"])):
        tag = f"{name}_again" if (root / name).exists() else name
        subprocess.run([sys.executable, "-m", "extractor.cli", "extract", str(inputs), "-o", str(root / name),
                        "--no-progress", "--xlsx", str(root / f"{tag}.xlsx"), "--csv", str(root / f"{tag}_csv"),
                        *extra], check=False, capture_output=True)


def digests(root: Path) -> dict[str, str]:
    """Every file under ``root`` (the workbooks part by part), by its path: its SHA-256."""
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = str(path.relative_to(root))
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for part in book.namelist():
                    out[f"{name}:{part}"] = hashlib.sha256(book.read(part)).hexdigest()
        else:
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=Path, required=True, help="the corpus folder (made if missing)")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, help="write every output's digest here")
    mode.add_argument("--check", type=Path, help="compare every output's digest with this file")
    parser.add_argument("--keep", type=Path, help="keep the outputs here (to diff them)")
    args = parser.parse_args(argv)
    if not args.inputs.exists():
        make_inputs(args.inputs)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        run(args.inputs, root)
        found = digests(root)
    if args.write:
        args.write.write_text(json.dumps(found, indent=0, sort_keys=True), encoding="utf-8")
        print(f"{len(found)} outputs written to {args.write}")
        return 0
    before = json.loads(args.check.read_text(encoding="utf-8"))
    changed = [name for name in found if name in before and before[name] != found[name]]
    missing, new = sorted(set(before) - set(found)), sorted(set(found) - set(before))
    for label, names in (("changed", changed), ("missing", missing), ("new", new)):
        for name in names:
            print(f"{label}: {name}")
    print(f"{len(found)} outputs, {len(changed)} changed, {len(missing)} missing, {len(new)} new")
    return 1 if changed or missing or new else 0


if __name__ == "__main__":
    sys.exit(main())
