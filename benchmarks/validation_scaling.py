"""Validation cost against form size: one 1,000-row form versus ten 100-row forms.

    python -m benchmarks.validation_scaling [--rows 1000] [--repeat 3]

The same number of indicator rows, once as one large form and once as ten forms of a tenth
of the size. With validation linear in the form's size, both take about the same time; a
quadratic step (every value looked up by a scan of the form) makes the large form ~10x
slower. Reported per case, best of ``--repeat``, in CPU milliseconds:

- ``pipeline``: ``extract_text`` (parse + validate) minus the same with validation off;
- ``search``: ``validate_form`` on the parsed forms without provenance, every value searched
  for (the path of model output and of ``formex validate`` on a hand-typed result).
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.throughput import clear_caches
from extractor.layout import split_lines
from extractor.pipeline import extract_text
from extractor.segment import split_forms
from extractor.settings import Settings
from extractor.validate import SourceText, validate_form

HEAD = [
    "财政项目支出绩效自评表", "(2024年度)", "项目名称\t\t基准项目{n}", "主管部门\t\t某区财政局\t\t实施单位\t\t某区某中心",
    "项目资金 (万元)\t\t年初预算数\t全年预算数\t全年执行数\t分数\t执行率(%)\t得分",
    "\t年度资金总额:\t100.00\t2,138.12\t2,042.66\t10.00\t95.53\t9.55",
    "\t其中: 当年财政拨款\t100.00\t2,138.12\t2,042.66\t-\t95.53\t-",
    "\t上年结转资金\t0.00\t0.00\t0.00\t-\t0.00\t-", "\t其他资金\t0.00\t0.00\t0.00\t-\t0.00\t-",
    "年度总体目标\t预期目标\t\t\t实际完成情况", "\t完成年度工作。\t\t\t已完成年度工作。",
    "一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施",
]


def form_text(n: int, rows: int) -> str:
    """A self-evaluation form with ``rows`` indicator rows, every printed number distinct."""
    lines = [line.replace("{n}", str(n)) for line in HEAD]
    for i in range(rows):
        k = n * 100000 + i
        lines.append(f"产出指标\t数量指标\t第{k}项培训覆盖人次\t≥{k}.50(人)\t{k}.75(人)\t{k % 997 + 1}.25\t{k % 997 + 1}.25\t")
    lines += ["总分\t\t\t\t\t100.00\t94.55\t", "评分等级\t优"]
    return "\n".join(lines)


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        clear_caches()
        started = time.process_time()        # CPU time: other processes' turns on a shared machine do not count
        fn()
        best = min(best, time.process_time() - started)
    return best * 1000


def measure(text: str, repeat: int) -> dict[str, float]:
    parsed = extract_text(text, settings=Settings(validate=False))
    blocks = split_forms(split_lines(text))
    with_validation = _best(lambda: extract_text(text), repeat)
    without = _best(lambda: extract_text(text, settings=Settings(validate=False)), repeat)
    search = _best(lambda: [validate_form(f.form, SourceText.of_lines(text, b.lines))
                            for f, b in zip(parsed.forms, blocks)], repeat)
    return {"pipeline_validation_ms": round(with_validation - without, 1), "parse_ms": round(without, 1),
            "search_validation_ms": round(search, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    one = form_text(1, args.rows)
    ten = "\n\n".join(form_text(n, args.rows // 10) for n in range(1, 11))
    print(json.dumps({"rows": args.rows, "one_form": measure(one, args.repeat),
                      "ten_forms": measure(ten, args.repeat)}))


if __name__ == "__main__":
    main()
