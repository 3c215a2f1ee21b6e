"""Real forms of other publishers (eval/data/real, provenance in its SOURCES.md) stay read.

These forms are the only ones here from templates and web copies formex was not written for:
a Sichuan cell-per-line page, a Sichuan markdown copy and an Anhui flattened .doc preview, plus
a fragment that is no form. Their gold was labelled by hand before the parser was tuned on them;
since it has been, these tests guard against regressions and are no blind measure.
"""

from eval.dataset import DATA_DIR
from eval.runner import run_eval
from extractor.settings import Settings


def _f1(folder: str) -> float:
    return run_eval(Settings(), DATA_DIR / folder).metrics["field_f1"]["f1"]


def test_real_forms_with_their_rows_restored_are_read_whole():
    assert _f1("real_rows") >= 0.97


def test_real_forms_in_the_shapes_they_were_found_in_are_read():
    assert _f1("real") >= 0.90


def test_a_fragment_with_no_title_and_no_name_is_no_form():
    report = run_eval(Settings(), DATA_DIR / "real")
    assert report.forms_predicted == report.forms_gold == 3
