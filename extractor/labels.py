"""The form's own printed labels for each hand-off field path.

One table for every place that shows a field to a person (the workbook and CSV headers, the
review page, findings): ``funds.total.executed`` → ``年度资金总额 · 全年执行数``,
``indicators[3].actual`` → ``三级指标 “…” 的实际完成值`` (with the row's name when given).
The paths are those of ``extractor.fieldpath``.
"""

from __future__ import annotations

import re

from extractor.spec import all_specs

FORM_TITLES = {spec.form_type: spec.printed_title for spec in all_specs()}   # from extractor/specs/*.toml

HEADER_LABELS = {
    "year": "年度",
    "project_name": "项目名称",
    "competent_department": "主管部门",
    "implementing_unit": "实施单位",
    "project_nature": "项目性质",
    "project_category": "项目类别",
    "plan_start": "计划开始日期",
    "plan_end": "计划完成日期",
    "funds_unit": "资金单位",
    "goal_expected": "年度总体目标 · 预期目标",
    "goal_actual": "年度总体目标 · 实际完成情况",
    "goal_overall": "项目总目标",
    "goal_annual": "年度总体目标",
    "total_weight": "总分 · 分值",
    "total_score": "总分 · 得分",
    "grade": "评分等级",
}

FUND_ROW_LABELS = {
    "total": "年度资金总额",
    "current_year_appropriation": "其中：当年财政拨款",
    "prior_year_carryover": "上年结转资金",
    "other": "其他资金",
    "project_total": "项目资金总额",
    "project_fiscal": "其中：财政资金",
    "project_other": "其他资金（项目）",
    "annual_total": "年度资金申请总额",
}

FUND_COLUMN_LABELS = {
    "initial_budget": "年初预算数",
    "annual_budget": "全年预算数",
    "executed": "全年执行数",
    "weight": "分数",
    "execution_rate": "执行率",
    "score": "得分",
}

INDICATOR_LABELS = {
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "target": "年度指标值",
    "actual": "实际完成值",
    "weight": "分值",
    "score": "得分",
    "deviation_note": "偏差原因分析及改进措施",
}

_INDICATOR = re.compile(r"^indicators\[(\d+)\](?:\.(\w+))?$")


def label_of(path: str, row_name: str | None = None) -> str:
    """The printed label of a field path; the path itself when the form prints no label for it."""
    if path in HEADER_LABELS:
        return HEADER_LABELS[path]
    if path == "indicators":
        return "绩效指标"
    parts = path.split(".")
    if parts[0] == "funds" and len(parts) >= 2 and parts[1] in FUND_ROW_LABELS:
        row = FUND_ROW_LABELS[parts[1]]
        return f"{row} · {FUND_COLUMN_LABELS.get(parts[2], parts[2])}" if len(parts) == 3 else row
    match = _INDICATOR.match(path)
    if match:
        index, field = int(match.group(1)), match.group(2)
        row = f"“{row_name}”" if row_name else f"第{index + 1}行"
        if field is None:
            return f"三级指标 {row}"
        if field == "name":
            return f"第{index + 1}行 三级指标"
        return f"三级指标 {row} 的{INDICATOR_LABELS.get(field, field)}"
    return path
