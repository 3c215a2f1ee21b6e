"""Shared fixtures: the bundled eval set and small hand-made forms."""

from __future__ import annotations


import pytest

from eval.dataset import DATA_DIR, load_cases

SEEDS = DATA_DIR / "seeds"


@pytest.fixture(scope="session")
def cases():
    return load_cases()


@pytest.fixture
def seed_text():
    def read(stem_prefix: str) -> str:
        (path,) = [p for p in SEEDS.glob(f"{stem_prefix}*.txt")]
        return path.read_text(encoding="utf-8")
    return read


def rows(*lines: str) -> str:
    """Build OCR text from rows written with ``|`` between cells."""
    return "\n".join(line.replace("|", "\t") for line in lines)


SELF_EVALUATION = rows(
    "财政项目支出绩效自评表",
    "(2024年度)",
    "项目名称||测试项目",
    "主管部门||某区财政局||实施单位||某区某中心",
    "项目资金 (万元)||年初预算数|全年预算数|全年执行数|分数|执行率(%)|得分",
    "|年度资金总额:|100.00|2,138.12|2,042.66|10.00|95.53|9.55",
    "|其中: 当年财政拨款|100.00|2,138.12|2,042.66|-|95.53|-",
    "|上年结转资金|0.00|0.00|0.00|-|0.00|-",
    "|其他资金|0.00|0.00|0.00|-|0.00|-",
    "年度总体目标|预期目标|||实际完成情况",
    "|完成年度工作。|||已完成年度工作。",
    "一级指标|二级指标|三级指标|年度指标值|实际完成值|分值|得分|偏差原因分析及改进措施",
    "产出指标|数量指标|培训人数|≥80.00(人)|80.00(人)|45.00|45.00|",
    "满意度指标|服务对象满意度指标|学员满意度|≥90.00(%)|88.00(%)|45.00|40.00|满意度未达标，将改进课程",
    "总分|||||100.00|94.55|",
    "评分等级|优",
)
