"""Synthetic inputs: a realistic demo 街道 and fast bulk data for benchmarks.

:func:`generate_demo` builds one street of about 60 branches whose data tell a story:
a latent *quality* per branch (strong / good / fair / weak) drives every input, so the
street shows a realistic spread (a handful eligible for 最强, many 达标, some 软弱涣散),
and a fixed set of edge cases is planted on purpose: exactly 90% 优秀 (18 of 20) and just
below, verified 不满意, departments reporting non-compliance, a branch with 7+ full
members and no committee, even committees, overdue 换届, meetings below quorum, entries
without a record, entries dated in the previous year, and 2–3 incomplete branches.
The same seed always gives identical frames.

It returns :class:`assessment.inputs.frames.Inputs` with the dtypes documented there.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from ..inputs.frames import (
    ACTIVITY_COLUMNS,
    BRANCH_COLUMNS,
    ROSTER_DTYPES,
    SOCIAL_COLUMNS,
    Inputs,
    member_columns,
    public_columns,
)
from ..rubric import Rubric

__all__ = ["DEMO_DEPARTMENTS", "DEMO_STREETS", "generate_demo", "generate_demo_years"]

# ----------------------------------------------------------------- vocabulary
KINDS = ("社区", "村", "机关", "企业", "学校")
KIND_SHARES = (0.30, 0.25, 0.15, 0.18, 0.12)
# The demo's branches belong to two streets (alternating in register order), so the 总览 has a
# district view to sum; the draw of everything else does not depend on them.
DEMO_STREETS = ("东城街道", "西城街道")

_NAME_BASES = {
    "社区": [
        "幸福社区",
        "和平社区",
        "阳光社区",
        "新华社区",
        "东风社区",
        "建设社区",
        "友谊社区",
        "光明社区",
        "团结社区",
        "春晖社区",
        "锦绣社区",
        "翠园社区",
        "滨河社区",
        "桂花社区",
        "南湖社区",
        "文昌社区",
    ],
    "村": [
        "城南村",
        "城北村",
        "李家村",
        "王庄村",
        "河西村",
        "东湖村",
        "柳树村",
        "三里桥村",
        "石桥村",
        "马家村",
        "清水村",
        "杏花村",
        "前进村",
        "红星村",
        "大坝村",
        "西岭村",
    ],
    "机关": ["街道机关", "街道综合行政执法队", "街道社区卫生服务中心", "街道便民服务中心", "街道社会事务办"],
    "企业": [
        "华兴科技有限公司",
        "恒达物流有限公司",
        "鑫源建材有限公司",
        "瑞丰食品有限公司",
        "新城物业服务有限公司",
        "宏远建筑工程有限公司",
        "金桥商贸有限公司",
        "绿源环保科技有限公司",
        "天成机械制造有限公司",
        "众联电子有限公司",
        "安顺运输有限公司",
        "博雅文化传媒有限公司",
    ],
    "学校": ["实验小学", "城南小学", "第二中学", "第五中学", "阳光幼儿园", "育才小学", "职业技术学校", "新华小学"],
}
_ORDINALS = "一二三四五六七八九十"

DEMO_DEPARTMENTS = {
    "all": ["街道综治办", "街道纪工委", "街道信访办", "街道应急管理办", "派出所", "街道财政所"],
    "社区": ["社区居委会", "街道民政办", "物业管理办"],
    "村": ["村民委员会", "街道农业综合服务站", "自然资源所"],
    "机关": ["街道党政办", "街道组织办"],
    "企业": ["市场监管所", "税务分局", "人社服务中心"],
    "学校": ["区教育局", "学校家长委员会"],
}
NONCOMPLIANT_OPINIONS = [
    "党费收缴台账不完整，部分月份无收缴记录，不符合创建标准。",
    "群众反映党员活动室长期闭门，未按规定开放，不符合创建标准。",
    "安全生产检查发现隐患整改不到位，支部未发挥应有作用。",
    "信访事项办理不及时，群众反复投诉，不符合创建标准。",
    "环境卫生整治任务未按期完成，党员带头作用不明显。",
]
_COMPLIANT_OPINIONS = ["符合创建标准。", "未发现问题。", "配合工作积极，符合要求。", "无不良反映。"]

# Default activity labels by rule id (used only if the rubric lacks the rule).
_ACTIVITY_DEFAULTS = {
    "committee_meeting": "支委会",
    "general_meeting": "支部党员大会",
    "group_meeting": "党小组会",
    "party_lecture": "党课",
    "life_meeting": "组织生活会",
    "theme_day": "主题党日",
    "member_review": "民主评议党员",
    "heart_talk": "谈心谈话",
}

_TIERS = ("strong", "good", "fair", "weak")
_Q_RANGE = {"strong": (0.93, 0.985), "good": (0.80, 0.90), "fair": (0.66, 0.80), "weak": (0.35, 0.55)}


# ------------------------------------------------------------ frame helpers
def _typed(data: dict, dtypes: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(data)
    for column, dtype in dtypes.items():
        if dtype == "float":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        elif dtype == "datetime64[ns]":
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        else:
            frame[column] = frame[column].astype(dtype)
    return frame[list(dtypes)]


def _branches_dtypes() -> dict[str, str]:
    return {
        "branch_id": "str",
        "name": "str",
        "full_members": "Int64",
        "probationary_members": "Int64",
        "committee_size": "Int64",
        "last_election": "datetime64[ns]",
        "kind": "str",
        "party_groups": "Int64",
        "street": "str",
    }


def _org_dtypes(rubric: Rubric) -> dict[str, str]:
    dtypes = {"branch_id": "str", "annual_review_grade": "str"}
    for item in rubric.items:
        dtypes[item.id] = "str" if item.kind == "level" else "float"
    return dtypes


def _member_dtypes(rubric: Rubric) -> dict[str, str]:
    return {c: ("str" if c == "branch_id" else "Int64") for c in member_columns(rubric)}


def _public_dtypes(rubric: Rubric) -> dict[str, str]:
    dtypes = {c: ("str" if c == "branch_id" else "Int64") for c in public_columns(rubric)}
    dtypes["unsatisfied_verified"] = "boolean"
    return dtypes


_SOCIAL_DTYPES = {"branch_id": "str", "department": "str", "compliant": "boolean", "opinion": "str"}
_ACTIVITY_DTYPES = {
    "branch_id": "str",
    "date": "datetime64[ns]",
    "type": "str",
    "expected": "Int64",
    "attended": "Int64",
    "has_record": "boolean",
}
assert list(_SOCIAL_DTYPES) == list(SOCIAL_COLUMNS)
assert list(_ACTIVITY_DTYPES) == list(ACTIVITY_COLUMNS)
assert list(_branches_dtypes()) == list(BRANCH_COLUMNS)


def levels_best_first(levels):
    """Tally levels from best to worst (by value)."""
    return sorted(levels, key=lambda lv: lv.value, reverse=True)


def activity_labels(rubric: Rubric) -> dict[str, str]:
    labels = dict(_ACTIVITY_DEFAULTS)
    labels.update({rule.id: rule.type_label for rule in rubric.activities.rules})
    return labels


def _quorum(rubric: Rubric) -> Fraction:
    for rule in rubric.activities.rules:
        if rule.quorum is not None:
            return Fraction(rule.quorum)
    return Fraction(1, 2)


# ------------------------------------------------------------------ the demo
@dataclass
class _Branch:
    index: int
    branch_id: str
    name: str
    kind: str
    tier: str
    quality: float
    full: int = 0
    probationary: int = 0
    committee: int = 0
    groups: int = 0
    last_election: pd.Timestamp | None = None
    flags: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    @property
    def members(self) -> int:
        return self.full + self.probationary


def _names(rng: np.random.Generator, kinds: list[str]) -> list[tuple[str, str, int]]:
    """Unique Chinese branch names ``(name, base, ordinal)``; a base used more than once gets 第一/第二… ."""
    bases: list[str] = []
    pools = {k: list(rng.permutation(v)) for k, v in _NAME_BASES.items()}
    used: dict[str, int] = {}
    for kind in kinds:
        pool = pools[kind]
        # Prefer fresh bases; once all are used, split the largest units (第一、第二…).
        fresh = [b for b in pool if b not in used]
        if fresh and not (kind == "机关" and "街道机关" in used and rng.random() < 0.5):
            base = fresh[0]
        else:
            base = pool[int(rng.integers(len(pool)))] if kind != "机关" else "街道机关"
        used[base] = used.get(base, 0) + 1
        bases.append(base)
    seen: dict[str, int] = {}
    names = []
    for base in bases:
        seen[base] = seen.get(base, 0) + 1
        if used[base] > 1:
            ordinal = seen[base]
            word = _ORDINALS[ordinal - 1] if ordinal <= 10 else str(ordinal)
            names.append((f"{base}第{word}党支部", base, ordinal))
        else:
            names.append((f"{base}党支部", base, 0))
    return names


def _pick(rng: np.random.Generator, candidates: list[_Branch], k: int, taken: set[int] | None = None) -> list[_Branch]:
    pool = [b for b in candidates if taken is None or b.index not in taken]
    k = min(k, len(pool))
    if k <= 0:
        return []
    chosen = rng.choice(len(pool), size=k, replace=False)
    picked = [pool[int(i)] for i in sorted(chosen)]
    if taken is not None:
        taken.update(b.index for b in picked)
    return picked


def _tier_counts(n: int) -> dict[str, int]:
    strong = max(2, round(0.20 * n))
    weak = max(2, round(0.12 * n))
    fair = max(2, round(0.22 * n))
    return {"strong": strong, "good": n - strong - weak - fair, "fair": fair, "weak": weak}


def _build_branches(rng: np.random.Generator, n: int, year: int) -> list[_Branch]:
    counts = np.floor(np.array(KIND_SHARES) * n).astype(int)
    for i in np.argsort(-(np.array(KIND_SHARES) * n - counts))[: n - counts.sum()]:
        counts[i] += 1
    kinds = [k for k, c in zip(KINDS, counts) for _ in range(c)]
    kinds = [kinds[i] for i in rng.permutation(n)]
    names = _names(rng, kinds)
    # Sort by kind then name so the ids read like a street's register (社区, 村, 机关, 企业, 学校).
    order = sorted(range(n), key=lambda i: (KINDS.index(kinds[i]), names[i][1], names[i][2]))
    tiers = [t for t, c in _tier_counts(n).items() for _ in range(c)]
    tiers = [tiers[i] for i in rng.permutation(n)]
    branches = []
    for index, i in enumerate(order):
        tier = tiers[index]
        lo, hi = _Q_RANGE[tier]
        branches.append(_Branch(index, f"JD{index + 1:03d}", names[i][0], kinds[i], tier, float(rng.uniform(lo, hi))))

    by_tier = {t: [b for b in branches if b.tier == t] for t in _TIERS}
    structural: set[int] = set()
    # A few small branches (3–6 full members, no committee): companies, schools, offices.
    small_kinds = [b for b in by_tier["good"] + by_tier["fair"] if b.kind in ("企业", "学校", "机关")]
    for b in _pick(rng, small_kinds, max(2, round(n / 20)), structural):
        b.flags.add("small")
    # One or two above 50 members: big villages or communities, doing well.
    big = [b for b in by_tier["strong"] + by_tier["good"] if b.kind in ("村", "社区")]
    for b in _pick(rng, big, 2 if n >= 40 else 1, structural):
        b.flags.add("large")
    # 7+ full members and no committee (a blocking structure problem).
    for b in _pick(rng, by_tier["fair"] + by_tier["good"], 1, structural):
        b.flags.add("no_committee")
    # Even committees (non-blocking).
    for b, size in zip(_pick(rng, by_tier["good"] + by_tier["fair"], 2, structural), (4, 6)):
        b.flags.add(f"even_committee_{size}")
    # Overdue 换届.
    for b in _pick(rng, by_tier["good"] + by_tier["fair"] + by_tier["weak"], max(3, round(n / 12))):
        b.flags.add("overdue")

    for b in branches:
        _size(rng, b, year)
    return branches


def _size(rng: np.random.Generator, b: _Branch, year: int) -> None:
    if "small" in b.flags:
        b.full = int(rng.integers(3, 7))
        b.probationary = int(rng.integers(0, 2))
    elif "large" in b.flags:
        b.full = int(rng.integers(50, 58))
        b.probationary = int(rng.integers(1, 4))
    elif "no_committee" in b.flags:
        b.full = int(rng.integers(7, 11))
        b.probationary = int(rng.integers(0, 2))
    else:
        lo, hi = {"社区": (14, 46), "村": (18, 48), "机关": (8, 28), "企业": (8, 32), "学校": (8, 30)}[b.kind]
        b.full = int(rng.integers(lo, hi))
        b.probationary = int(rng.integers(0, 4))
    if b.full < 7 or "no_committee" in b.flags:
        b.committee = 0
    elif any(f.startswith("even_committee_") for f in b.flags):
        b.committee = int(next(f for f in b.flags if f.startswith("even_committee_")).rsplit("_", 1)[1])
    else:
        b.committee = 3 if b.full < 15 else (5 if b.full < 40 else 7)
        if b.full >= 20 and rng.random() < 0.2:
            b.committee = 7 if b.committee == 5 else 5
    b.groups = 0 if b.members < 24 else int(min(5, max(2, b.members // 11)))
    if b.committee == 0:
        b.last_election = None if "no_committee" not in b.flags else pd.Timestamp(year - 4, 5, 20)
        return
    term = 5 if b.kind in ("村", "社区") else 3
    if "overdue" in b.flags:
        # Due on or before 31 December of the assessment year.
        start = pd.Timestamp(year - term - 1, 1, 1)
        days = int(rng.integers(0, 540))
    elif b.kind in ("村", "社区"):
        start = pd.Timestamp(year - 4, 3, 1)  # the 2021-style general 换届 of villages and communities
        days = int(rng.integers(0, 300))
    else:
        start = pd.Timestamp(year - term + 1, 2, 1)
        days = int(rng.integers(0, 600))
    b.last_election = start + pd.Timedelta(days=days)


def _assign_specials(rng: np.random.Generator, branches: list[_Branch], n: int) -> None:
    by_tier = {t: [b for b in branches if b.tier == t] for t in _TIERS}
    clean_strong = [b for b in by_tier["strong"] if not b.flags]
    taken: set[int] = set()
    # Member review: exactly 90% (needs participants that are a multiple of 10), and just below.
    exact = [b for b in clean_strong if b.members >= 12]
    for b in _pick(rng, exact, max(2, round(n / 20)), taken):
        b.flags.add("excellent_exact_90")
    for b in _pick(rng, clean_strong, 1, taken) + _pick(rng, by_tier["good"], 1, taken):
        b.flags.add("excellent_just_below")
    # Verified 不满意 (2–3), departments reporting non-compliance (3).
    verified = _pick(rng, clean_strong, 1, taken) + _pick(rng, by_tier["good"], max(1, round(n / 30)), taken)
    for b in verified:
        b.flags.add("unsatisfied_verified")
    noncompliant = (
        _pick(rng, clean_strong, 1, taken)
        + _pick(rng, by_tier["good"], 1, taken)
        + _pick(rng, by_tier["weak"], 1, taken)
    )
    for b in noncompliant:
        b.flags.add("department_noncompliant")
    # An otherwise strong branch whose annual review is only 良好.
    for b in _pick(rng, clean_strong, 1, taken):
        b.flags.add("grade_good_only")
    # Incomplete: no 社会评价 rows; a blank 组织评定 indicator; no 群众评判 row.
    for b, flag in zip(
        _pick(rng, by_tier["good"], 1, taken)
        + _pick(rng, by_tier["strong"], 1, taken)
        + _pick(rng, by_tier["fair"], 1, taken),
        ("missing_social", "blank_indicator", "missing_public"),
    ):
        b.flags.add(flag)
    # A weak branch with a key item scored 0.
    for b in _pick(rng, by_tier["weak"], 1):
        b.flags.add("key_item_zero")


# Activity shortcomings a fair or weak branch can have (each breaks one frequency rule).
_FAILURE_MENU = (
    "committee_gap",
    "theme_day_gap",
    "general_quarter_gap",
    "general_below_quorum",
    "lectures_three",
    "no_life_meeting",
    "theme_day_no_record",
    "group_gap",
)


def _plan_failures(rng: np.random.Generator, branches: list[_Branch]) -> None:
    fair = [b for b in branches if b.tier == "fair"]
    weak = [b for b in branches if b.tier == "weak"]
    # Guarantee the rarer shapes once each: below quorum, no record, a prior-year entry hiding a gap.
    forced = ("general_below_quorum", "theme_day_no_record", "theme_day_gap_prior_year")
    for b, failure in zip(fair, forced):
        b.failures.append(failure)
    for b in fair[len(forced) :]:
        k = int(rng.integers(1, 3))
        b.failures.extend(str(f) for f in rng.choice(_FAILURE_MENU, size=k, replace=False))
    for b in weak:
        k = int(rng.integers(3, 6))
        b.failures.extend(str(f) for f in rng.choice(_FAILURE_MENU, size=k, replace=False))
    # A second below-quorum meeting somewhere weak.
    if weak and "general_below_quorum" not in weak[0].failures:
        weak[0].failures.append("general_below_quorum")
    for b in branches:
        if b.groups == 0 and "group_gap" in b.failures:
            b.failures.remove("group_gap")
            b.failures.append("committee_gap" if "committee_gap" not in b.failures else "lectures_three")


def _grade(rng: np.random.Generator, b: _Branch, grades: tuple[str, ...]) -> str:
    top = grades[0]
    second = grades[min(1, len(grades) - 1)]
    lower = list(grades[2:]) or [grades[-1]]
    if "grade_good_only" in b.flags:
        return second
    if b.tier == "strong":
        return top
    if b.tier == "good":
        return top if rng.random() < 0.6 else second
    if b.tier == "fair":
        r = rng.random()
        return top if r < 0.15 else (second if r < 0.75 else lower[0])
    return str(rng.choice(lower))


def _item_value(rng: np.random.Generator, item, f: float):
    """An indicator value for score fraction ``f`` (0..1), respecting the item's kind and bounds."""
    maximum = float(item.max)
    if item.kind == "points":
        return float(np.clip(round(f * maximum * 2) / 2, 0, maximum))
    if item.kind == "level":
        levels = sorted(item.levels, key=lambda lv: lv.points, reverse=True)
        position = min(len(levels) - 1, int((1 - f) * len(levels)))
        return levels[position].label
    if item.kind == "count_shortfall":
        target = float(item.target)
        return float(max(0, round(target + (f - 0.85) * target * 1.4)))
    if item.kind == "deduction":
        return float(max(0, round((1 - f) * (maximum / float(item.per)) * 1.3)))
    if item.kind == "rate_steps":
        return float(np.clip(round(55 + 45 * f + rng.normal(0, 2), 1), 0, 100))
    raise ValueError(item.kind)


def _org_row(rng: np.random.Generator, rubric: Rubric, b: _Branch, grades) -> dict:
    row: dict = {"branch_id": b.branch_id, "annual_review_grade": _grade(rng, b, grades)}
    activity_trouble = len(b.failures)
    for item in rubric.items:
        f = float(np.clip(b.quality + rng.normal(0, 0.04 if b.tier == "strong" else 0.06), 0, 1))
        if item.id == "s1" and ({"small", "large"} & b.flags):
            f = min(f, 0.8)
        if item.id == "s2" and ("no_committee" in b.flags or any(x.startswith("even_") for x in b.flags)):
            f = min(f, 0.4)
        if item.id == "s3" and "overdue" in b.flags:
            f = min(f, 0.3)
        if item.id in ("y1", "y2", "y3") and activity_trouble:
            f = min(f, 0.75 - 0.08 * activity_trouble)
        row[item.id] = _item_value(rng, item, max(f, 0.0))
    if "key_item_zero" in b.flags:
        keys = [i for i in rubric.items if i.key and i.kind == "points"]
        if keys:
            row[keys[-1].id] = 0.0
    if "blank_indicator" in b.flags:
        points = [i for i in rubric.base_items if i.kind == "points"]
        row[points[int(rng.integers(len(points)))].id] = np.nan
    return row


def _member_row(rng: np.random.Generator, rubric: Rubric, b: _Branch) -> dict:
    levels = levels_best_first(rubric.channel("member").method.levels)
    best, rest_levels = levels[0], levels[1:]
    members = b.members
    absent_max = {"strong": 2, "good": 3, "fair": 4, "weak": 6}[b.tier]
    absent = int(rng.integers(0, min(absent_max, max(members - 2, 0)) + 1))
    participants = members - absent
    blanks = 0
    if "excellent_exact_90" in b.flags:
        participants = members // 10 * 10
        excellent = participants * 9 // 10
    elif "excellent_just_below" in b.flags:
        excellent = math.ceil(participants * 9 / 10) - 1
    else:
        lo, hi = {"strong": (0.91, 1.0), "good": (0.72, 0.93), "fair": (0.60, 0.85), "weak": (0.35, 0.70)}[b.tier]
        excellent = round(participants * rng.uniform(lo, hi))
        if b.tier == "strong":
            excellent = max(excellent, math.ceil(participants * 9 / 10))
        if rng.random() < 0.15 and participants - excellent >= 2:
            blanks = int(rng.integers(1, 3))
    excellent = int(min(excellent, participants))
    rest = participants - excellent - blanks
    weights = np.array([0.85, 0.12, 0.03] if b.tier in ("strong", "good") else [0.60, 0.28, 0.12])
    weights = weights[: len(rest_levels)] if len(rest_levels) <= 3 else np.ones(len(rest_levels))
    split = rng.multinomial(rest, weights / weights.sum()) if rest_levels else []
    row = {"branch_id": b.branch_id, "participants": participants, best.id: excellent}
    for level, count in zip(rest_levels, split):
        row[level.id] = int(count)
    return row


def _public_row(rng: np.random.Generator, rubric: Rubric, b: _Branch) -> dict:
    levels = levels_best_first(rubric.channel("public").method.levels)
    responses = int(rng.integers(40, 130) if b.kind in ("村", "社区") else rng.integers(15, 60))
    worst = levels[-1]
    lo, hi = {"strong": (0.86, 0.97), "good": (0.75, 0.90), "fair": (0.62, 0.80), "weak": (0.40, 0.65)}[b.tier]
    top_share = rng.uniform(lo, hi)
    unsatisfied_share = {"strong": 0.01, "good": 0.03, "fair": 0.06, "weak": 0.14}[b.tier]
    unsatisfied = int(rng.binomial(responses, unsatisfied_share))
    verified = "unsatisfied_verified" in b.flags
    if verified:
        unsatisfied = max(unsatisfied, 1)
    top = min(round(responses * top_share), responses - unsatisfied)
    middle = responses - top - unsatisfied
    row = {"branch_id": b.branch_id}
    middle_levels = levels[1:-1]
    if middle_levels:
        split = rng.multinomial(middle, np.ones(len(middle_levels)) / len(middle_levels))
    row[levels[0].id] = top if len(levels) > 1 else responses
    for level, count in zip(middle_levels, split if middle_levels else []):
        row[level.id] = int(count)
    if len(levels) > 1:
        row[worst.id] = unsatisfied if middle_levels else unsatisfied + middle
    row["unsatisfied_verified"] = verified
    return row


def _social_rows(rng: np.random.Generator, b: _Branch) -> list[dict]:
    pool = DEMO_DEPARTMENTS[b.kind] + DEMO_DEPARTMENTS["all"]
    k = int(rng.integers(1, 5))
    departments = [pool[int(i)] for i in rng.choice(len(pool), size=k, replace=False)]
    rows = []
    bad = int(rng.integers(k)) if "department_noncompliant" in b.flags else -1
    for i, department in enumerate(departments):
        if i == bad:
            opinion = NONCOMPLIANT_OPINIONS[int(rng.integers(len(NONCOMPLIANT_OPINIONS)))]
            rows.append({"branch_id": b.branch_id, "department": department, "compliant": False, "opinion": opinion})
        else:
            opinion = _COMPLIANT_OPINIONS[int(rng.integers(len(_COMPLIANT_OPINIONS)))] if rng.random() < 0.5 else None
            rows.append({"branch_id": b.branch_id, "department": department, "compliant": True, "opinion": opinion})
    return rows


def _activity_rows(
    rng: np.random.Generator, b: _Branch, year: int, labels: dict[str, str], quorum: Fraction
) -> list[dict]:
    rows: list[dict] = []
    rate = 0.80 + 0.18 * b.quality  # typical attendance

    def day(month: int, y: int = year) -> pd.Timestamp:
        return pd.Timestamp(y, month, int(rng.integers(1, 29)))

    def attend(expected: int, floor_half: bool = False) -> int:
        if expected <= 0:
            return 0
        attended = int(rng.binomial(expected, rate))
        if floor_half:
            attended = max(attended, math.ceil(expected * quorum) if quorum else 0)
        return int(min(max(attended, 1), expected))

    def add(rule: str, when: pd.Timestamp, expected: int, attended: int | None = None, record: bool = True):
        rows.append(
            {
                "branch_id": b.branch_id,
                "date": when,
                "type": labels[rule],
                "expected": expected,
                "attended": attend(expected) if attended is None else attended,
                "has_record": record,
            }
        )

    failures = set(b.failures)
    members = b.members
    months = list(range(1, 13))

    def gap_month() -> int:
        return int(rng.integers(2, 13))

    # 支委会: monthly (only where there is a committee).
    if b.committee > 0:
        skip = gap_month() if "committee_gap" in failures else None
        for m in months:
            if m != skip:
                add("committee_meeting", day(m), b.committee)
    # 支部党员大会: quarterly, quorum ≥ half; sometimes an extra one.
    gap_q = int(rng.integers(1, 5)) if "general_quarter_gap" in failures else None
    low_q = int(rng.integers(1, 5)) if "general_below_quorum" in failures else None
    for q in range(1, 5):
        if q == gap_q:
            continue
        month = 3 * (q - 1) + int(rng.integers(1, 4))
        if q == low_q:
            limit = math.ceil(members * quorum) - 1  # strictly below quorum
            attended = int(rng.integers(max(1, limit // 2), max(limit, 1) + 1)) if limit >= 1 else 0
            add("general_meeting", day(month), members, attended)
        else:
            add("general_meeting", day(month), members, attend(members, floor_half=True))
        if rng.random() < 0.15:
            add("general_meeting", day(month), members, attend(members, floor_half=True))
    # 党小组会: each group monthly.
    if b.groups > 0:
        size = members // b.groups
        skip = gap_month() if "group_gap" in failures else None
        for g in range(b.groups):
            for m in months:
                if m != skip:
                    add("group_meeting", day(m), size)
    # 党课: at least 4 (3 when short).
    n_lectures = 3 if "lectures_three" in failures else int(rng.integers(4, 7))
    for m in sorted(rng.choice(months, size=n_lectures, replace=False)):
        add("party_lecture", day(int(m)), members)
    # A surplus lecture without a record (does not count, does not matter) in some good branches.
    if b.tier in ("strong", "good") and rng.random() < 0.12:
        add("party_lecture", day(int(rng.integers(1, 13))), members, record=False)
    # 主题党日: monthly.
    skip = gap_month() if {"theme_day_gap", "theme_day_gap_prior_year"} & failures else None
    unrecorded = gap_month() if "theme_day_no_record" in failures else None
    for m in months:
        if m == skip:
            continue
        add("theme_day", day(m), members, record=(m != unrecorded))
    if "theme_day_gap_prior_year" in failures:
        # Last year's meeting in the missing month: must not fill this year's gap.
        add("theme_day", day(skip, year - 1), members)
    # 组织生活会 and 民主评议党员: once a year (Jan–Feb, reviewing the previous year).
    life_month = int(rng.integers(1, 3))
    if "no_life_meeting" not in failures:
        add("life_meeting", day(life_month), members)
        if b.tier == "strong" and rng.random() < 0.4:
            add("life_meeting", day(int(rng.integers(7, 13))), members)
    add("member_review", day(life_month), members)
    # 谈心谈话: a few rounds a year.
    for _ in range(int(rng.integers(1, 4)) if b.tier != "weak" else 1):
        add("heart_talk", day(int(rng.integers(1, 13))), members, attend(members))
    # Previous December's meetings exported with this year's log (they must not count).
    if rng.random() < 0.12:
        add("theme_day", day(12, year - 1), members)
        if b.committee > 0:
            add("committee_meeting", day(12, year - 1), b.committee)
    return rows


# ------------------------------------------------------------------ the 党员名册
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅文斌志刚海燕玉兰春梅德胜晓东建华淑珍凤英"


def _member_names(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` distinct Chinese names (a surname and one or two given characters)."""
    names: list[str] = []
    while len(names) < count:
        surname = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
        given = "".join(_GIVEN[int(i)] for i in rng.integers(len(_GIVEN), size=int(rng.integers(1, 3))))
        if surname + given not in names:
            names.append(surname + given)
    return names


def _lapse_member(seed: int, branches: list[_Branch]) -> tuple[str, int]:
    """The one member (branch id, row) who pays no dues from September to February every year: six
    months across the turn of the year that no single year's roster shows (4 + 2)."""
    rng = np.random.default_rng([seed, 9])
    pool = [b for b in branches if b.members >= 10]
    b = pool[int(rng.integers(len(pool)))]
    return b.branch_id, int(rng.integers(b.committee + 1, b.members))


def _roster_rows(seed: int, branches: list[_Branch], year: int, rubric: Rubric) -> list[dict]:
    """One year's 党员名册 of the street: the same members every year (names drawn from ``seed`` only),
    roles matching the branch's committee, this year's study sessions, dues, WeChat and 谈心谈话.

    Planted on purpose: in weak branches a few members without a 谈心谈话 and a six-month dues lapse
    within the year; in one branch a member unpaid from September to February every year (a lapse that
    only last year's roster shows); here and there a member short of study sessions or outside the group.
    """
    members_spec = rubric.members
    full_status = members_spec.full_statuses[0]
    probationary = (members_spec.probationary_statuses or members_spec.full_statuses)[0]
    secretary = members_spec.secretary_role
    others = [r for r in members_spec.committee_roles if r != secretary]
    plain = next(r.label for r in members_spec.roles if not r.committee)
    lapse_branch, lapse_row = _lapse_member(seed, branches)
    names_rng = np.random.default_rng([seed, 5])
    rng = np.random.default_rng([seed, year, 3])
    rows: list[dict] = []
    for b in branches:
        names = _member_names(names_rng, b.members)
        joined_years = names_rng.integers(1975, year - 1, size=b.members)
        joined_days = names_rng.integers(0, 365, size=b.members)
        committee = max(b.committee, 1)  # a branch without a committee still has its 书记
        weak = b.tier == "weak"
        no_talk = (
            set(rng.choice(np.arange(1, b.members), size=min(3, b.members - 1), replace=False).tolist())
            if weak
            else set()
        )
        lapsed = int(rng.integers(committee, b.members)) if weak else -1
        for i, name in enumerate(names):
            in_committee = i < committee
            role = secretary if i == 0 else (others[0] if in_committee and others else plain)
            if in_committee and i > 1 and len(others) > 1:
                role = others[-1]
            is_full = i < b.full
            joined = (
                pd.Timestamp(int(joined_years[i]), 1, 1) + pd.Timedelta(days=int(joined_days[i]))
                if is_full
                else pd.Timestamp(year - 1, int(rng.integers(1, 13)), 1)
            )
            required = 24 if in_committee else 12
            sessions = required + int(rng.integers(0, 6))
            if b.tier in ("fair", "weak") and rng.random() < (0.08 if b.tier == "fair" else 0.2):
                sessions = required - int(rng.integers(1, 5))
            dues = [True] * 12
            if i == lapsed:
                start = int(rng.integers(1, 7))
                dues[start - 1 : start + 5] = [False] * 6
            if b.branch_id == lapse_branch and i == lapse_row:
                for month in (1, 2, 9, 10, 11, 12):
                    dues[month - 1] = False
            rows.append(
                {
                    "branch_id": b.branch_id,
                    "name": name,
                    "status": full_status if is_full else probationary,
                    "role": role,
                    "joined": joined,
                    "sessions": sessions,
                    "upper_training": (not weak or rng.random() < 0.5) if i == 0 else None,
                    **{f"dues_{m}": paid for m, paid in zip(range(1, 13), dues)},
                    "wechat": bool(rng.random() < (0.98 if b.tier in ("strong", "good") else 0.85)),
                    "talks": 0 if i in no_talk else int(rng.integers(1, 4)),
                }
            )
    return rows


def _planned_street(rng: np.random.Generator, n_branches: int, year: int) -> list[_Branch]:
    """The street's branches with their tiers, planted edge cases and planned activity failures."""
    branches = _build_branches(rng, n_branches, year)
    _assign_specials(rng, branches, n_branches)
    _plan_failures(rng, branches)
    return branches


def generate_demo(rubric: Rubric, *, seed: int = 2025, n_branches: int = 60, year: int = 2025) -> Inputs:
    """A realistic synthetic 街道 of ``n_branches`` branches for ``year`` (deterministic in ``seed``).

    Branch ids are ``JD001`` …; all six frames follow :mod:`assessment.inputs.frames`.
    """
    if n_branches < 20:
        raise ValueError("示例街道至少需要20个党支部，才能包含全部典型情形")
    rng = np.random.default_rng(seed)
    return _street_inputs(rng, rubric, _planned_street(rng, n_branches, year), year, seed)


def _street_inputs(rng: np.random.Generator, rubric: Rubric, branches: list[_Branch], year: int, seed: int) -> Inputs:
    """The seven frames of one year of the street, drawn from ``rng`` (the 党员名册 from ``seed`` and
    ``year``, so that it does not move any other draw)."""
    # Make sure the well-run branches have at least one surplus entry without a record and an
    # entry from last December (realistic noise that must not change their result).
    good = [b for b in branches if b.tier in ("strong", "good")]
    prior_year = [good[int(i)] for i in rng.choice(len(good), size=min(3, len(good)), replace=False)]

    grades = rubric.channels.annual_review_grades.levels
    labels = activity_labels(rubric)
    quorum = _quorum(rubric)
    branch_rows, org_rows, member_rows, public_rows, social_rows, activity_rows = [], [], [], [], [], []
    for b in branches:
        branch_rows.append(
            {
                "branch_id": b.branch_id,
                "name": b.name,
                "full_members": b.full,
                "probationary_members": b.probationary,
                "committee_size": b.committee,
                "last_election": b.last_election,
                "kind": b.kind,
                "party_groups": b.groups,
                "street": DEMO_STREETS[b.index % len(DEMO_STREETS)],
            }
        )
        org_rows.append(_org_row(rng, rubric, b, grades))
        member_rows.append(_member_row(rng, rubric, b))
        public = _public_row(rng, rubric, b)
        if "missing_public" not in b.flags:
            public_rows.append(public)
        social = _social_rows(rng, b)
        if "missing_social" not in b.flags:
            social_rows.extend(social)
        rows = _activity_rows(rng, b, year, labels, quorum)
        if b in prior_year:
            rows.append({**rows[-1], "date": pd.Timestamp(year - 1, 12, int(rng.integers(1, 29)))})
        activity_rows.extend(rows)
    lecture = labels["party_lecture"]
    if not any(not r["has_record"] and r["type"] == lecture for r in activity_rows):
        donor = next(r for r in activity_rows if r["type"] == lecture and r["branch_id"] == good[0].branch_id)
        activity_rows.append({**donor, "has_record": False})

    activities = _typed(_columns(activity_rows, _ACTIVITY_DTYPES), _ACTIVITY_DTYPES)
    activities = activities.sort_values(["branch_id", "date", "type"], kind="stable").reset_index(drop=True)
    return Inputs(
        branches=_typed(_columns(branch_rows, _branches_dtypes()), _branches_dtypes()),
        org=_typed(_columns(org_rows, _org_dtypes(rubric)), _org_dtypes(rubric)),
        member=_typed(_columns(member_rows, _member_dtypes(rubric)), _member_dtypes(rubric)),
        public=_typed(_columns(public_rows, _public_dtypes(rubric)), _public_dtypes(rubric)),
        social=_typed(_columns(social_rows, _SOCIAL_DTYPES), _SOCIAL_DTYPES),
        activities=activities,
        roster=_typed(_columns(_roster_rows(seed, branches, year, rubric), ROSTER_DTYPES), ROSTER_DTYPES),
    )


def _columns(rows: list[dict], dtypes: dict[str, str]) -> dict[str, list]:
    return {column: [row.get(column) for row in rows] for column in dtypes}


# ------------------------------------------------------------ the same street over the years
# Share of each tier's branches that had just moved up into it (from the tier below) in a year:
# looking back from the final year, those branches are one tier lower the year before.
IMPROVED_SHARE = {"strong": 0.25, "good": 0.3, "fair": 0.3, "weak": 0.0}
_LOWER = {"strong": "good", "good": "fair", "fair": "weak"}
# Gaps in the final year's evaluation that an earlier, finished year does not have.
_FINAL_YEAR_ONLY = {"missing_social", "blank_indicator", "missing_public"}
_VETO_FLAGS = {"excellent_just_below", "unsatisfied_verified", "department_noncompliant", "grade_good_only"}


def _earlier_branches(branches: list[_Branch], year: int, final: int, seed: int) -> list[_Branch]:
    """The same branches as they were in ``year`` (before ``final``).

    Going back one year at a time from ``final``, a fixed share of each tier (``IMPROVED_SHARE``)
    is one tier lower the year before; who is drawn from ``(seed, that year)`` only, so every view
    of the street back in time agrees. A branch that drops a tier gets activity shortcomings of its
    new tier; the final year's incomplete evaluations are complete in earlier years.
    """
    tiers = [b.tier for b in branches]
    for later in range(final, year, -1):
        rng = np.random.default_rng([seed, later, 1])
        before = list(tiers)
        for tier, share in IMPROVED_SHARE.items():
            members = [i for i, t in enumerate(tiers) if t == tier]
            k = round(share * len(members))
            if tier == "strong":
                # The newly strong are those 最强资格 is not vetoed for: 最强资格 rises with them.
                members = [i for i in members if not branches[i].flags & _VETO_FLAGS] or members
            if k and tier in _LOWER:
                for i in rng.choice(members, size=k, replace=False):
                    before[int(i)] = _LOWER[tier]
        tiers = before
    rng = np.random.default_rng([seed, year, 2])
    earlier = []
    for b, tier in zip(branches, tiers):
        quality, failures = b.quality, list(b.failures)
        if tier != b.tier:
            lo, hi = _Q_RANGE[b.tier]
            new_lo, new_hi = _Q_RANGE[tier]
            quality = new_lo + (b.quality - lo) / (hi - lo) * (new_hi - new_lo)
            if tier in ("fair", "weak"):
                low, high = (1, 3) if tier == "fair" else (3, 6)
                menu = [f for f in _FAILURE_MENU if b.groups > 0 or f != "group_gap"]
                failures = [str(f) for f in rng.choice(menu, size=int(rng.integers(low, high)), replace=False)]
        flags = set(b.flags) - _FINAL_YEAR_ONLY
        earlier.append(dataclasses.replace(b, tier=tier, quality=float(quality), flags=flags, failures=failures))
    return earlier


def generate_demo_years(
    rubric: Rubric, years: Iterable[int] = (2023, 2024, 2025), *, seed: int = 2025, n_branches: int = 60
) -> dict[int, Inputs]:
    """The demo street over several years: ``{year: Inputs}``, deterministic in ``seed``.

    The latest year is exactly :func:`generate_demo` for that year (data/demo/demo_street.xlsx).
    Earlier years have the same branches with the same master data (the database keeps one row per
    branch), some of them one or two tiers weaker, so that the shares of 达标 and 最强资格 rise
    over the years toward the targets of 001 §一; each year's evaluations and activity log are its own.
    """
    chosen = sorted({int(y) for y in years})
    if not chosen:
        raise ValueError("至少需要一个年度")
    if n_branches < 20:
        raise ValueError("示例街道至少需要20个党支部，才能包含全部典型情形")
    final = chosen[-1]
    out: dict[int, Inputs] = {}
    for year in chosen:
        if year == final:
            out[year] = generate_demo(rubric, seed=seed, n_branches=n_branches, year=final)
            continue
        branches = _planned_street(np.random.default_rng(seed), n_branches, final)
        earlier = _earlier_branches(branches, year, final, seed)
        out[year] = _street_inputs(np.random.default_rng([seed, year]), rubric, earlier, year, seed)
    return out
