"""The model backend: one structured call per form through ``instructor``; after validation,
one targeted re-ask for what validation could not find in the source (its ``repair``).

Forms of a document are sent concurrently, at most ``llm.concurrency`` at a time. A run shares
one token budget and one response cache. The model gives no provenance: every value it
returns is searched for in the source by the pipeline's validation, nothing trusted unseen.
"""

from __future__ import annotations

import asyncio
from typing import Any

import openai

from extractor.backends.base import Reading, Validate
from extractor.backends.llm.cache import ResponseCache
from extractor.backends.llm.client import StructuredCaller, make_openai_client
from extractor.backends.llm.reask import answer_model, apply_answers, reask_message, targets
from extractor.backends.llm.usage import TokenBudget, Usage
from extractor.errors import FormexError
from extractor.segment import FormBlock
from extractor.settings import LLMSettings
from extractor.validate import FormValidation, SourceText
from prompts import load_prompt
from schemas import SelfEvaluationForm, TargetDeclarationForm

RESPONSE_MODELS = {"self_evaluation": SelfEvaluationForm, "target_declaration": TargetDeclarationForm}


def block_text(block: FormBlock) -> str:
    return "\n".join(line.raw for line in block.lines)


def _kept(reading: Reading, error: FormexError) -> Reading:
    """A failed re-ask keeps the first answer (still flagged by validation) and says why."""
    reading.extraction = {**reading.extraction, "reask_error": error.as_dict()}
    return reading


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

    def read(self, block: FormBlock, text: str) -> Reading:
        (result,) = self.read_forms([block], text)
        if isinstance(result, FormexError):
            raise result
        return result

    def read_forms(self, blocks: list[FormBlock], text: str) -> list[Reading | FormexError]:
        """Every block, concurrently; a failed form is returned as its error, the others go on."""
        return asyncio.run(self._each(blocks, lambda client, block: self.aread(client, block)))

    def repair_forms(self, pairs: list[tuple[Reading, FormValidation]], text: str,
                     validate: Validate | None = None) -> list[Reading]:
        """The targeted re-ask of every reading whose validation found values or rows to ask about."""
        asked = [(r, v) for r, v in pairs if self.settings.targeted_reask and any(targets(v))]
        if not asked:
            return [r for r, _ in pairs]
        answers = asyncio.run(self._each(asked, lambda client, pair: self.areask(client, *pair, text)))
        done = {id(reading): _kept(reading, answer) if isinstance(answer, FormexError) else answer
                for (reading, _), answer in zip(asked, answers)}
        return [done.get(id(r), r) for r, _ in pairs]

    def repair(self, reading: Reading, validation: FormValidation, block: FormBlock, text: str,
               validate: Validate | None = None) -> Reading:
        return self.repair_forms([(reading, validation)], text, validate)[0]

    async def _each(self, items: list[Any], call: Any) -> list[Any]:
        limit = asyncio.Semaphore(self.settings.concurrency)
        async with make_openai_client(self.settings) as client:
            async def one(item: Any) -> Any:
                async with limit:
                    try:
                        return await call(client, item)
                    except FormexError as exc:
                        return exc
            return list(await asyncio.gather(*(one(item) for item in items)))

    def _messages(self, block: FormBlock) -> list[dict[str, str]]:
        first, last = block.first_line + 1, block.last_line + 1
        return [{"role": "system", "content": self.prompt.system_message(block.form_type, few_shot=self.settings.few_shot)},
                {"role": "user", "content": self.prompt.user_message(block.form_type, block_text(block), first, last)}]

    async def aread(self, client: openai.AsyncOpenAI, block: FormBlock) -> Reading:
        usage = Usage()
        form = await self.caller.ask(client, self._messages(block), RESPONSE_MODELS[block.form_type], usage,
                                     prompt_digest=self.prompt.digest)
        reading = Reading(form, self.name, block, context={"usage": usage})
        reading.extraction = self._extraction(usage, {}, [], [])
        return reading

    async def areask(self, client: openai.AsyncOpenAI, reading: Reading, validation: FormValidation, text: str) -> Reading:
        """Ask once more for the values not found where they belong and the rows missed."""
        block, usage = reading.block, reading.context.get("usage") or Usage()
        fields, rows = targets(validation)
        question = reask_message(self.prompt, fields, rows, block_text(block), block.first_line + 1, block.last_line + 1)
        answers = await self.caller.ask(client, [*self._messages(block), {"role": "user", "content": question}],
                                        answer_model(reading.form), usage, prompt_digest=self.prompt.digest)
        usage.targeted_reasks += 1
        form, changed = apply_answers(reading.form, answers, fields, SourceText.of_lines(text, block.lines),
                                      validation.spans)
        return Reading(form, self.name, block, context={"usage": usage},
                       extraction=self._extraction(usage, fields, rows, changed))

    def _extraction(self, usage: Usage, fields: dict[str, Any], rows: list[str], changed: list[str]) -> dict[str, Any]:
        return {"backend": self.name, **self.describe(), "usage": usage.as_dict(self.settings.price()),
                "reasked_fields": sorted(fields) + [f"row: {r}" for r in rows], "changed_by_reask": changed}
