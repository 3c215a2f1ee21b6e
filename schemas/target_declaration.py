"""财政项目支出绩效目标申报表 — the target declaration form."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from schemas.common import ContractModel, OptionalAmount


class DeclarationFunds(ContractModel):
    project_total: OptionalAmount = Field(None, description="项目资金总额 (left column)")
    project_fiscal: OptionalAmount = Field(None, description="其中：财政资金 (left column)")
    project_other: OptionalAmount = Field(None, description="其他资金 (left column)")
    annual_total: OptionalAmount = Field(None, description="年度资金申请总额")
    current_year_appropriation: OptionalAmount = Field(None, description="其中：当年财政拨款")
    prior_year_carryover: OptionalAmount = Field(None, description="上年结转资金")
    other: OptionalAmount = Field(None, description="其他资金 (right column)")


class DeclarationIndicator(ContractModel):
    level1: Optional[str] = Field(None, description="一级指标")
    level2: Optional[str] = Field(None, description="二级指标")
    name: Optional[str] = Field(None, description="三级指标")
    target: Optional[str] = Field(None, description="年度(/项目)指标值, as printed")


class TargetDeclarationForm(ContractModel):
    form_type: Literal["target_declaration"] = "target_declaration"
    year: Optional[int] = Field(None, description="(2025 年度)")
    project_name: Optional[str] = Field(None, description="项目名称")
    project_nature: Optional[str] = Field(None, description="项目性质")
    project_category: Optional[str] = Field(None, description="项目类别")
    competent_department: Optional[str] = Field(None, description="主管部门")
    implementing_unit: Optional[str] = Field(None, description="实施单位")
    plan_start: Optional[str] = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="计划开始日期 YYYY-MM-DD")
    plan_end: Optional[str] = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="计划完成日期 YYYY-MM-DD")
    funds_unit: Optional[Literal["元", "万元"]] = Field(None, description="项目资金 (元)")
    funds: DeclarationFunds = Field(default_factory=DeclarationFunds)
    goal_overall: Optional[str] = Field(None, description="项目总目标")
    goal_annual: Optional[str] = Field(None, description="年度总体目标")
    indicators: list[DeclarationIndicator] = Field(default_factory=list)
