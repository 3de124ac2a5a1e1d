"""The 权重分析 page's state and where its data come from.

:class:`WeightsState` is the page's one state object: the draft values of the adjustable settings, the
locked weights, and the year and street shown. :class:`Submissions` is the database's side: the current
submitted results (each branch's latest submitted revision per evaluator, reconciled by the rubric, as
the 总览 reads them: ``store.records.current_inputs``) within the signed-in account's reach — which years
and streets have any, and one year's and street's inputs. :func:`demo_street` is the demo workbook, used
only when the database holds no submission at all (the page then says so).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd
import traitlets

from ...analysis.overview import NO_STREET, STREET_LABEL
from ...demo.street import generate_demo
from ...inputs.frames import SHEET_NAMES, Inputs
from ...inputs.workbook import WorkbookError, read_workbook
from ...paths import demo_workbook as demo_workbook_path
from ...rubric import Rubric
from ...store import Store
from ...store.accounts import Identity
from ..components import PageState, app_logger

__all__ = [
    "ALL_STREETS",
    "DATABASE_SOURCE",
    "DEMO_NOTICE",
    "GENERATED_SOURCE",
    "NO_STREET",
    "Street",
    "Submissions",
    "WeightsState",
    "demo_street",
    "only_branches",
    "submitted_ids",
]

DATABASE_SOURCE = "数据：考评数据库（各支部当前提交的考评结果，多人考评已合并）"
DEMO_NOTICE = (
    "数据库中还没有提交的考评结果，以下为演示数据（{name}），不是实际考评结果。"
    "保存的新版本仍存入数据库，考评页面此后使用它。"
)
GENERATED_SOURCE = "数据：系统生成的演示街道"
ALL_STREETS = "全区（所有街道）"  # the street picker's value for every branch within reach


class WeightsState(PageState):
    """The draft: a value per adjustable setting (Fractions, ints, option strings) and the locked weights;
    the year and street whose submissions are shown (database only).

    ``error`` is a problem with the draft or a failure; ``notice`` a message about what the page shows
    (another version became current, a street that cannot be chosen); ``save_notice`` / ``save_error``
    belong to the 保存为新版本 section.
    """

    values = traitlets.Dict()
    locked = traitlets.Set()
    year = traitlets.Int(0)
    street = traitlets.Unicode("")
    notice = traitlets.Unicode("")
    save_notice = traitlets.Unicode("")
    save_error = traitlets.Unicode("")


@dataclass(frozen=True)
class Street:
    """One street's inputs for a year, where they came from, and a warning to show (if any)."""

    inputs: Inputs
    source: str
    warning: str = ""


def demo_street(rubric: Rubric, year: int) -> Street:
    """The demo workbook (data/demo/demo_street.xlsx, or $ASSESSMENT_DEMO_WORKBOOK), with the notice that
    these are demo data; when it is missing or unreadable, the demo street generated in memory."""
    path = demo_workbook_path()
    if not path.exists():
        return Street(generate_demo(rubric, year=year), GENERATED_SOURCE, DEMO_NOTICE.format(name="系统生成"))
    try:
        return Street(read_workbook(path, rubric), f"数据：演示数据 {path.name}", DEMO_NOTICE.format(name=path.name))
    except WorkbookError as failure:
        app_logger().error("weights: demo workbook %s unreadable:\n%s", path, failure)
        problems = getattr(failure, "problems", None) or [failure]
        return Street(
            generate_demo(rubric, year=year),
            GENERATED_SOURCE,
            DEMO_NOTICE.format(name="系统生成")
            + f"演示工作簿 {path.name} 无法读取（{problems[0]}），本页改用系统生成的演示街道。",
        )


def only_branches(inputs: Inputs, keep: pd.Series | list[str] | set[str]) -> Inputs:
    """``inputs`` with only the branches whose id is in ``keep`` (every sheet's rows)."""
    ids = set(map(str, keep))
    frames = {}
    for name in SHEET_NAMES:
        frame = getattr(inputs, name)
        frames[name] = frame[frame["branch_id"].astype(str).isin(ids)].reset_index(drop=True)
    return dataclasses.replace(inputs, **frames)


def _street_of(value) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


class Submissions:
    """The database's current submissions within ``who``'s reach (:meth:`Identity.sees`).

    ``any``: whether the database holds any submission at all (anyone's, any street); :meth:`years`:
    the years with a submission the account may see; :meth:`streets`: a year's street choices, as the
    picker offers them; :meth:`inputs`: what to score for a year and a choice. A street account's data
    are cut to its street as they are read: the rest never reaches the page.
    """

    def __init__(self, store: Store, who: Identity):
        self.store = store
        self.who = who
        found = store.records.submitted_streets()
        self.any = bool(found)
        # Whether branches carry a 所属街道 at all: without one the data are a single street.
        self.named = any(street is not None for streets in found.values() for street in streets)
        self._reach = {year: {s for s in streets if who.sees(s)} for year, streets in found.items()}
        self._reach = {year: streets for year, streets in self._reach.items() if streets}
        self._cache: dict[tuple[int, str], Inputs] = {}

    def years(self) -> list[int]:
        """Years with a submission within reach, ascending."""
        return sorted(self._reach)

    def streets(self, year: int) -> list[tuple[str, str]]:
        """The street picker's (label, value) for ``year``: a street account gets only its own street;
        a district account the whole (全区) and every street with a submission that year (branches
        without a 所属街道 as 未填所属街道); data without streets are one choice, 本街道."""
        streets = self._reach.get(year, set())
        if self.who.role.scope != "district":
            own = self.who.street or ""
            return [(own, own)] if own in streets else []
        if not self.named:
            return [(STREET_LABEL, ALL_STREETS)]
        named = sorted(s for s in streets if s is not None)
        choices = [(ALL_STREETS, ALL_STREETS)] + [(s, s) for s in named]
        if None in streets:
            choices.append((NO_STREET, NO_STREET))
        return choices

    def label(self, year: int, street: str) -> str:
        """How the title names a choice (本街道, 全区（所有街道）, 东城街道 …)."""
        return next((label for label, value in self.streets(year) if value == street), street)

    def inputs(self, year: int, street: str, rubric: Rubric) -> Inputs:
        """The branches of ``street`` (ALL_STREETS: all within reach) with their current activity logs and
        their current submissions of ``year``, reconciled with ``rubric``. A choice outside the account's
        reach gives no branch."""
        key = (year, rubric.version)
        if key not in self._cache:
            full, _disagreements = self.store.records.current_inputs(year, rubric)
            streets = full.branches.get("street", pd.Series(None, index=full.branches.index))
            seen = [self.who.sees(_street_of(s)) for s in streets]
            self._cache = {key: only_branches(full, full.branches["branch_id"][seen])}  # one year kept
        held = self._cache[key]
        if street == ALL_STREETS and self.who.role.scope == "district":
            return held
        wanted = None if street == NO_STREET else street
        streets = held.branches.get("street", pd.Series(None, index=held.branches.index))
        keep = [_street_of(s) == wanted for s in streets]
        return only_branches(held, held.branches["branch_id"][keep])


def submitted_ids(inputs: Inputs) -> set[str]:
    """Branches of ``inputs`` with a submitted evaluation (a row in any of the four channels' sheets)."""
    found: set[str] = set()
    for frame in (inputs.org, inputs.member, inputs.public, inputs.social):
        found.update(str(b) for b in frame["branch_id"].dropna())
    return found
