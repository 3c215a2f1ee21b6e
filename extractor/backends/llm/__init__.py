"""The model backend: one structured call per form through ``instructor``, then validation and
one targeted re-ask for what validation could not find in the source.

Forms of a document are sent concurrently, at most ``llm.concurrency`` at a time. A run shares
one token budget and one response cache. What the model returns is validated exactly like the
parser's output; nothing it says is trusted without grounding.
"""

from __future__ import annotations

import asyncio
from typing import Any

import openai

from extractor.backends.base import ExtractedForm
from extractor.backends.llm.cache import ResponseCache
from extractor.backends.llm.client import StructuredCaller, make_openai_client
from extractor.backends.llm.reask import answer_model, apply_answers, reask_message, targets
from extractor.backends.llm.usage import TokenBudget, Usage
from extractor.errors import FormexError
from extractor.segment import FormBlock
from extractor.settings import LLMSettings
from extractor.validate import SourceText, validate_form
from prompts import load_prompt
from schemas import SelfEvaluationForm, TargetDeclarationForm

RESPONSE_MODELS = {"self_evaluation": SelfEvaluationForm, "target_declaration": TargetDeclarationForm}


def block_text(block: FormBlock) -> str:
    return "\n".join(line.raw for line in block.lines)


class LLMBackend:
    """Reads each form with a model behind an OpenAI-compatible API."""

    name = "llm"

    def __init__(self, settings: LLMSettings, *, budget: TokenBudget | None = None,
                 cache: ResponseCache | None = None) -> None:
        settings.key_or_error()
        self.settings = settings
        self.prompt = load_prompt(settings.prompt_version)
        self.budget = budget or TokenBudget(settings.token_budget)
        self.cache = cache if cache is not None else (ResponseCache(settings.cache_path) if settings.cache_path else None)
        self.caller = StructuredCaller(settings, self.budget, self.cache)

    @property
    def budget_exhausted(self) -> bool:
        return self.budget.exhausted

    def describe(self) -> dict[str, Any]:
        return {"model": self.settings.model, "base_url": self.settings.base_url, "mode": self.settings.resolved_mode,
                "prompt_version": self.settings.prompt_version, "few_shot": self.settings.few_shot}

    def extract_form(self, block: FormBlock, text: str) -> ExtractedForm:
        (result,) = self.extract_forms([block], text)
        if isinstance(result, FormexError):
            raise result
        return result

    def extract_forms(self, blocks: list[FormBlock], text: str) -> list[ExtractedForm | FormexError]:
        """Every block, concurrently; a failed form is returned as its error, the others go on."""
        return asyncio.run(self.aextract_forms(blocks, text))

    async def aextract_forms(self, blocks: list[FormBlock], text: str) -> list[ExtractedForm | FormexError]:
        limit = asyncio.Semaphore(self.settings.concurrency)
        async with make_openai_client(self.settings) as client:
            async def one(block: FormBlock) -> ExtractedForm | FormexError:
                async with limit:
                    try:
                        return await self.aextract_form(client, block, text)
                    except FormexError as exc:
                        return exc
            return list(await asyncio.gather(*(one(block) for block in blocks)))

    async def aextract_form(self, client: openai.AsyncOpenAI, block: FormBlock, text: str) -> ExtractedForm:
        usage = Usage()
        form_text = block_text(block)
        first, last = block.first_line + 1, block.last_line + 1
        messages = [{"role": "system", "content": self.prompt.system_message(block.form_type, few_shot=self.settings.few_shot)},
                    {"role": "user", "content": self.prompt.user_message(block.form_type, form_text, first, last)}]
        form = await self.caller.ask(client, messages, RESPONSE_MODELS[block.form_type], usage,
                                     prompt_digest=self.prompt.digest)
        source = SourceText.of_lines(text, block.lines)
        validation = validate_form(form, source)
        changed: list[str] = []
        fields, rows = targets(validation)
        if self.settings.targeted_reask and (fields or rows):
            question = reask_message(self.prompt, fields, rows, form_text, first, last)
            answers = await self.caller.ask(client, [*messages, {"role": "user", "content": question}],
                                            answer_model(form), usage, prompt_digest=self.prompt.digest)
            usage.targeted_reasks += 1
            form, changed = apply_answers(form, answers, fields, source, validation.spans)
            if changed:
                validation = validate_form(form, source)
        extraction = {"backend": self.name, **self.describe(), "usage": usage.as_dict(self.settings.price()),
                      "reasked_fields": sorted(fields) + [f"row: {r}" for r in rows], "changed_by_reask": changed}
        return ExtractedForm(form, self.name, block.first_line, block.last_line, validation=validation,
                             extraction=extraction)
