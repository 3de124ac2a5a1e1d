"""The 最强 veto rules (001 §三(四), and any ``item_flag`` rule): one small evaluator per rule type.

Each returns, per branch: passed (True / False / NA when its input is missing),
the observed value and threshold as text, and the Chinese explanation from the
rubric's templates. ``passed`` False means the rule fired (不得评定).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..rubric.model import (
    ChecklistItem,
    FlagAbsentRule,
    ItemFlagRule,
    MaxCountRule,
    MinLevelRule,
    MinShareRule,
    item_flag_texts,
)
from ..rubric.types import format_percent
from .numbers import percent_text, share_at_least
from .text import render


def _outcome(rule, passed, known, observed, threshold, fields, extra_fail=None, texts=None) -> dict:
    n = len(passed)
    fields = {"observed": observed, "threshold": threshold, **fields}
    pass_text, fail_text, missing_text = texts or (rule.pass_text, rule.fail_text, rule.missing_text)
    special = np.zeros(n, dtype=bool) if extra_fail is None else extra_fail[0]
    text = render(pass_text, n, mask=known & passed, **fields)
    failing = known & ~passed & ~special
    text[failing] = render(fail_text, n, mask=failing, **fields)[failing]
    if extra_fail is not None:
        text[special] = extra_fail[1]
    text[~known] = missing_text
    result = pd.array(np.where(known, passed, False), dtype="boolean")
    result[~known] = pd.NA
    return {
        "passed": result,
        "observed": np.where(known, np.asarray(observed, dtype=object), "—"),
        "threshold": threshold,
        "explanation": text,
    }


def min_level(rule: MinLevelRule, grades: tuple[str, ...], grade: pd.Series) -> dict:
    """The annual review grade must be ``at_least`` or better (levels are listed best first)."""
    rank = {label: i for i, label in enumerate(grades)}
    position = grade.map(rank).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(position)
    passed = position <= rank[rule.at_least]
    return _outcome(rule, passed, known, grade.astype(object).to_numpy(), rule.at_least, {})


def min_share(rule: MinShareRule, member: pd.DataFrame) -> dict:
    """优秀 ÷ 参评人数 ≥ threshold, exactly; a review nobody took part in fails with its own reason."""
    excellent = member[rule.numerator].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    participants = member[rule.denominator].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(excellent) & ~np.isnan(participants)
    nobody = known & (participants == 0)
    passed = np.zeros(len(member), dtype=bool)
    ok = known & ~nobody
    passed[ok] = share_at_least(excellent[ok], participants[ok], rule.threshold, rule.inclusive)
    fields = {
        "numerator": member[rule.numerator].astype(object).to_numpy(),
        "denominator": member[rule.denominator].astype(object).to_numpy(),
    }
    observed = percent_text(excellent, participants, rule.threshold)
    return _outcome(
        rule, passed, known, observed, format_percent(rule.threshold), fields, extra_fail=(nobody, rule.zero_text)
    )


def flag_absent(rule: FlagAbsentRule, flag: pd.Series, counted: pd.Series | None = None) -> dict:
    """Fires when the flag (不满意查证属实) is 是. With ``counted`` (the count of ``rule.only_if_counted``,
    e.g. 不满意), a blank flag where that count is 0 reads 否: nothing was there to verify."""
    flags = flag.astype("boolean")
    if counted is not None:
        nothing_to_verify = (counted.astype("Float64") == 0).fillna(False).to_numpy(dtype=bool)
        flags = flags.mask(flags.isna().to_numpy() & nothing_to_verify, False)
    known = flags.notna().to_numpy()
    raised = flags.fillna(False).to_numpy(dtype=bool)
    observed = np.where(raised, "是", "否")
    return _outcome(rule, ~raised, known, observed, "否", {})


def max_count(rule: MaxCountRule, counts: pd.DataFrame) -> dict:
    """At most ``max`` departments may report non-compliance; no opinions at all means unknown."""
    known = counts["opinions"].to_numpy() > 0
    bad = counts["noncompliant"].to_numpy()
    passed = bad <= rule.max
    fields = {"departments": counts["departments"].to_numpy(dtype=object)}
    return _outcome(rule, passed, known, bad.astype(str).astype(object), str(rule.max), fields)


def item_flag(rule: ItemFlagRule, item: ChecklistItem, flag: pd.Series) -> dict:
    """Fires where the evaluator recorded 是 on the ``flag`` item; not recorded means cannot tell. The
    texts are the rule's own, else made from the item's ``flag_label`` (never another rule's)."""
    known = flag.notna().to_numpy()
    raised = flag.fillna(False).to_numpy(dtype=bool)
    observed = np.where(raised, "是", "否")
    fields = {"item": f"{item.id} {item.label}"}
    return _outcome(rule, ~raised, known, observed, "否", fields, texts=item_flag_texts(rule, item))
