"""Every user-facing Chinese term, once. Code uses the English keys."""

from __future__ import annotations

# Rubric YAML field names → Chinese, for rubric error messages.
FIELD_LABELS: dict[str, str] = {
    "weight": "权重",
    "max": "满分或上限",
    "min": "下限",
    "id": "编号",
    "label": "名称",
    "source": "来源",
    "threshold": "阈值",
    "share": "比例",
    "type": "类型",
    "kind": "计分方式",
    "levels": "档次",
    "value": "分值",
    "points": "分值",
    "total_points": "总分",
    "parent": "上级",
    "target": "目标",
    "per": "每次扣分",
    "step": "每档百分点",
    "partial": "不足一档的处理",
    "frequency": "频次",
    "type_label": "活动类型",
    "version": "版本",
    "author": "修改人",
    "note": "修改说明",
    "based_on": "基于版本",
    "bands": "分档",
    "inclusive": "是否含本数",
    "min_inclusive": "下限是否含本数",
    "max_inclusive": "上限是否含本数",
    "year": "年份",
    "area": "创建内容",
    "strength": "五强维度",
    "frame000": "五个标准化",
    "advice": "改进建议",
    "description": "评分说明",
    "at_least": "最低等次",
    "bonus": "加分项",
    "bonus_group": "加分组",
    "cap": "加分上限",
    "total_cap": "总分上限",
    "groups": "加分组",
    "grade_caps": "等次限制",
    "max_grade": "最高等次",
    "any_of": "条件",
    "rule": "否决规则",
    "honours": "评先评优",
    "requires": "所需评定",
    "uses": "使用的数据",
}

# Channels and results.
CHANNEL_LABEL_FALLBACK = {"org": "组织评定", "member": "党员评议", "public": "群众评判", "social": "社会评价"}
COMPOSITE = "综合得分"
GRADE = "等次"
STANDARDIZED = "达标"
STARS = "星级"
STRONGEST = "最强资格"
FIVE_STRONG = "五强"
WEAK = "软弱涣散"
STATUS = "状态"
COMPLETE = "已完成"
INCOMPLETE = "未完成"
MISSING = "缺项"
NOT_USED = "本评分标准不使用"  # channels and conditions a rubric leaves out (meta.yaml uses)
VETO_IDS_COL = "否决规则"
VETO_TEXT_COL = "否决说明"
REASONS = "资格说明"
RUBRIC_VERSION = "评分标准版本"
YES = "是"
NO = "否"
PASS = "通过"
FAIL = "未通过"
UNKNOWN = "无法判断"
NOT_APPLICABLE = "不适用"
EVALUATOR = "评估人"
REVISION_NO = "修订号"

# Checklist items (rubrics/checklist.yaml) and what limits a result.
KEY_ITEM = "关键项"
BONUS_ITEM = "加分项"
BONUS = "加分"
GRADE_CAP = "等次限制"

# The branch's own scores (自评) beside the evaluator's (考评), as real 评分细则 list them.
SELF_ASSESSMENT = "自评"
SELF_SCORE = "自查分"
ASSESSED_SCORE = "考核分"
SELF_TOTAL = "自查总分"
SCORE_GAP = "差"
NOT_FILLED = "未填"
POINTS = "分"

BRANCH_ID = "支部编号"
BRANCH_NAME = "支部名称"


def yes_no(flag: bool) -> str:
    return YES if flag else NO
