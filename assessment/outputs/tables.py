"""Results as tables with Chinese headers, for export (Excel/CSV) and for the pages."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import glossary as g
from ..rubric import Rubric, format_fraction
from ..scoring import Results


def _yes_no(values) -> np.ndarray:
    return np.where(np.asarray(values, dtype=bool), g.YES, g.NO)


def _tri_state(values, true_text: str, false_text: str, na_text: str) -> np.ndarray:
    arr = pd.array(values, dtype="boolean")
    out = np.where(arr.fillna(False).to_numpy(dtype=bool), true_text, false_text).astype(object)
    out[np.asarray(arr.isna())] = na_text
    return out


def results_table(results: Results, rubric: Rubric) -> pd.DataFrame:
    """Sheet 结果: one row per branch."""
    b = results.branches
    table = pd.DataFrame({g.BRANCH_ID: b.index.to_numpy(), g.BRANCH_NAME: b["name"].to_numpy()})
    for channel in rubric.channels.channels:
        table[channel.label] = b[channel.id].to_numpy()
    if rubric.bonus_items:
        # The 加分 already inside the 组织评定 column (after the bonus cap; the total cap may clip it further).
        table[f"{rubric.channel('org').label}加分"] = b["bonus"].to_numpy()
    table[g.COMPOSITE] = b["composite"].to_numpy()
    table[g.GRADE] = b["grade"].to_numpy()
    if rubric.eligibility.grade_caps:
        table["等次限制说明"] = b["grade_cap_reasons"].to_numpy()
    table[g.STANDARDIZED] = _yes_no(b["standardized"])
    table[g.STARS] = b["stars"].to_numpy()
    table[g.STRONGEST] = _yes_no(b["strongest"])
    # the rules by the names a reader knows (the ids stay in the results, for programs)
    labels = {rule.id: rule.label for rule in rubric.veto_rules}
    table[g.VETO_IDS_COL] = [
        "；".join(labels.get(rule, rule) for rule in ids.split(";") if rule) for ids in b["veto_ids"].fillna("")
    ]
    table[g.VETO_TEXT_COL] = b["veto_text"].to_numpy()
    table[g.MISSING] = b["missing"].to_numpy()
    table[g.STATUS] = b["status"].to_numpy()
    table[g.FIVE_STRONG] = _yes_no(b["five_strong"])
    table[g.WEAK] = _yes_no(b["weak"])
    table["软弱涣散原因"] = b["weak_reasons"].to_numpy()
    table["未达标原因"] = np.where(b["standardized"].to_numpy(dtype=bool), "", b["standardized_reasons"].to_numpy())
    table[g.REASONS] = b["reasons"].to_numpy()
    # Results read back as decided name each branch's own version (analysis.decided); others, one.
    versions = b["rubric_version"] if "rubric_version" in b.columns else None
    table[g.RUBRIC_VERSION] = versions.to_numpy(dtype=object) if versions is not None else results.rubric_version
    return table


def activities_table(results: Results) -> pd.DataFrame:
    """Sheet 组织生活: one row per branch and activity rule."""
    a = results.activities
    order = np.argsort(pd.Categorical(a["branch_id"], categories=results.branches.index).codes, kind="stable")
    a = a.iloc[order]
    return pd.DataFrame(
        {
            g.BRANCH_ID: a["branch_id"].to_numpy(),
            "类型": a["type"].to_numpy(),
            "要求": a["requirement"].to_numpy(),
            "实际次数": a["count"].to_numpy(),
            "缺漏期间": a["missing_periods"].to_numpy(),
            g.STANDARDIZED: _tri_state(a["met"], g.YES, g.NO, g.NOT_APPLICABLE),
            "未计入次数": a["not_counted"].to_numpy(),
            "到会不足法定人数次数（不能表决）": a["below_quorum"].to_numpy(),
        }
    )


def structure_table(results: Results) -> pd.DataFrame:
    """Sheet 组织设置: the structure findings."""
    s = results.structure
    order = np.argsort(pd.Categorical(s["branch_id"], categories=results.branches.index).codes, kind="stable")
    s = s.iloc[order]
    return pd.DataFrame(
        {
            g.BRANCH_ID: s["branch_id"].to_numpy(),
            "规则": s["label"].to_numpy(),
            "结果": _tri_state(s["passed"], "符合", "不符合", g.UNKNOWN),
            "说明": s["explanation"].to_numpy(),
            "影响达标": _yes_no(s["blocking"]),
            "来源": s["source"].to_numpy(),
        }
    )


def veto_table(results: Results) -> pd.DataFrame:
    """Sheet 否决明细: every veto rule for every branch, in the fixed rule order."""
    v = results.vetoes
    codes = pd.Categorical(v["branch_id"], categories=results.branches.index).codes
    v = v.iloc[np.lexsort((v["order"].to_numpy(), codes))]
    return pd.DataFrame(
        {
            g.BRANCH_ID: v["branch_id"].to_numpy(),
            "规则编号": v["rule_id"].to_numpy(),
            "规则": v["label"].to_numpy(),
            "结果": _tri_state(v["passed"], g.PASS, "否决", g.UNKNOWN),
            "观察值": v["observed"].to_numpy(),
            "阈值": v["threshold"].to_numpy(),
            "说明": v["explanation"].to_numpy(),
            "来源": v["source"].to_numpy(),
        }
    )


def rubric_table(results: Results, rubric: Rubric) -> pd.DataFrame:
    """Sheet 评分标准: which rubric and year produced these results."""
    rows = [
        (g.RUBRIC_VERSION, results.rubric_version),
        ("评分标准名称", rubric.meta.name),
        ("评估年度", str(results.year)),
        ("支部数", str(len(results.branches))),
    ]
    b = results.branches
    used = sorted(set(b["rubric_version"].dropna().astype(str))) if "rubric_version" in b.columns else []
    if len(used) > 1:  # results read back as decided, under several versions: the weights below are one's
        rows.append(
            (
                "各支部的评分标准版本",
                "、".join(used) + f"（见“结果”的“评分标准版本”列；以下为版本 {rubric.version} 的设置）",
            )
        )
    rows += [(f"{c.label}权重", format_fraction(c.weight)) for c in rubric.channels.channels]
    if rubric.unused_text():  # meta.yaml uses: not evaluated, not 0
        rows.append((g.NOT_USED, rubric.unused_text() + "（未评分，不计为缺项）"))
    if rubric.bonus_items:
        spec = rubric.checklist.bonus
        rows += [
            (g.BONUS_ITEM, "、".join(f"{i.id} {i.label}" for i in rubric.bonus_items)),
            ("加分上限", "不封顶" if spec.cap is None else f"{format_fraction(spec.cap)}分"),
            (
                f"{rubric.channel('org').label}总分上限",
                "不封顶（积分制）" if spec.total_cap is None else f"{format_fraction(spec.total_cap)}分",
            ),
        ]
    rows += [(f"等次限制：{cap.label}", f"等次最高为“{cap.max_grade}”") for cap in rubric.eligibility.grade_caps]
    return pd.DataFrame(rows, columns=["项目", "内容"])


def result_tables(results: Results, rubric: Rubric) -> dict[str, pd.DataFrame]:
    """All export sheets, in order: 结果, 组织生活, 组织设置, 否决明细, 评分标准."""
    return {
        "结果": results_table(results, rubric),
        "组织生活": activities_table(results),
        "组织设置": structure_table(results),
        "否决明细": veto_table(results),
        "评分标准": rubric_table(results, rubric),
    }


def summary(results: Results) -> dict[str, int]:
    b = results.branches
    return {
        "branches": len(b),
        "standardized": int(b["standardized"].sum()),
        "strongest": int(b["strongest"].sum()),
        "incomplete": int((b["status"] == g.INCOMPLETE).sum()),
        "weak": int(b["weak"].sum()),
        "vetoed": int((b["veto_ids"] != "").sum()),
    }
