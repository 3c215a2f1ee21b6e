"""Synthetic forms: exact gold, arithmetic that holds, damage by kind and level, and the
comparison report built from them."""

from __future__ import annotations

from eval.comparison import compare, inconsistency_detection, run_items, synthetic_items
from eval.compare_report import write_report
from eval.evaluators import FieldF1
from eval.synthetic import KINDS, make_document, make_set
from extractor.layout import split_lines
from extractor.segment import split_forms
from extractor.settings import Settings
from extractor.validate import SourceText, validate_form
from schemas import parse_form


def test_the_same_seed_gives_the_same_document():
    assert make_document(42).text == make_document(42).text
    assert make_document(42).gold == make_document(42).gold
    assert make_document(42).text != make_document(43).text


def test_clean_gold_fits_the_schema_and_every_identity_holds_in_its_own_text():
    for document in make_set(60, level=0.0):
        lines = split_lines(document.text)
        blocks = split_forms(lines)
        assert len(blocks) == len(document.gold)
        for block, gold in zip(blocks, document.gold):
            validation = validate_form(parse_form(gold), SourceText.of_lines(document.text, block.lines))
            assert validation.errors() == [], (document.name, [f.code for f in validation.errors()])


def test_the_noise_level_sets_how_much_damage_a_form_gets():
    clean = make_set(100, level=0.0)
    worst = make_set(100, level=2.0)
    assert all(kinds == [] for d in clean for kinds in d.kinds)
    applied = {k for d in worst for kinds in d.kinds for k in kinds}
    assert applied == set(KINDS)
    assert all(set(kinds) >= set(KINDS) - {"values_on_next_line"} for d in worst for kinds in d.kinds)


def test_the_parser_reads_synthetic_forms_at_the_default_noise():
    items = synthetic_items(150)
    record = run_items(items, Settings())
    assert FieldF1().evaluate(record.results)["f1"] >= 0.98


def test_printed_inconsistencies_raise_their_findings():
    items = synthetic_items(80, seed=7, inconsistency_rate=1.0)
    table = inconsistency_detection(run_items(items, Settings()), items)
    assert set(table) == {"total_score_mismatch", "rate_mismatch", "fund_score_mismatch", "grade_mismatch",
                          "score_out_of_range"}
    assert all(row["recall"] >= 0.9 for row in table.values()), table


def test_one_command_compares_backends_and_writes_the_report(tmp_path):
    comparison = compare(["rules", "llm:fake"], Settings(), synthetic_forms=30, curve_forms=15, levels=(0.0, 2.0))
    assert set(comparison.real) == set(comparison.synthetic) == {"rules", "llm:fake"}
    assert comparison.real["llm:fake"]["cost"]["forms_sent_to_model"] == 31
    assert comparison.synthetic["rules"]["field_f1"]["f1"] >= 0.95
    assert set(comparison.noise_curve["rules"]) == {0.0, 2.0}
    paths = write_report(comparison, tmp_path)
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert "| rules | 1.0000 |" in markdown and "noise level" in markdown
    page = paths["html"].read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3 and "<table>" in page
