"""Member-management rules checked against the 党员名册 (rubrics/members.yaml): training, dues, WeChat.

The kit only **flags** (000 §二(三)3: whether a lapse means 自行脱党 is the branch's decision, approved
above): every finding names the members concerned and the rule's source. Which 职务 sit on the
committee and which is the 书记, which 身份 is a 正式党员, and each rule's label, numbers and source
come from members.yaml (``rules``, by the ids below):

- ``member_training`` / ``committee_training`` 集中学习培训: members below ``sessions_at_least`` sessions
  a year, committee members (``committee: true`` roles) below theirs (000 §二(三)2; "不少于" includes
  the number: 12 passes, 11 fails);
- ``secretary_training`` 书记年度培训: a secretary who did not attend the upper committee's training
  (001 §二(二)), when ``upper_training_per_year`` is 1 (0: not checked);
- ``secretary_present``: exactly one 书记 in the roster;
- ``dues_lapse`` 党费: ``lapse_months`` months without dues, consecutive or in total as ``consecutive``
  says (a rubric setting: 000 says consecutive, 002 does not; 党章 第九条 "连续六个月不交纳党费": the
  sixth month counts). A blank month is "not due" (before joining, a month still to come) and
  interrupts a run. Given last year's roster, a run may start last year (上年9月至本年2月); a run that
  ended last year was last year's finding. Without it, the result says only this year was seen;
- ``wechat_share`` 党员微信群: share of members who joined, against ``joined_share_at_least`` (000 §二(五)3),
  exactly. The roster knows only members, not the 积极分子 the rule also counts, and not the monthly pushes.

Everything runs over whole columns; the only loops are over the twelve months and the rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..inputs.frames import MONTHS
from ..rubric import Rubric, format_percent
from .numbers import share_at_least
from .text import join_where

__all__ = ["MemberFindings", "check_members", "roster_counts"]

MONTH_LABELS = np.array([f"{m}月" for m in MONTHS], dtype=object)


class MemberFindings:
    """What :func:`check_members` found.

    ``members``  one row per roster row: branch_id, name, role, sessions, sessions_required,
                 sessions_short, secretary_untrained, unpaid_run (longest run of unpaid months reaching
                 into this year, last year's months included when known), unpaid_total, lapse (bool),
                 lapse_months (text such as "3月至8月" or "上年9月至本年2月"), flagged (bool)
    ``rules``    one row per branch and rule: branch_id, rule_id, label, passed (boolean, NA = cannot
                 tell), explanation (Chinese, naming the members), members (names, 、-joined), source
    """

    def __init__(self, members: pd.DataFrame, rules: pd.DataFrame):
        self.members = members
        self.rules = rules

    def for_branch(self, branch_id: str) -> MemberFindings:
        return MemberFindings(
            self.members[self.members["branch_id"] == branch_id].reset_index(drop=True),
            self.rules[self.rules["branch_id"] == branch_id].reset_index(drop=True),
        )

    @property
    def failed(self) -> pd.DataFrame:
        return self.rules[(self.rules["passed"] == False).fillna(False).to_numpy(dtype=bool)]


def _bools(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(true, known) for a boolean column with NA."""
    if column not in frame:
        n = len(frame)
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    values = frame[column].astype("boolean")
    return values.fillna(False).to_numpy(dtype=bool), values.notna().to_numpy(dtype=bool)


def _unpaid_runs(unpaid: np.ndarray, ending_from: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the longest run of consecutive True months that ends in month ``ending_from`` or later
    (it may start earlier), and the month (0-based) it ends in (-1: none)."""
    run = np.zeros(len(unpaid), dtype=np.int64)
    longest = np.zeros(len(unpaid), dtype=np.int64)
    end = np.full(len(unpaid), -1, dtype=np.int64)
    for month in range(unpaid.shape[1]):
        run = np.where(unpaid[:, month], run + 1, 0)
        if month < ending_from:
            continue
        longer = run > longest
        longest = np.where(longer, run, longest)
        end = np.where(longer, month, end)
    return longest, end


def _unpaid(roster: pd.DataFrame) -> np.ndarray:
    """Per row and month: dues recorded as not paid (否). A blank month is not due."""
    if not len(roster):
        return np.zeros((0, 12), dtype=bool)
    paid = np.column_stack([_bools(roster, f"dues_{m}")[0] for m in MONTHS])
    known = np.column_stack([_bools(roster, f"dues_{m}")[1] for m in MONTHS])
    return known & ~paid


def _member_keys(roster: pd.DataFrame) -> pd.Series:
    return roster["branch_id"].astype(str) + "\x1f" + roster["name"].astype(str).str.strip()


def _previous_unpaid(roster: pd.DataFrame, previous: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Last year's unpaid months of each member of ``roster`` (by branch and name) and whether the member
    was found there. A name that appears twice in a branch in either year cannot be matched."""
    n = len(roster)
    if previous is None or not len(previous) or not n:
        return np.zeros((n, 12), dtype=bool), np.zeros(n, dtype=bool)
    keys = _member_keys(roster)
    earlier = _member_keys(previous)
    unique = earlier[~earlier.duplicated(keep=False)]
    position = pd.Series(np.arange(len(previous)), index=earlier.to_numpy())[unique.to_numpy()]
    found = keys.isin(unique).to_numpy() & ~keys.duplicated(keep=False).to_numpy()
    rows = np.full(n, -1, dtype=np.int64)
    rows[found] = position.reindex(keys[found].to_numpy()).to_numpy()
    before = np.zeros((n, 12), dtype=bool)
    before[found] = _unpaid(previous)[rows[found]]
    return before, found


def _month_span(start: int, end: int) -> str:
    """A run of months over last year (0–11) and this year (12–23), e.g. 上年11月至本年4月."""
    if start >= 12:
        return f"{MONTH_LABELS[start - 12]}至{MONTH_LABELS[end - 12]}"
    return f"上年{MONTH_LABELS[start]}至本年{MONTH_LABELS[end - 12]}"


def roster_counts(roster: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Per branch of the roster: full and probationary members, committee size, secretaries (the
    statuses and roles as members.yaml marks them)."""
    spec = rubric.members
    status = roster["status"].astype(object).to_numpy()
    role = roster["role"].astype(object).to_numpy()
    frame = pd.DataFrame(
        {
            "branch_id": roster["branch_id"].astype(object).to_numpy(),
            "full_members": np.isin(status, spec.full_statuses),
            "probationary_members": np.isin(status, spec.probationary_statuses),
            "committee_size": np.isin(role, spec.committee_roles),
            "secretaries": role == spec.secretary_role,
            "members": np.ones(len(roster), dtype=bool),
        }
    )
    return frame.groupby("branch_id", sort=False).sum().astype("int64")


def check_members(rubric: Rubric, roster: pd.DataFrame, previous: pd.DataFrame | None = None) -> MemberFindings:
    """The members.yaml rules over a roster (one or many branches).

    ``previous``: last year's roster of the same branches, if known. With it a run of unpaid dues
    across the turn of the year counts (last year's months are matched by branch and name); without
    it the dues rule says it could see only this year.
    """
    spec = rubric.members
    rules = spec.rules
    dues = rules.dues_lapse
    wechat_rule = rules.wechat_share
    n = len(roster)
    names = roster["name"].astype(object).to_numpy()
    role = roster["role"].astype(object).to_numpy()
    branch = roster["branch_id"].astype(object).to_numpy()
    in_committee = np.isin(role, spec.committee_roles)
    is_secretary = role == spec.secretary_role
    secretary = spec.secretary_role

    sessions = roster["sessions"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    required = np.where(
        in_committee, rules.committee_training.sessions_at_least, rules.member_training.sessions_at_least
    )
    short = ~np.isnan(sessions) & (sessions < required)  # 不少于: the threshold itself passes

    # The roster says only whether the secretary attended (是/否): 1 a year is checkable, 0 is no rule.
    checks_training = rules.secretary_training.upper_training_per_year > 0
    trained, trained_known = _bools(roster, "upper_training")
    untrained = is_secretary & trained_known & ~trained & checks_training
    secretary_unknown = is_secretary & ~trained_known

    unpaid = _unpaid(roster)
    # Last year's months in front of this year's, for a run across the turn of the year (12月至次年1月).
    before, found_before = _previous_unpaid(roster, previous)
    # Runs that ended last year were last year's finding; only runs reaching into this year count.
    run, run_end = _unpaid_runs(np.concatenate([before, unpaid], axis=1), ending_from=12)
    total = unpaid.sum(axis=1)
    counted = run if dues.consecutive else total
    lapse = counted >= dues.lapse_months  # 连续六个月: the sixth month itself lapses
    start = run_end - run + 1
    if dues.consecutive:
        months_text = np.where(
            lapse,
            [_month_span(s, e) if e >= 0 else "" for s, e in zip(start, run_end)],
            "",
        ).astype(object)
    else:
        months_text = join_where([(unpaid[:, m], MONTH_LABELS[m]) for m in range(12)], "、", n)
        months_text = np.where(lapse, months_text, "").astype(object)

    members = pd.DataFrame(
        {
            "branch_id": branch,
            "name": names,
            "role": role,
            "sessions": roster["sessions"].to_numpy(),
            "sessions_required": required,
            "sessions_short": short,
            "secretary_untrained": untrained,
            "unpaid_run": run,
            "unpaid_total": total,
            "lapse": lapse,
            "lapse_months": months_text,
        }
    )
    members["flagged"] = short | untrained | lapse

    # --- per branch and rule
    branch_ids = pd.unique(branch)
    codes = pd.Categorical(branch, categories=branch_ids).codes
    size = len(branch_ids)

    def names_where(mask: np.ndarray, text: np.ndarray) -> np.ndarray:
        """Per branch: the texts of the masked members, 、-joined, in roster order."""
        out = np.full(size, "", dtype=object)
        rows = np.flatnonzero(mask)
        for code in np.unique(codes[rows]):  # only branches with findings
            out[code] = "、".join(text[rows[codes[rows] == code]])
        return out

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[mask], minlength=size) if size else np.zeros(0, dtype=np.int64)

    sessions_text = np.array(
        [f"{nm}（{r}，{'—' if np.isnan(s) else int(s)}次）" for nm, r, s in zip(names, role, sessions)], dtype=object
    )
    rows: list[pd.DataFrame] = []

    def add(rule_id: str, passed, explanation, flagged) -> None:
        result = pd.array(np.asarray(passed, dtype=object), dtype="boolean")
        rule = spec.rule(rule_id)
        rows.append(
            pd.DataFrame(
                {
                    "branch_id": branch_ids,
                    "rule_id": rule_id,
                    "label": rule.label,
                    "passed": result,
                    "explanation": explanation,
                    "members": flagged,
                    "source": rule.source,
                }
            )
        )

    for rule_id, group in (("member_training", ~in_committee), ("committee_training", in_committee)):
        threshold = spec.rule(rule_id).sessions_at_least
        hits = short & group
        listed = names_where(hits, sessions_text)
        who = "党员" if rule_id == "member_training" else f"{secretary}、支委"
        in_group = count(group)
        explanation = np.where(
            count(hits) > 0,
            np.char.add(
                np.char.add(f"{who}每年集中学习培训应不少于{threshold}次，以下", count(hits).astype(str)),
                "人不足：",
            ).astype(object)
            + listed,
            np.where(in_group > 0, f"{who}集中学习培训均达到{threshold}次以上。", f"名册中没有{who}。"),
        )
        passed = np.where(in_group > 0, count(hits) == 0, None)
        add(rule_id, passed, explanation.astype(object), listed)

    secretaries = count(is_secretary)
    if checks_training:
        per_year = rules.secretary_training.upper_training_per_year
        listed = names_where(untrained, names.astype(object))
        unknown_listed = names_where(secretary_unknown, names.astype(object))
        passed = np.where(
            secretaries == 0,
            None,
            np.where(count(untrained) > 0, False, np.where(count(secretary_unknown) > 0, None, True)),
        )
        explanation = np.where(
            count(untrained) > 0,
            secretary + listed + f"本年度未参加上级党委组织的培训（应每年参加{per_year}次）。",
            np.where(
                secretaries == 0,
                f"名册中没有{secretary}，无法检查{rules.secretary_training.label}。",
                np.where(
                    count(secretary_unknown) > 0,
                    secretary + unknown_listed + "未填写是否参加上级培训。",
                    f"{secretary}已参加上级党委组织的培训。",
                ),
            ),
        )
        add("secretary_training", passed, explanation.astype(object), listed)

    add(
        "secretary_present",
        secretaries == 1,
        np.where(
            secretaries == 1,
            f"名册中有{secretary}1名。",
            np.where(
                secretaries == 0,
                f"名册中没有{secretary}（职务为“{secretary}”的党员），应设{secretary}1名。",
                np.char.add("名册中有", secretaries.astype(str)) + f"名{secretary}，应只设1名。",
            ),
        ).astype(object),
        np.full(size, "", dtype=object),
    )

    run_text = np.array([f"{nm}（{mt}，{c}个月）" for nm, mt, c in zip(names, months_text, counted)], dtype=object)
    listed = names_where(lapse, run_text)
    kind = "连续" if dues.consecutive else "本年度累计"
    explanation = np.where(
        count(lapse) > 0,
        f"{kind}{dues.lapse_months}个月以上未交纳党费："
        + listed
        + "。按规定无正当理由的按自行脱党处理，由支部研究决定（本工具只提示）。",
        f"没有党员{kind}{dues.lapse_months}个月未交纳党费。",
    ).astype(object)
    if dues.consecutive:
        # Say what the run could not see: last year's months, for everyone or for members not found there.
        if previous is None or not len(previous):
            explanation = explanation + "（只有本年度的党费记录：跨年度的连续未交纳，如上年12月至本年1月，无法检查。）"
        else:
            unseen = ~found_before & unpaid[:, 0] & ~lapse
            unseen_names = names_where(unseen, names.astype(object))
            explanation = explanation + np.where(
                count(unseen) > 0,
                "（已结合上年度名册检查跨年度的连续未交纳；上年度名册中找不到、本年1月未交纳的党员只按本年度检查："
                + unseen_names
                + "。）",
                "（已结合上年度名册检查跨年度的连续未交纳。）",
            )
    add("dues_lapse", count(lapse) == 0, explanation.astype(object), listed)

    joined, joined_known = _bools(roster, "wechat")
    answered = count(joined_known)
    in_group = count(joined)
    total_members = count(np.ones(n, dtype=bool))
    share = wechat_rule.joined_share_at_least
    ok = np.zeros(size, dtype=bool)
    has_data = answered > 0
    ok[has_data] = share_at_least(in_group[has_data], total_members[has_data], share, True)
    not_joined = names_where(joined_known & ~joined, names.astype(object))
    explanation = np.where(
        has_data,
        np.char.add(
            np.char.add(np.char.add("名册中党员", total_members.astype(str)), "人，已入群"), in_group.astype(str)
        ).astype(object)
        + np.where(ok, f"人，达到{format_percent(share)}以上。", f"人，达不到{format_percent(share)}以上；未入群：")
        + np.where(ok, "", not_joined),
        "名册未填写“加入微信群”，无法检查入群比例。",
    )
    add("wechat_share", np.where(has_data, ok, None), explanation.astype(object), not_joined)

    rules = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["branch_id", "rule_id", "label", "passed", "explanation", "members", "source"])
    )
    return MemberFindings(members, rules)
