"""A rubric with one item of each newer kind (flag, evidence_deduction, multi_deduction, stepped), made from
the default rubric's texts the way a street would write it: s2 becomes an evidence list counted one by one,
s3 several deductions sharing one floor, f1 a recorded fact that vetoes 最强 and caps the grade, b9 a stepped
bonus. The default rubric has none of these (its results are the ones every other test checks)."""

from __future__ import annotations

from assessment.rubric import load_rubric_texts, read_rubric_texts

S2 = """  - id: s2
    label: 支部委员会设置
    area: setting
    frame000: org_building
    strength: team
    kind: points
    points: 5
"""
S2_KINDS = """  - id: s2
    label: 支部委员会设置
    area: setting
    frame000: org_building
    strength: team
    kind: evidence_deduction
    per: 2
    points: 5
"""
S3 = """  - id: s3
    label: 按期换届
    area: setting
    frame000: org_building
    strength: team
    kind: points
    points: 5
"""
S3_KINDS = """  - id: s3
    label: 按期换届
    area: setting
    frame000: org_building
    strength: team
    kind: multi_deduction
    rules:
      - {id: late, label: 未按期换届, per: 3}
      - {id: record, label: 选举程序记录不全, per: 0.5}
    points: 5
"""
NEW_ITEMS = """
  - id: f1
    label: 严重违纪违法
    area: role
    kind: flag
    points: 0
    flag_label: 发生严重违纪违法问题
    description: 支部班子成员或党员发生严重违纪违法问题的，一票否决。
    advice: 加强党员教育管理和日常监督。
    source: "测试用评分细则 否决项"
  - id: b9
    label: 宣传信息报送
    area: role
    kind: stepped
    points: 2
    bonus: true
    steps:
      - {at: 5, points: 1}
      - {at: 10, points: 2}
    description: 被区级以上媒体采用5篇以上奖1分、10篇以上奖2分，不累计。
    advice: 及时报送支部工作信息。
    source: "测试用评分细则 加分项"
"""
VETO = """  - id: serious_violation
    type: item_flag
    item: f1
    label: 发生严重违纪违法问题
    source: "测试用评分细则：发生严重违纪违法问题的，一票否决"
"""
CAPS = """grade_caps:
  - id: violation_cap
    label: 发生严重违纪违法问题的，不得评为优秀
    max_grade: 一般
    any_of:
      - {type: item_flag, item: f1}
    source: "测试用评分细则"
"""


def kinds_texts(texts: dict[str, str] | None = None) -> dict[str, str]:
    out = dict(texts or read_rubric_texts()[0])
    checklist = out["checklist.yaml"]
    assert S2 in checklist and S3 in checklist
    out["checklist.yaml"] = checklist.replace(S2, S2_KINDS).replace(S3, S3_KINDS).rstrip("\n") + "\n" + NEW_ITEMS
    eligibility = out["eligibility.yaml"]
    marker = "\n# 最强资格 = 达标"
    assert marker in eligibility and "grade_caps: []\n" in eligibility
    eligibility = eligibility.replace(marker, VETO.rstrip("\n") + "\n" + marker, 1)
    out["eligibility.yaml"] = eligibility.replace("grade_caps: []\n", CAPS)
    return out


def kinds_rubric():
    return load_rubric_texts(kinds_texts())
