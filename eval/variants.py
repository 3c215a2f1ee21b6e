"""Template variants with exact gold: the same forms printed the way other provinces print them.

Each :class:`Variant` is one template: its title, its labels for the same fields (项目实施单位,
调整后预算数, 权重, 合计, 自评等级 …), its fund and indicator columns (a target split over
指标性质 | 指标值 | 度量单位, an extra 年初目标值 column, no 得分 column), level labels that carry
their points (产出指标(50分)), a 二级 label on a row of its own, the older hierarchy (成本指标 under
产出指标, 环境效益指标 and 社会公众或服务对象满意度指标 under 效益指标), a title in Traditional
characters, a footnote that names a form. The forms themselves (names, numbers that hold,
indicator rows) come from :mod:`eval.synthetic`; the gold is what each template prints, mapped
onto the contract the way FORMAT.md reads it (docs/templates.md).

``python -m eval.variants`` (or ``formex eval --variants``) prints field F1 per variant.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Callable

from eval import damage
from eval.synthetic import (
    SyntheticDocument,
    _fmt,
    _jsonable,
    self_evaluation,
    target_declaration,
    vocabulary,
)

# The seeds' OCR damage a variant takes: every text kind, each on 30% of forms at level 1 (a form
# that lost its table head is read by a neighbouring form's column roles; see docs/templates.md).
VARIANT_DAMAGE = tuple(damage.DAMAGES)
_SPLIT_TARGET = re.compile(r"^([=≥≤<>≧≦＝＞＜]?)(\d+(?:\.\d+)?)(.*)$")
_T2S_TITLES = {"财政项目支出绩效自评表": "財政項目支出績效自評表", "财政项目支出绩效目标申报表": "財政項目支出績效目標申報表"}
OLDER_PLACES = {  # standard (level1, level2) → older template's place
    ("成本指标", None): ("产出指标", "成本指标"),
    ("效益指标", "生态效益指标"): ("效益指标", "环境效益指标"),
    ("满意度指标", None): ("效益指标", "社会公众或服务对象满意度指标"),
}
OLDER_ORDER = ("产出指标", "效益指标")


@dataclass(frozen=True)
class Template:
    """How one template prints a form: labels, columns and layout switches."""

    title: str
    name_label: str = "项目名称"
    department_label: str = "主管部门"
    unit_label: str = "实施单位"
    funds_head: str = "项目资金 (万元)"
    fund_columns: tuple[tuple[str, str], ...] = (
        ("initial_budget", "年初预算数"), ("annual_budget", "全年预算数"), ("executed", "全年执行数"),
        ("weight", "分数"), ("execution_rate", "执行率(%)"), ("score", "得分"))
    fund_rows: tuple[tuple[str, str], ...] = (
        ("total", "年度资金总额:"), ("current_year_appropriation", "其中: 当年财政拨款"),
        ("prior_year_carryover", "上年结转资金"), ("other", "其他资金"))
    goal_heads: tuple[str, str] = ("预期目标", "实际完成情况")
    goals_by_row: bool = False
    indicator_columns: tuple[tuple[str, str], ...] = (
        ("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"), ("target", "年度指标值"),
        ("actual", "实际完成值"), ("weight", "分值"), ("score", "得分"), ("deviation_note", "偏差原因分析及改进措施"))
    points_in_levels: bool = False
    level2_own_row: bool = False
    older_hierarchy: bool = False
    total_label: str = "总分"
    grade_label: str = "评分等级"
    # 申报表
    nature_label: str = "项目性质"
    category_label: str = "项目类别"
    declaration_funds: tuple[tuple[str, str], ...] = (
        ("project_total", "项目资金总额:"), ("project_fiscal", "其中: 财政资金"), ("annual_total", "年度资金申请总额:"),
        ("current_year_appropriation", "其中: 当年财政拨款"), ("prior_year_carryover", "上年结转资金"))
    footnote: bool = False


@dataclass(frozen=True)
class Variant:
    name: str
    form_type: str
    description: str
    template: Template
    damage: tuple[str, ...] = VARIANT_DAMAGE


# --- the forms, in each template's own hierarchy ----------------------------------------------

def _older(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows placed the way the older hierarchy prints them (no 成本指标 or 满意度指标 at level 1)."""
    out = []
    for row in rows:
        place = OLDER_PLACES.get((row["level1"], row["level2"])) or OLDER_PLACES.get((row["level1"], None))
        if place:
            row = {**row, "level1": place[0], "level2": place[1]}
        out.append(row)
    order = {name: i for i, name in enumerate(OLDER_ORDER)}
    return sorted(out, key=lambda r: (order[r["level1"]], r["level2"] == "成本指标"))


def _number(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral() else f"{value:.2f}"


def _split_target(target: str | None) -> tuple[str, str, str]:
    """``≥80.00(%)`` → (``≥``, ``80.00``, ``(%)``); a word target stays whole in the value cell."""
    if not target:
        return "", "", ""
    match = _SPLIT_TARGET.match(target)
    return (match.group(1), match.group(2), match.group(3)) if match else ("", target, "")


# --- printing ------------------------------------------------------------------------------------

def _level_lines(rows: list[dict[str, Any]], t: Template, cells: Callable[[dict[str, Any]], dict[str, str]],
                 columns: tuple[tuple[str, str], ...]) -> list[str]:
    """The indicator rows; merged level cells printed once, with points or on a row of their own."""
    lines = []
    points: dict[str, Decimal] = {}
    for row in rows:
        points[row["level1"]] = points.get(row["level1"], Decimal(0)) + (row.get("weight") or Decimal(0))
    previous: dict[str, Any] | None = None
    for row in rows:
        new_level1 = previous is None or previous["level1"] != row["level1"]
        new_level2 = new_level1 or previous["level2"] != row["level2"]
        level1 = row["level1"] if new_level1 else ""
        if level1 and t.points_in_levels and points.get(level1):
            level1 = f"{level1}({_number(points[level1])}分)"
        level2 = row["level2"] if new_level2 else ""
        values = cells(row)
        if t.level2_own_row and new_level2:
            lines.append("\t".join({"level1": level1, "level2": level2}.get(role, "") for role, _ in columns))
            level1 = level2 = ""
        values.update(level1=level1, level2=level2)
        lines.append("\t".join(values.get(role, "") for role, _ in columns))
        previous = row
    return lines


def _row_cells(row: dict[str, Any], rng: random.Random) -> dict[str, str]:
    sign, value, unit = _split_target(row.get("target"))
    cells = {"name": row["name"], "target": row.get("target") or "", "target_sign": sign, "target_value": value,
             "target_unit": unit, "actual": row.get("actual") or "", "deviation_note": row.get("deviation_note") or "",
             "initial_target": row.get("target") or "", "remark": ""}
    if row.get("weight") is not None:
        cells["weight"] = _fmt(row["weight"])
    if row.get("score") is not None:
        cells["score"] = _fmt(row["score"])
    return cells


def _head_lines(columns: tuple[tuple[str, str], ...]) -> list[str]:
    """The table head; a split target prints a merged 年度指标值 over its three sub-heads."""
    roles = [role for role, _ in columns]
    if "target_sign" not in roles:
        return ["\t".join(label for _, label in columns)]
    top = ["年度指标值" if role == "target_sign" else "" if role in ("target_value", "target_unit") else label
           for role, label in columns]
    sub = [label if role in ("target_sign", "target_value", "target_unit") else "" for role, label in columns]
    return ["\t".join(top), "\t".join(sub)]


def _goals_and_table(form: dict[str, Any], t: Template, goals: tuple[str, str], row_label: str,
                     rng: random.Random) -> list[str]:
    """The two goal texts (beside their row labels, or under their column heads) and the indicator table."""
    first, second = (form[g] or "" for g in goals)
    if t.goals_by_row:
        lines = [f"{t.goal_heads[0]}\t{first}", f"{t.goal_heads[1]}\t{second}"]
    else:
        lines = [f"{row_label}\t{t.goal_heads[0]}\t\t\t{t.goal_heads[1]}\t\t", f"\t{first}\t\t\t{second}\t\t"]
    lines += _head_lines(t.indicator_columns)
    return lines + _level_lines(form["indicators"], t, lambda row: _row_cells(row, rng), t.indicator_columns)


def print_self_evaluation(form: dict[str, Any], t: Template, rng: random.Random) -> list[str]:
    f = form["funds"]
    roles = [role for role, _ in t.fund_columns]

    def fund_row(row: str, label: str) -> str:
        values = f[row]
        scored = row == "total"
        cells = [_fmt(values[r]) if r not in ("weight", "score") or scored else "-" for r in roles]
        return "\t".join(["", label, *cells])

    lines = [t.title, f"({form['year']}年度)",
             f"{t.name_label}\t\t{form['project_name']}\t\t\t\t\t",
             f"{t.department_label}\t\t{form['competent_department']}\t\t{t.unit_label}\t\t{form['implementing_unit']}\t",
             "\t".join([t.funds_head, "", *(label for _, label in t.fund_columns)])]
    lines += [fund_row(row, label) for row, label in t.fund_rows]
    lines += _goals_and_table(form, t, ("goal_expected", "goal_actual"), "年度总体目标", rng)
    n = len(t.indicator_columns)
    at = {role: i for i, (role, _) in enumerate(t.indicator_columns)}
    total = [""] * n
    total[0] = t.total_label
    if form["total_weight"] is not None and "weight" in at:
        total[at["weight"]] = _fmt(form["total_weight"])
    if form["total_score"] is not None and "score" in at:
        total[at["score"]] = _fmt(form["total_score"])
    lines.append("\t".join(total))
    lines.append(f"{t.grade_label}\t{form['grade']}" + "\t" * (n - 2))
    return lines


def print_target_declaration(form: dict[str, Any], t: Template, rng: random.Random) -> list[str]:
    f = form["funds"]
    fund = dict(t.declaration_funds)
    lines = [t.title, f"({form['year']} 年度)",
             f"{t.name_label}\t{form['project_name']}\t\t{t.nature_label}\t{form['project_nature']}\t{t.category_label}\t{form['project_category']}",
             f"{t.department_label}\t{form['competent_department']}\t\t{t.unit_label}\t{form['implementing_unit']}\t\t",
             f"计划开始日期\t{form['plan_start']}\t\t计划完成日期\t{form['plan_end']}\t\t",
             f"{t.funds_head}\t{fund['project_total']}\t\t{fund['annual_total']}\t{_fmt(f['annual_total'])}\t\t",
             f"\t{fund['project_fiscal']}\t\t{fund['current_year_appropriation']}\t{_fmt(f['current_year_appropriation'])}\t\t",
             f"\t\t\t{fund['prior_year_carryover']}\t{_fmt(f['prior_year_carryover'])}\t\t",
             f"\t其他资金\t\t其他资金\t{_fmt(f['other'])}\t\t"]
    lines += _goals_and_table(form, t, ("goal_overall", "goal_annual"), "项目 绩效 目标", rng)
    if t.footnote:
        lines += ["", "注：本表依据《项目支出绩效目标申报表》填报说明填写，金额单位为元。", "填报人：\t\t联系电话：\t"]
    return lines


# --- the variants ------------------------------------------------------------------------------

SE = Template(title="财政项目支出绩效自评表")
TD = Template(title="财政项目支出绩效目标申报表", funds_head="项目资金 (元)", goal_heads=("项目总目标", "年度总体目标"),
              indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                                 ("target", "年度(/项目)指标值")))
_SPLIT = (("target_sign", "指标性质"), ("target_value", "指标值"), ("target_unit", "度量单位"))

VARIANTS: tuple[Variant, ...] = (
    Variant("department_budget_labels", "self_evaluation",
            "部门预算项目支出绩效自评表: 项目主管部门/项目实施单位, 全年预算数（A）/全年执行数（B）/执行率（B/A）, 权重, "
            "其中：本年财政拨款, 项目年度目标/年度目标完成情况 as column heads, 合计, 自评等级",
            replace(SE, title="部门预算项目支出绩效自评表", department_label="项目主管部门", unit_label="项目实施单位",
                    fund_columns=(("initial_budget", "年初预算数"), ("annual_budget", "全年预算数（A）"),
                                  ("executed", "全年执行数（B）"), ("weight", "权重"), ("execution_rate", "执行率（B/A）"),
                                  ("score", "得分")),
                    fund_rows=(("total", "年度资金总额"), ("current_year_appropriation", "其中：本年财政拨款"),
                               ("prior_year_carryover", "上年结转资金"), ("other", "其他资金")),
                    goal_heads=("项目年度目标", "年度目标完成情况"),
                    indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                                       ("target", "年度指标值"), ("actual", "实际完成值"), ("weight", "权重"),
                                       ("score", "得分"), ("deviation_note", "偏差原因分析及改进措施")),
                    total_label="合计", grade_label="自评等级")),
    Variant("adjusted_budget_columns", "self_evaluation",
            "项目支出绩效自评表: fund columns 调整后预算数 | 预算执行数 | 预算执行率 in another order, goals beside their "
            "row labels, 项目执行单位, 评价结论",
            replace(SE, title="项目支出绩效自评表", unit_label="项目执行单位",
                    fund_columns=(("initial_budget", "年初预算数"), ("annual_budget", "调整后预算数"),
                                  ("executed", "预算执行数"), ("execution_rate", "预算执行率"), ("weight", "分值"),
                                  ("score", "得分")),
                    goal_heads=("年度目标", "年度目标完成情况"), goals_by_row=True, grade_label="评价结论")),
    Variant("points_in_levels", "self_evaluation",
            "…项目自评表: level labels that carry their points (产出指标(50分)) and each 二级 label on a row of its own",
            replace(SE, title="2024年度项目自评表", points_in_levels=True, level2_own_row=True)),
    Variant("split_target_extra_column", "self_evaluation",
            "an extra 年初目标值 column (kept under extra) and the target split over 指标性质 | 指标值 | 度量单位",
            replace(SE, indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                                           ("initial_target", "年初目标值"), *_SPLIT, ("actual", "实际完成值"),
                                           ("weight", "分值"), ("score", "得分"), ("deviation_note", "偏差原因分析及改进措施")))),
    Variant("no_score_column", "self_evaluation",
            "no 得分 column: the indicator table prints 分值 only, so scores and 总分's score are null",
            replace(SE, indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                                           ("target", "年度指标值"), ("actual", "实际完成值"), ("weight", "分值"),
                                           ("deviation_note", "偏差原因分析及改进措施")))),
    Variant("score_only_columns", "self_evaluation",
            "funds as 预算数（A）| 执行数（B）| 执行率（B/A）| 得分 on a 年度财政资金总额 row; indicators with 年初目标值（A） as "
            "their only target column, 实际完成值（B） and 得分 but no 分值 column (weights null)",
            replace(SE, title="2023年度项目绩效自评表",
                    fund_columns=(("annual_budget", "预算数（A）"), ("executed", "执行数（B）"),
                                  ("execution_rate", "执行率（B/A）"), ("score", "得分")),
                    fund_rows=(("total", "年度财政资金总额"),),
                    indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                                       ("target", "年初目标值（A）"), ("actual", "实际完成值（B）"), ("score", "得分")))),
    Variant("older_hierarchy", "self_evaluation",
            "the older hierarchy: 成本指标 as a 二级 under 产出指标, 环境效益指标 and 社会公众或服务对象满意度指标 under 效益指标",
            replace(SE, older_hierarchy=True)),
    Variant("traditional_title", "self_evaluation", "the title printed in Traditional characters",
            replace(SE, title=_T2S_TITLES["财政项目支出绩效自评表"])),
    Variant("declaration_split_target", "target_declaration",
            "项目支出绩效目标表: 项目属性/项目类型, 项目实施单位, 项目总预算/项目当年预算, 其中：本年财政拨款, goals beside "
            "项目绩效总目标/年度目标, the target split over 指标性质 | 指标值 | 度量单位, a 备注 column, a footnote naming "
            "《项目支出绩效目标申报表》",
            replace(TD, title="项目支出绩效目标表", nature_label="项目属性", category_label="项目类型",
                    unit_label="项目实施单位", goal_heads=("项目绩效总目标", "年度目标"), goals_by_row=True,
                    declaration_funds=(("project_total", "项目总预算"), ("project_fiscal", "其中：财政资金"),
                                       ("annual_total", "项目当年预算"), ("current_year_appropriation", "其中：本年财政拨款"),
                                       ("prior_year_carryover", "上年结转资金")),
                    indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"), *_SPLIT,
                                       ("remark", "备注")),
                    footnote=True)),
    Variant("declaration_traditional_points", "target_declaration",
            "项目申报表 titled in Traditional characters, 二级 labels on rows of their own, 指标内容 for 三级指标, "
            "指标值 for 年度指标值",
            replace(TD, title="項目申報表", level2_own_row=True,
                    indicator_columns=(("level1", "一级指标"), ("level2", "二级指标"), ("name", "指标内容"),
                                       ("target", "指标值")))),
)
VARIANT_NAMES = tuple(v.name for v in VARIANTS)


def get_variant(name: str) -> Variant:
    for variant in VARIANTS:
        if variant.name == name:
            return variant
    raise KeyError(f"unknown template variant {name!r}: one of {', '.join(VARIANT_NAMES)}")


def _form(variant: Variant, rng: random.Random) -> dict[str, Any]:
    vocab = vocabulary()
    t = variant.template
    form = self_evaluation(rng, vocab) if variant.form_type == "self_evaluation" else target_declaration(rng, vocab)
    if t.older_hierarchy:
        form["indicators"] = _older(form["indicators"])
    roles = {role for role, _ in t.indicator_columns}
    if variant.form_type == "self_evaluation":
        _drop_unprinted(form, t, roles)
    if variant.form_type == "target_declaration" and t.footnote:
        form["goal_overall"] = rng.choice(vocab.goals)
    return form


def _drop_unprinted(form: dict[str, Any], t: Template, roles: set[str]) -> None:
    """Gold is what the template prints: a column or fund row it lacks is null."""
    for field in ("score", "weight", "deviation_note"):
        if field not in roles:
            for row in form["indicators"]:
                row[field] = None
            if field in ("score", "weight"):
                form[f"total_{field}"] = None
    printed_rows = {row for row, _ in t.fund_rows}
    printed_columns = {column for column, _ in t.fund_columns}
    for row, values in form["funds"].items():
        for column in values:
            if row not in printed_rows or column not in printed_columns:
                values[column] = None


def make_variant_document(variant: Variant, seed: int, *, forms: tuple[int, int] = (2, 4),
                          level: float = 1.0) -> SyntheticDocument:
    """One document of 2-4 forms printed in the variant's template, with its gold."""
    rng = random.Random(f"{variant.name}:{seed}")
    texts, gold, kinds = [], [], []
    printer = print_self_evaluation if variant.form_type == "self_evaluation" else print_target_declaration
    for _ in range(rng.randint(*forms)):
        form = _form(variant, rng)
        text = "\n".join(printer(form, variant.template, rng))
        applied = [k for k in variant.damage if rng.random() < damage_rate(level)]
        text = damage.damage(text, applied, seed=rng.randrange(2**31))
        texts.append(text)
        gold.append(_jsonable(form))
        kinds.append(applied)
    return SyntheticDocument(f"{variant.name}-{seed:04d}", "\n\n".join(texts) + "\n", gold, kinds, [[] for _ in gold], level)


def damage_rate(level: float) -> float:
    return min(1.0, 0.3 * max(level, 0.0))


def make_variant_set(variant: Variant, count_forms: int = 60, *, seed: int = 0, level: float = 1.0) -> list[SyntheticDocument]:
    documents, total, n = [], 0, 0
    while total < count_forms:
        document = make_variant_document(variant, seed * 10_000 + n, level=level)
        documents.append(document)
        total += len(document.gold)
        n += 1
    return documents


@dataclass
class VariantScore:
    name: str
    form_type: str
    forms_gold: int
    forms_predicted: int
    f1: float
    precision: float
    recall: float
    worst_fields: list[tuple[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"variant": self.name, "form_type": self.form_type, "forms_gold": self.forms_gold,
                "forms_predicted": self.forms_predicted, "f1": round(self.f1, 4), "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "worst_fields": [[f, round(s, 4)] for f, s in self.worst_fields]}


def score_variants(settings: Any = None, count_forms: int = 60, *, names: tuple[str, ...] = VARIANT_NAMES,
                   level: float = 1.0) -> list[VariantScore]:
    """Field F1 (FORMAT.md rules) of a backend on each template variant."""
    from eval.compare import compare_document
    from eval.evaluators import PerFieldF1, prf
    from extractor.backends import get_backend
    from extractor.errors import FormexError
    from extractor.pipeline import extract_text
    from extractor.settings import Settings

    settings = settings or Settings()
    backend = get_backend(settings)
    scores = []
    for name in names:
        variant = get_variant(name)
        results, predicted, gold = [], 0, 0
        for document in make_variant_set(variant, count_forms, level=level):
            try:
                forms = [f.form.model_dump(mode="json") for f in
                         extract_text(document.text, source=document.name, settings=settings, backend=backend).forms]
            except FormexError:
                forms = []
            predicted += len(forms)
            gold += len(document.gold)
            results.extend(compare_document(document.name, document.gold, forms))
        total = prf(results)
        per_field = PerFieldF1().evaluate(results)
        worst = sorted(((f, s["f1"]) for f, s in per_field.items() if s["f1"] < 1.0), key=lambda x: x[1])[:4]
        scores.append(VariantScore(name, variant.form_type, gold, predicted, total.f1, total.precision, total.recall, worst))
    return scores


REAL_SETS = ("real_rows", "real")   # real forms of other publishers (eval/data/real/SOURCES.md), if present


def score_real(settings: Any = None) -> list[VariantScore]:
    """Each real document of ``eval/data/real*`` scored on its own: one published template each. A
    document with no form scores 1.0 when nothing is predicted from it (no phantom form)."""
    from eval.compare import compare_document
    from eval.dataset import DATA_DIR, load_cases
    from eval.evaluators import prf
    from eval.runner import predict
    from extractor.backends import get_backend
    from extractor.runstats import RunStats
    from extractor.settings import Settings

    settings = settings or Settings()
    backend = get_backend(settings)
    scores = []
    for name in REAL_SETS:
        if not (DATA_DIR / name / "seeds").is_dir():
            continue
        for case in load_cases(DATA_DIR / name):
            pred, _ = predict(case, settings, backend, RunStats())
            total = prf(compare_document(case.name, case.gold, pred))
            empty = not case.gold and not pred
            form_type = ",".join(sorted({g["form_type"] for g in case.gold})) or "no form"
            scores.append(VariantScore(f"{name}/{case.name}", form_type, len(case.gold), len(pred),
                                       1.0 if empty else total.f1, 1.0 if empty else total.precision,
                                       1.0 if empty else total.recall))
    return scores


def format_scores(scores: list[VariantScore]) -> str:
    lines = [f"{'variant':<34} {'type':<19} {'forms':>9}  {'P':>6}  {'R':>6}  {'F1':>6}  worst fields"]
    for s in scores:
        worst = ", ".join(f"{f} {v:.2f}" for f, v in s.worst_fields)
        lines.append(f"{s.name:<34} {s.form_type:<19} {s.forms_predicted:>4}/{s.forms_gold:<4}  {s.precision:.4f}  "
                     f"{s.recall:.4f}  {s.f1:.4f}  {worst}")
    return "\n".join(lines)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=60, help="forms per variant")
    parser.add_argument("--level", type=float, default=1.0, help="damage level (0 clean)")
    args = parser.parse_args()
    print(format_scores(score_variants(count_forms=args.forms, level=args.level) + score_real()))


if __name__ == "__main__":
    main()
