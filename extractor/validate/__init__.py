"""Deterministic validators: pure functions of (form, source text) → findings and a status.

They run on every form, whichever backend produced it, in this order: grounding, foreign
text (lines slipped into the form), arithmetic identities, structure, plausibility. They never
change a value. The form's regions are computed once (or taken from the reading) and shared by
every check.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from extractor.columns import ColumnMap
from extractor.regions import FormRegions, form_regions
from extractor.validate import arithmetic, misread, plausibility, structure
from extractor.validate.findings import Finding, FormValidation
from extractor.validate.foreign import check_foreign_text
from extractor.validate.grounding import form_leaves, ground_form
from extractor.validate.source import SourceText
from schemas import SelfEvaluationForm, TargetDeclarationForm

__all__ = ["Finding", "FormValidation", "SourceText", "validate_form", "regions_of"]

AnyForm = SelfEvaluationForm | TargetDeclarationForm


def regions_of(form: AnyForm, source: SourceText) -> FormRegions:
    """The form's regions in its source, by the one region splitter of the form model."""
    if isinstance(form, SelfEvaluationForm):
        return form_regions(source.lines, True, form.funds.total.weight)
    return form_regions(source.lines, False)


def validate_form(form: AnyForm, source: SourceText, *,
                  provenance: Mapping[str, Sequence[tuple[int, int]]] | None = None,
                  regions: FormRegions | None = None, columns: ColumnMap | None = None) -> FormValidation:
    """Validate one form against its lines of the source.

    ``provenance`` (field path → source spans the backend read the value from) is confirmed
    first; only values without it are searched for. ``regions`` are the backend's, if it
    has them; otherwise they are computed here, once. ``columns``, if the caller has it, is
    the column map of the table's head row (``regions.head_at``) read with the row under it by
    the form type's spec: a hint that saves reading it again, never a different answer.
    """
    result = FormValidation()
    regions = regions if regions is not None else regions_of(form, source)
    texts = {name: source.part(getattr(regions, name)) for name in ("head", "table", "tail")}
    values = form_leaves(form)
    ground_form(values, source, result, texts, provenance or {})
    check_foreign_text(values, source, result, texts)
    checks = [structure.check_hierarchy(form), structure.check_duplicates(form), structure.check_required(form),
              structure.check_completeness(form, regions), plausibility.check_year(form),
              misread.check_misreads(form, source, regions, columns)]
    if isinstance(form, SelfEvaluationForm):
        checks += [arithmetic.check_self_evaluation(form), plausibility.check_self_evaluation_scale(form)]
    else:
        checks += [arithmetic.check_target_declaration(form), plausibility.check_declaration_scale(form)]
    for findings in checks:
        result.findings.extend(findings)
    return result
