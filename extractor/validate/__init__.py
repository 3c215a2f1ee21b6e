"""Deterministic validators: pure functions of (form, source text) → findings and a status.

They run on every form, whichever backend produced it, in this order: grounding,
arithmetic identities, structure, plausibility. They never change a value.
"""

from __future__ import annotations

from extractor.regions import form_regions
from extractor.validate import arithmetic, plausibility, structure
from extractor.validate.findings import Finding, FormValidation
from extractor.validate.grounding import ground_form
from extractor.validate.source import SourceText
from schemas import SelfEvaluationForm, TargetDeclarationForm

__all__ = ["Finding", "FormValidation", "SourceText", "validate_form"]


def validate_form(form: SelfEvaluationForm | TargetDeclarationForm, source: SourceText) -> FormValidation:
    result = FormValidation()
    regions = form_regions(source.lines, isinstance(form, SelfEvaluationForm))
    ground_form(form.model_dump(), source, result,
                {name: SourceText.of_lines(source.document, lines) for name, lines in regions.items()})
    checks = [structure.check_hierarchy(form), structure.check_duplicates(form), structure.check_required(form),
              structure.check_completeness(form, source), plausibility.check_year(form)]
    if isinstance(form, SelfEvaluationForm):
        checks += [arithmetic.check_self_evaluation(form), plausibility.check_self_evaluation_scale(form)]
    else:
        checks += [arithmetic.check_target_declaration(form), plausibility.check_declaration_scale(form)]
    for findings in checks:
        result.findings.extend(findings)
    return result
