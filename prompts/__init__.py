"""Versioned prompt files, loaded by version name (see ``prompts/README.md``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template

from extractor.errors import ConfigError
from extractor.spec import all_specs

PROMPTS_DIR = Path(__file__).resolve().parent
FORM_TITLES = {spec.form_type: spec.printed_title for spec in all_specs()}   # from extractor/specs/*.toml


@dataclass(frozen=True)
class Prompt:
    """One version's templates, and a digest of them for the response-cache key."""

    version: str
    system: str
    user: Template
    example: Template
    reask: Template
    examples: dict[str, tuple[str, str]]   # form_type → (OCR text, gold JSON)
    digest: str

    def system_message(self, form_type: str, *, few_shot: bool) -> str:
        if not few_shot or form_type not in self.examples:
            return self.system
        text, answer = self.examples[form_type]
        return self.system + "\n" + self.example.substitute(text=text.rstrip("\n"), answer=answer.rstrip("\n"))

    def user_message(self, form_type: str, text: str, first_line: int, last_line: int) -> str:
        return self.user.substitute(form_title=FORM_TITLES[form_type], text=text,
                                    first_line=first_line, last_line=last_line)


def available_versions() -> list[str]:
    return sorted(p.name for p in PROMPTS_DIR.iterdir() if (p / "system.md").is_file())


@lru_cache(maxsize=None)
def load_prompt(version: str) -> Prompt:
    folder = PROMPTS_DIR / version
    if not (folder / "system.md").is_file():
        raise ConfigError(f"no prompt version {version!r}; available: {', '.join(available_versions())}")
    files = {name: (folder / name).read_text(encoding="utf-8") for name in ("system.md", "user.md", "example.md", "reask.md")}
    examples = {}
    for text_file in sorted((folder / "examples").glob("*.txt")):
        examples[text_file.stem] = (text_file.read_text(encoding="utf-8"),
                                    text_file.with_suffix(".json").read_text(encoding="utf-8"))
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(files[name].encode("utf-8"))
    for form_type in sorted(examples):
        digest.update("".join(examples[form_type]).encode("utf-8"))
    return Prompt(version, files["system.md"].rstrip("\n"), Template(files["user.md"]), Template(files["example.md"]),
                  Template(files["reask.md"]), examples, digest.hexdigest()[:16])
