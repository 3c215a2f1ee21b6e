"""财政项目支出绩效自评表 — the self-evaluation form."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from schemas.common import ContractModel, OptionalAmount


class FundRow(ContractModel):
    """One row of the fund table (年初预算数 … 得分). Rates are percent: 95.53 means 95.53%."""

    initial_budget: OptionalAmount = Field(None, description="年初预算数")
    annual_budget: OptionalAmount = Field(None, description="全年预算数")
    executed: OptionalAmount = Field(None, description="全年执行数")
    execution_rate: OptionalAmount = Field(None, description="执行率(%), in percent")
    weight: OptionalAmount = Field(None, description="分数; null where the cell is -/— (all rows but total)")
    score: OptionalAmount = Field(None, description="得分; null where the cell is -/— (all rows but total)")


class SelfEvaluationFunds(ContractModel):
    total: FundRow = Field(default_factory=FundRow, description="年度资金总额")
    current_year_appropriation: FundRow = Field(default_factory=FundRow, description="其中：当年财政拨款")
    prior_year_carryover: FundRow = Field(default_factory=FundRow, description="上年结转资金")
    other: FundRow = Field(default_factory=FundRow, description="其他资金")


class SelfEvaluationIndicator(ContractModel):
    """One row of the indicator table, with its place in the hierarchy carried down."""

    level1: Optional[str] = Field(None, description="一级指标")
    level2: Optional[str] = Field(None, description="二级指标")
    name: Optional[str] = Field(None, description="三级指标")
    target: Optional[str] = Field(None, description="年度指标值, as printed")
    actual: Optional[str] = Field(None, description="实际完成值, as printed")
    weight: OptionalAmount = Field(None, description="分值")
    score: OptionalAmount = Field(None, description="得分")
    deviation_note: Optional[str] = Field(None, description="偏差原因分析及改进措施")


class SelfEvaluationForm(ContractModel):
    form_type: Literal["self_evaluation"] = "self_evaluation"
    year: Optional[int] = Field(None, description="(2024年度)")
    project_name: Optional[str] = Field(None, description="项目名称")
    competent_department: Optional[str] = Field(None, description="主管部门")
    implementing_unit: Optional[str] = Field(None, description="实施单位")
    funds_unit: Optional[Literal["万元", "元"]] = Field(None, description="项目资金 (万元)")
    funds: SelfEvaluationFunds = Field(default_factory=SelfEvaluationFunds)
    goal_expected: Optional[str] = Field(None, description="年度总体目标 / 预期目标")
    goal_actual: Optional[str] = Field(None, description="年度总体目标 / 实际完成情况")
    indicators: list[SelfEvaluationIndicator] = Field(default_factory=list)
    total_weight: OptionalAmount = Field(None, description="总分 row, 分值 column")
    total_score: OptionalAmount = Field(None, description="总分 row, 得分 column")
    grade: Optional[str] = Field(None, description="评分等级 (优/良/中/差)")
