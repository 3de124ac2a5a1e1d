"""The street over the years, for the 总览 page and its Excel export.

Numbers only (no widgets, no files): each year's results with the branches' workflow statuses, and
what the page shows of them — the shares of 达标 and 最强 against the yearly targets of 001 §一
(exact fractions of all branches, 全街道), the workflow funnel, stars, channel averages, the 软弱涣散
and vetoed branches, and the budget impact of the designations (001 §四, amounts from
rubrics/targets.yaml).

.. code-block:: python

    street = load_street(store, rubric)          # every year the database holds, as decided (all its streets)
    names = street_names(street)                 # the 所属街道 found: [] when no branch has one
    east = for_street(street, "东城街道")          # the same, only that street's branches
    view = street.years[2025]
    progress = target_progress(street)           # one TargetYear per year
    lines = budget_lines(view, rubric)           # one BudgetLine per benefit with a designation

Each year shows its results as they were decided: every branch scored with the rubric version stored with
its submissions (:mod:`assessment.analysis.decided`), whatever version is current now. ``rubric`` (the
street's, the current version) gives the frame the years are read in — the targets, the workflow, the
budget amounts; :func:`result_rubric` gives a year's decided version for what belongs to its results
(labels of rules, bands, the 软弱涣散 conditions), and each branch's own version names its row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import display
from .. import glossary as g
from ..inputs.frames import Inputs
from ..outputs.tables import results_table
from ..rubric import Rubric, format_percent
from ..rubric.model import Benefit
from ..scoring import Results, score
from .decided import VERSION_COLUMN, WHAT_IF, DecidedYear, decided_year, version_note, what_if_year

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "DECIDED",
    "DISTRICT_LABEL",
    "HONOURS",
    "NO_STREET",
    "NO_WORKFLOW",
    "PENDING",
    "STREET_LABEL",
    "BudgetLine",
    "Street",
    "TargetYear",
    "YearView",
    "activity_basis_note",
    "branch_activity_basis",
    "budget_lines",
    "budget_table",
    "channel_averages",
    "for_street",
    "funnel",
    "honours",
    "load_street",
    "met_text",
    "money_text",
    "overview_tables",
    "progress_frame",
    "result_rubric",
    "share_example",
    "star_counts",
    "status_labels",
    "street_from_inputs",
    "street_names",
    "street_table",
    "strongest_target_notes",
    "strongest_target_text",
    "target_notes",
    "target_progress",
    "target_table",
    "veto_list",
    "weak_list",
    "year_results_table",
]

# Without 所属街道 the data are one street; with it, the whole is the district and each street a part.
STREET_LABEL = "本街道"
DISTRICT_LABEL = "全区"
NO_STREET = "未填所属街道"  # branches without a street, when others have one
PENDING = "待定"
NO_WORKFLOW = "无流程记录"
DECIDED = "流程依据的考评结果"
HONOURS = "评先评优（可参评）"

# Which workflow states hold which designation comes from their markers in rubrics/workflow.yaml
# (``rubric.workflow.holding("strongest")``: ids of the states holding 最强, 市委评定 included). A branch
# designated 最强 holds the 达标 designation too, but its benefits are the 最强 ones (not cumulative: see
# rubrics/targets.yaml). A designation (workflow.yaml designation: true) stands in later years until its
# valid period (the committee term) ends or a state marked ``revokes`` withdraws it (001 §四(四)).


@dataclass(frozen=True)
class YearView:
    """One year of the street: the results, each branch's kind, and its workflow status (state id;
    None when the year's statuses are unknown, e.g. results read from a workbook)."""

    year: int
    results: Results
    kinds: pd.Series  # branch_id → 社区/村/机关/…
    statuses: pd.Series | None  # branch_id → workflow state id
    disputed: int = 0  # branches whose evaluators disagreed (reconciled by the rubric)
    streets: pd.Series | None = None  # branch_id → 所属街道 (None where blank); None: not known
    disputed_ids: frozenset[str] = frozenset()
    # branch_id → state id of a designation made in an earlier year and still valid at the end of
    # this one (None: not known, e.g. results read from a workbook)
    carried: pd.Series | None = None
    # version → rubric of the versions the year's results were decided with, the main one first
    # (results.branches["rubric_version"] names each branch's); empty: all scored with the street's rubric
    rubrics: dict[str, Rubric] = dataclasses.field(default_factory=dict)
    what_if: bool = False  # scored on purpose with another version than decided (not stored)
    # branch_id → the version it was decided with, where that one is not in the database (older results)
    substituted: dict[str, str] = dataclasses.field(default_factory=dict)
    # branch_id → the recorded result its current status rests on (the move's basis, “例外：…” when the
    # move went against it); branches whose status rests on no recorded result are absent
    bases: pd.Series | None = None
    # the branches that uploaded activity records on their 自评 page this year (not counted: the results
    # use the street's stored log); None: not from a database
    uploaded: frozenset[str] | None = None

    @property
    def branches(self) -> pd.DataFrame:
        return self.results.branches

    @property
    def total(self) -> int:
        return len(self.results.branches)

    def designated(self, states: frozenset[str], *, this_year_only: bool = False) -> np.ndarray | None:
        """Per branch (in results order): whether it holds a designation in ``states`` at the end of the
        year — by this year's status, or by an earlier year's designation still valid (unless
        ``this_year_only``: e.g. a one-off bonus is paid in the year of the designation). None without
        statuses."""
        if self.statuses is None:
            return None
        index = self.results.branches.index
        held = self.statuses.reindex(index).isin(states).to_numpy(dtype=bool, copy=True)
        if not this_year_only and self.carried is not None:
            held |= self.carried.reindex(index).isin(states).to_numpy(dtype=bool)
        return held

    @property
    def versions(self) -> pd.Series | None:
        """branch_id → the rubric version its result was scored with (None: not recorded)."""
        b = self.results.branches
        return b[VERSION_COLUMN] if VERSION_COLUMN in b.columns else None

    @property
    def version_list(self) -> list[str]:
        """The versions this year's branches were scored with, the main one first ([] when not recorded)."""
        versions = self.versions
        if versions is None:
            return []
        used = set(versions.dropna().astype(str))
        return [v for v in self.rubrics if v in used] + sorted(used - set(self.rubrics))

    @property
    def versions_differ(self) -> bool:
        return len(self.version_list) > 1

    def versions_text(self, default: str = "") -> str:
        """The year's rubric version(s) as a reader sees them: “2025.1”, or several with “各支部按评定时的版本”,
        or the what-if's version marked 假设评分."""
        listed = self.version_list or ([default] if default else [])
        if self.what_if:
            return f"{listed[0]}（{WHAT_IF}）" if listed else WHAT_IF
        if len(listed) > 1:
            return "、".join(listed) + "（各支部按评定时的版本）"
        return listed[0] if listed else ""

    def rubric_of(self, branch_id: str, default: Rubric) -> Rubric:
        """The rubric ``branch_id``'s result was scored with (``default`` when not recorded)."""
        versions = self.versions
        version = versions.get(branch_id) if versions is not None else None
        return self.rubrics.get(version, default) if version is not None else default

    def version_note(self, branch_id: str, current: str) -> str:
        """Which version ``branch_id``'s result was scored with, and why, for its detail (“” when not recorded)."""
        versions = self.versions
        if versions is None or branch_id not in versions.index:
            return ""
        return version_note(
            str(versions[branch_id]), current, what_if=self.what_if, decided=self.substituted.get(branch_id)
        )

    def street_of(self) -> pd.Series:
        """Each branch's street (results order): its 所属街道, NO_STREET where blank, or None for all
        when no branch of the year has one."""
        index = self.results.branches.index
        given = self.streets.reindex(index) if self.streets is not None else pd.Series(None, index=index)
        if given.isna().all():
            return pd.Series([None] * len(index), index=index, dtype=object)
        return pd.Series([NO_STREET if pd.isna(v) else v for v in given], index=index, dtype=object)


@dataclass(frozen=True)
class Street:
    rubric: Rubric
    years: dict[int, YearView]  # ascending
    label: str = STREET_LABEL
    source: str = ""

    @property
    def year_list(self) -> list[int]:
        return sorted(self.years)


def _kinds(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(frame["kind"].astype(object).to_numpy(), index=frame["branch_id"].astype(str).to_numpy())


def _streets(frame: pd.DataFrame) -> pd.Series:
    ids = frame["branch_id"].astype(str).to_numpy()
    if "street" not in frame:
        return pd.Series(None, index=ids, dtype=object)
    values = [None if pd.isna(v) else (str(v).strip() or None) for v in frame["street"].astype(object)]
    return pd.Series(values, index=ids, dtype=object)


def load_street(
    store: Store, rubric: Rubric, *, label: str | None = None, source: str = "", what_if: bool = False
) -> Street:
    """Every year the database holds, as decided: the current reconciled submissions, each branch scored
    with the rubric version stored with them, and the workflow statuses. ``rubric`` (normally the current
    version) is the frame: targets, workflow, budget. ``what_if``: instead score every year with ``rubric``
    — a labelled what-if, not what was decided. Labelled 全区 when the branches have a 所属街道, else
    本街道 (unless ``label`` is given)."""
    views: dict[int, YearView] = {}
    standing: dict[str, Any] = {}  # branch_id → its latest designation's status (of an earlier year)
    for year in sorted(store.records.years()):
        decided: DecidedYear = what_if_year(store, year, rubric) if what_if else decided_year(store, year)
        listed = store.workflow.statuses(year)
        statuses = pd.Series({branch_id: status.status for branch_id, _name, status in listed}, dtype=object)
        carried = _carried(standing, listed, year, rubric.workflow.revoking)
        disputed = frozenset(str(branch) for branch, found in decided.disagreements.items() if found)
        views[year] = YearView(
            year,
            decided.results,
            _kinds(decided.branches),
            statuses,
            len(disputed),
            _streets(decided.branches),
            disputed,
            carried,
            rubrics=dict(decided.rubrics),
            what_if=decided.what_if,
            substituted=dict(decided.substituted),
            bases=pd.Series(_bases(listed), dtype=object),
            uploaded=frozenset(store.self_assessments.with_uploads(year)),
        )
    return _labelled(Street(rubric, views, STREET_LABEL, source), label)


def result_rubric(view: YearView, rubric: Rubric) -> Rubric:
    """The rubric a year's results were decided with (its main version), for what belongs to the results
    (rule labels, bands, the 软弱涣散 conditions); ``rubric`` when not recorded."""
    return next(iter(view.rubrics.values()), rubric)


def _bases(listed) -> dict[str, str]:
    """branch_id → the result its current status rests on, marked 例外 where the move went against it."""
    return {branch_id: text for branch_id, _name, status in listed if (text := status.basis_text())}


def _carried(standing: dict[str, Any], listed, year: int, revoking: frozenset[str]) -> pd.Series:
    """Designations of earlier years (``standing``, updated here with this year's) that still hold at
    the end of ``year``: not revoked this year (a state in ``revoking``) and within their valid period
    (an unknown end counts)."""
    year_end = dt.date(year, 12, 31)
    carried = {}
    for branch_id, _name, status in listed:
        earlier = standing.get(branch_id)
        if status.status in revoking:
            standing.pop(branch_id, None)
            continue
        if earlier is not None and (earlier.valid_until is None or earlier.valid_until >= year_end):
            carried[branch_id] = earlier.status
        if status.designation:
            standing[branch_id] = status
    return pd.Series(carried, dtype=object)


def street_from_inputs(
    rubric: Rubric,
    inputs_by_year: dict[int, Inputs],
    statuses_by_year: dict[int, dict[str, str]] | None = None,
    *,
    label: str | None = None,
    source: str = "",
) -> Street:
    """A street from inputs in memory (a workbook, the demo); statuses optional, per year."""
    views = {}
    for year in sorted(inputs_by_year):
        inputs = inputs_by_year[year]
        given = (statuses_by_year or {}).get(year)
        statuses = pd.Series(given, dtype=object) if given is not None else None
        results = score(rubric, inputs, year=year)
        views[year] = YearView(year, results, _kinds(inputs.branches), statuses, streets=_streets(inputs.branches))
    return _labelled(Street(rubric, views, STREET_LABEL, source), label)


# ------------------------------------------------------------------ streets of a district
def _labelled(street: Street, label: str | None) -> Street:
    if label is None:
        label = DISTRICT_LABEL if street_names(street) else STREET_LABEL
    return dataclasses.replace(street, label=label)


ACTIVITY_BASIS_DATABASE = (
    "组织生活的判断（达标、软弱涣散、支部详情）按街道导入数据库的活动记录；"
    "支部在自评页上传的活动记录不计入，由考评人在考评页对照街道记录核对。"
)
ACTIVITY_BASIS_INPUTS = "组织生活的判断按所读数据（工作簿）中的活动记录。"
UPLOADS_LISTED = 10  # branch ids named in the note


def activity_basis_note(view: YearView, names: dict[str, str] | None = None) -> str:
    """Which log the year's 组织生活 verdicts used, and which branches uploaded records of their own."""
    if view.uploaded is None:
        return ACTIVITY_BASIS_INPUTS
    ids = sorted(view.uploaded & set(view.branches.index))
    if not ids:
        return ACTIVITY_BASIS_DATABASE + f"{view.year}年度没有支部在自评页上传活动记录。"
    names = names or {}
    shown = "、".join(f"{b} {names[b]}" if b in names else b for b in ids[:UPLOADS_LISTED])
    more = f"等{len(ids)}个" if len(ids) > UPLOADS_LISTED else ""
    return ACTIVITY_BASIS_DATABASE + f"{view.year}年度{len(ids)}个支部上传过：{shown}{more}。"


def branch_activity_basis(view: YearView, branch_id: str) -> str:
    """The same for one branch (the 支部详情)."""
    if view.uploaded is None:
        return "依据：所读数据中的活动记录。"
    if branch_id in view.uploaded:
        return (
            "依据：街道导入的活动记录。本支部另在自评页上传了活动记录，未计入，见考评页“活动记录：支部上传与街道记录”。"
        )
    return "依据：街道导入的活动记录（本支部没有在自评页上传活动记录）。"


def street_names(street: Street) -> list[str]:
    """The streets the branches belong to over all years, sorted (NO_STREET last); [] without any."""
    found: set[str] = set()
    for view in street.years.values():
        found.update(name for name in view.street_of() if not pd.isna(name))
    return sorted(found - {NO_STREET}) + ([NO_STREET] if NO_STREET in found else [])


def _subset_results(results, keep: np.ndarray):
    """``results`` with only the branches where ``keep`` (results order) is true."""
    ids = results.branches.index[keep]
    changes = {}
    for name in ("branches", "items", "dimensions", "vetoes", "activities", "structure"):
        frame = getattr(results, name, None)
        if frame is None:
            continue
        if "branch_id" in frame.columns:
            changes[name] = frame[frame["branch_id"].isin(ids)].reset_index(drop=True)
        else:
            changes[name] = frame[frame.index.isin(ids)]
    if dataclasses.is_dataclass(results):
        return dataclasses.replace(results, **changes)
    return type(results)(**{**vars(results), **changes})


def for_street(street: Street, name: str) -> Street:
    """Only the branches of street ``name`` (NO_STREET: those without one), in the years it has any;
    labelled with the street's name."""
    views = {}
    for year, view in street.years.items():
        keep = view.street_of().eq(name).to_numpy(dtype=bool)
        if not keep.any():
            continue
        ids = set(view.branches.index[keep])
        views[year] = dataclasses.replace(
            view,
            results=_subset_results(view.results, keep),
            disputed=len(view.disputed_ids & ids),
            disputed_ids=view.disputed_ids & ids,
            uploaded=view.uploaded & ids if view.uploaded is not None else None,
        )
    return Street(street.rubric, dict(sorted(views.items())), name, street.source)


def street_table(street: Street, year: int) -> pd.DataFrame:
    """Per street of ``street`` (a district) in ``year``: 达标 and 最强 against the year's target, and
    the whole district last (全区合计). Empty without streets."""
    columns = [
        "街道",
        "支部数",
        "达标",
        "达标目标是否达到",
        "已评定最强",
        "具备最强资格（达到标准）",
        "最强目标是否达到",
        g.WEAK,
    ]
    rows = []
    parts = [(name, for_street(street, name)) for name in street_names(street)]
    if not parts:
        return pd.DataFrame(rows, columns=columns)
    for name, part in [*parts, (f"{DISTRICT_LABEL}合计", street)]:
        found = [r for r in target_progress(part) if r.year == year]
        if not found:
            continue
        r = found[0]
        rows.append(
            {
                "街道": name,
                "支部数": r.total,
                "达标": _count_share(r.standardized, r.total),
                "达标目标是否达到": met_text(r.standardized_met),
                "已评定最强": _count_share(r.strongest_designated, r.total),
                "具备最强资格（达到标准）": _count_share(r.strongest_qualified, r.total),
                "最强目标是否达到": met_text(r.strongest_met),
                g.WEAK: r.weak,
            }
        )
    return pd.DataFrame(rows, columns=columns)


# ------------------------------------------------------------------ targets over the years
@dataclass(frozen=True)
class TargetYear:
    """One year against 001 §一. Shares are exact fractions of all branches (全街道)."""

    year: int
    total: int
    standardized: int
    standardized_target: Fraction | None
    strongest_qualified: int  # 最强资格 by the scoring (meets the standard)
    strongest_designated: int | None  # workflow status 已评定最强; None without statuses
    strongest_target: Fraction | None
    strongest_basis: str  # designated / meets_standard
    strongest_is_aim: bool
    weak: int
    weak_cleared: bool  # the target is 清零
    versions: str = ""  # the rubric version(s) the year's results were decided with, as a reader sees them

    @staticmethod
    def _share(count: int | None, total: int) -> Fraction | None:
        if count is None or not total:
            return None
        return Fraction(count, total)

    @property
    def standardized_share(self) -> Fraction | None:
        return self._share(self.standardized, self.total)

    @property
    def qualified_share(self) -> Fraction | None:
        return self._share(self.strongest_qualified, self.total)

    @property
    def designated_share(self) -> Fraction | None:
        return self._share(self.strongest_designated, self.total)

    @property
    def strongest_counted(self) -> int | None:
        """The 最强 count the target is about: branches meeting the standard, or those designated."""
        return self.strongest_qualified if self.strongest_basis == "meets_standard" else self.strongest_designated

    @property
    def standardized_met(self) -> bool | None:
        share = self.standardized_share
        if self.standardized_target is None or share is None:
            return None
        return share >= self.standardized_target  # 以上: the target itself counts

    @property
    def strongest_met(self) -> bool | None:
        share = self._share(self.strongest_counted, self.total)
        if self.strongest_target is None or share is None:
            return None
        return share >= self.strongest_target

    @property
    def weak_met(self) -> bool | None:
        return self.weak == 0 if self.weak_cleared else None


def target_progress(street: Street) -> list[TargetYear]:
    """Each year the street has data for, against that year's target (where 001 sets one)."""
    targets = {t.year: t for t in street.rubric.targets.targets}
    rows = []
    for year in street.year_list:
        view = street.years[year]
        b = view.branches
        target = targets.get(year)
        designated = view.designated(street.rubric.workflow.holding("strongest"))
        rows.append(
            TargetYear(
                year=year,
                total=view.total,
                standardized=int(b["standardized"].sum()),
                standardized_target=target.standardized_share if target else None,
                strongest_qualified=int(b["strongest"].sum()),
                strongest_designated=int(designated.sum()) if designated is not None else None,
                strongest_target=target.strongest_share if target else None,
                strongest_basis=target.strongest_basis if target else "designated",
                strongest_is_aim=bool(target and target.strongest_is_aim),
                weak=int(b["weak"].sum()),
                weak_cleared=bool(target and target.weak_cleared),
                versions=view.versions_text(street.rubric.version),
            )
        )
    return rows


def _count_share(count: int | None, total: int) -> str:
    if count is None:
        return NO_WORKFLOW
    return display.count_share(count, total)


def met_text(met: bool | None) -> str:
    return "—" if met is None else ("已达到" if met else "未达到")


def strongest_target_text(row: TargetYear) -> str:
    """E.g. “力争40%以上（评定为“最强党支部”）” — says whether the figure is an aim and what it counts."""
    if row.strongest_target is None:
        return "本年度无目标"
    aim = "力争" if row.strongest_is_aim else ""
    basis = "达到“最强党支部”标准" if row.strongest_basis == "meets_standard" else "评定为“最强党支部”"
    return f"{aim}{format_percent(row.strongest_target)}以上（{basis}）"


def _targets_of(rubric: Rubric, years) -> list:
    wanted = set(years)
    return sorted((t for t in rubric.targets.targets if t.year in wanted), key=lambda t: t.year)


def strongest_target_notes(rubric: Rubric, years) -> list[str]:
    """What the 最强 targets of ``years`` count (rubrics/targets.yaml ``strongest_basis``) and which are
    aims (``strongest_is_aim``), in plain words for the 总览 and its export."""
    notes = []
    for target in _targets_of(rubric, years):
        if target.strongest_share is not None and target.strongest_basis == "meets_standard":
            notes.append(f"{target.year}年的“最强”目标按达到“最强党支部”标准的支部计，不只计已评定的。")
    for target in _targets_of(rubric, years):
        if target.strongest_share is not None and target.strongest_is_aim:
            notes.append(
                f"{target.year}年“最强党支部”比例{format_percent(target.strongest_share)}以上是“力争”目标，不是硬性指标。"
            )
    return notes


def target_notes(rubric: Rubric, years) -> list[str]:
    """The notes rubrics/targets.yaml gives for the readers of the targets of ``years`` (``note``)."""
    return [target.note for target in _targets_of(rubric, years) if target.note]


def share_example(rubric: Rubric) -> str:
    """How a share meets a target, with the latest target's own figure, in words a leader reads:
    “如10个支部中9个达标，恰好是90%，算达到目标”; "" without targets."""
    if not rubric.targets.targets:
        return ""
    share = max(rubric.targets.targets, key=lambda t: t.year).standardized_share
    return f"如{share.denominator}个支部中{share.numerator}个达标，恰好是{format_percent(share)}，算达到目标"


def target_table(progress: list[TargetYear]) -> pd.DataFrame:
    """The targets over the years as a table with Chinese headers."""
    rows = []
    for r in progress:
        rows.append(
            {
                "年度": r.year,
                "支部数": r.total,
                "达标": _count_share(r.standardized, r.total),
                "达标目标": f"{format_percent(r.standardized_target)}以上"
                if r.standardized_target is not None
                else "本年度无目标",
                "达标目标是否达到": met_text(r.standardized_met),
                "已评定最强": _count_share(r.strongest_designated, r.total),
                "具备最强资格（达到标准）": _count_share(r.strongest_qualified, r.total),
                "最强目标": strongest_target_text(r),
                "最强目标是否达到": met_text(r.strongest_met),
                g.WEAK: r.weak,
                "软弱涣散目标": "动态清零" if r.weak_cleared else "—",
                "清零是否达到": met_text(r.weak_met),
                g.RUBRIC_VERSION: r.versions,
            }
        )
    return pd.DataFrame(rows)


def progress_frame(progress: list[TargetYear]) -> pd.DataFrame:
    """The same as floats (0–1) for the chart: year, shares, targets, is_aim, basis."""
    return pd.DataFrame(
        {
            "year": [r.year for r in progress],
            "standardized": [float(r.standardized_share) if r.total else np.nan for r in progress],
            "standardized_target": [
                float(r.standardized_target) if r.standardized_target is not None else np.nan for r in progress
            ],
            "qualified": [float(r.qualified_share) if r.total else np.nan for r in progress],
            "designated": [float(r.designated_share) if r.designated_share is not None else np.nan for r in progress],
            "strongest_target": [
                float(r.strongest_target) if r.strongest_target is not None else np.nan for r in progress
            ],
            "strongest_is_aim": [r.strongest_is_aim for r in progress],
            "strongest_basis": [r.strongest_basis for r in progress],
        }
    )


# ------------------------------------------------------------------ the workflow
def funnel(view: YearView, rubric: Rubric) -> pd.DataFrame | None:
    """How many branches are at each workflow state, in the order of rubrics/workflow.yaml; None
    without statuses. Columns: status (id), marker (what the state stands for: the designation it
    holds, ``revokes``, ``fails`` or ""), 状态, 支部数."""
    if view.statuses is None:
        return None
    status = view.statuses.reindex(view.branches.index).fillna(rubric.workflow.initial)
    counts = status.value_counts()
    states = rubric.workflow.states
    return pd.DataFrame(
        {
            "status": [s.id for s in states],
            "marker": [s.marker or "" for s in states],
            g.STATUS: [s.label for s in states],
            "支部数": [int(counts.get(s.id, 0)) for s in states],
        }
    )


def status_labels(view: YearView, rubric: Rubric) -> pd.Series:
    """Each branch's workflow status label (results order); “无流程记录” without statuses."""
    index = view.branches.index
    if view.statuses is None:
        return pd.Series(NO_WORKFLOW, index=index, dtype=object)
    labels = {s.id: s.label for s in rubric.workflow.states}
    status = view.statuses.reindex(index).fillna(rubric.workflow.initial)
    shown = status.map(lambda s: labels.get(s, s)).astype(object)
    if view.bases is not None:  # a status entered against the recorded result says so
        exception = view.bases.reindex(index).fillna("").astype(str).str.startswith("例外")
        shown = shown.where(~exception, shown + "（例外）")
    return shown


# ------------------------------------------------------------------ stars and channels
def star_counts(results: Results, rubric: Rubric) -> pd.DataFrame:
    """Branches per star level (five stars first), then those without stars (未完成). Columns:
    stars, 星级, 支部数."""
    stars = results.branches["stars"]
    bands = sorted(rubric.eligibility.stars.bands, key=lambda band: band.stars, reverse=True)
    known = pd.to_numeric(stars, errors="coerce")
    rows = [(band.stars, band.label, int((known == band.stars).sum())) for band in bands]
    rows.append((0, "无星级（未完成）", int(known.isna().sum())))
    return pd.DataFrame(rows, columns=["stars", g.STARS, "支部数"])


def channel_averages(results: Results, rubric: Rubric) -> pd.DataFrame:
    """Per channel of the 四评 and the composite: mean, lowest, highest over branches with a score."""
    b = results.branches
    rows = []
    for column, label in [(c.id, c.label) for c in rubric.channels.channels] + [("composite", g.COMPOSITE)]:
        values = pd.to_numeric(b[column], errors="coerce").astype("float64").dropna()
        rows.append(
            {
                "项目": label,
                "平均分": float(values.mean()) if len(values) else np.nan,
                "最低分": float(values.min()) if len(values) else np.nan,
                "最高分": float(values.max()) if len(values) else np.nan,
                "有得分的支部数": len(values),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ weak and vetoed branches
def weak_list(view: YearView, rubric: Rubric) -> pd.DataFrame:
    """The 软弱涣散 branches (001 §二(七)) with why, by composite (lowest first)."""
    b = view.branches
    weak = b[b["weak"].astype(bool)]
    status = status_labels(view, rubric).reindex(weak.index)
    frame = pd.DataFrame(
        {
            g.BRANCH_ID: weak.index.to_numpy(),
            g.BRANCH_NAME: weak["name"].to_numpy(dtype=object),
            g.COMPOSITE: weak["composite"].to_numpy(dtype="float64"),
            "原因": weak["weak_reasons"].to_numpy(dtype=object),
            "流程状态": status.to_numpy(dtype=object),
        }
    )
    order = np.argsort(np.nan_to_num(frame[g.COMPOSITE].to_numpy(), nan=-1.0), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def veto_list(results: Results, rubric: Rubric) -> pd.DataFrame:
    """Every veto that fired (or could not be judged), grouped by rule in the rubric's order."""
    v = results.vetoes
    passed = pd.array(v["passed"], dtype="boolean")
    fired = np.asarray((passed == False).fillna(False), dtype=bool)
    unknown = np.asarray(passed.isna(), dtype=bool)
    names = results.branches["name"]
    rows = []
    for number, rule in enumerate(rubric.veto_rules, start=1):
        of_rule = (v["rule_id"] == rule.id).to_numpy()
        for outcome, mask in (("否决", fired), (g.UNKNOWN, unknown)):
            for row in v.loc[of_rule & mask].itertuples():
                rows.append(
                    {
                        "序号": number,
                        "规则": rule.label,
                        g.BRANCH_ID: row.branch_id,
                        g.BRANCH_NAME: names.get(row.branch_id, ""),
                        "结果": outcome,
                        "说明": row.explanation,
                        "来源": rule.source,
                    }
                )
    columns = ["序号", "规则", g.BRANCH_ID, g.BRANCH_NAME, "结果", "说明", "来源"]
    return pd.DataFrame(rows, columns=columns)


# ------------------------------------------------------------------ budget (001 §四)
@dataclass(frozen=True)
class BudgetLine:
    """One benefit of 001 §四 for one year: who has the designation, and what it costs.

    ``per_branch`` and the totals are None (待定) where the rubric leaves the rate or the amount unset.
    ``qualified`` counts the branches the scoring finds eligible (as if all were designated).
    """

    benefit: Benefit
    rate: Fraction | None
    base_label: str
    base_amount: Fraction | None
    unit: str
    designated: int | None
    qualified: int | None  # None: not foreseeable from the results (a 市委 designation)

    @property
    def per_branch(self) -> Fraction | None:
        if self.rate is None or self.base_amount is None:
            return None
        return self.base_amount * self.rate

    @property
    def total(self) -> Fraction | None:
        if self.per_branch is None or self.designated is None:
            return None
        return self.per_branch * self.designated

    @property
    def qualified_total(self) -> Fraction | None:
        return None if self.per_branch is None or self.qualified is None else self.per_branch * self.qualified


def budget_lines(view: YearView, rubric: Rubric) -> list[BudgetLine]:
    """Each benefit with a designation (rubrics/targets.yaml), for ``view``'s year."""
    amounts = {a.id: a for a in rubric.targets.amounts}
    b = view.branches
    kinds = view.kinds.reindex(b.index).astype(object).to_numpy()
    strongest = b["strongest"].to_numpy(dtype=bool)
    standardized = b["standardized"].to_numpy(dtype=bool)
    holding = rubric.workflow.holding
    lines = []
    for benefit in rubric.targets.benefits:
        if benefit.designation is None:
            continue
        kind_ok = np.isin(kinds, list(benefit.applies_to)) if benefit.applies_to else np.ones(len(b), dtype=bool)
        # A one-off bonus (001 §四(二)) is paid in the year of the designation only; a funding uplift
        # (§四(三)) holds as long as the designation does.
        one_off = benefit.one_off
        held = view.designated(holding(benefit.designation), this_year_only=one_off)
        if benefit.designation == "city":
            eligible = None  # the 市委's choice: not foreseeable from the results
        elif benefit.designation == "strongest":
            eligible = strongest
        else:
            if held is not None:  # 最强 benefits replace these (targets.yaml)
                held = held & ~view.designated(holding("strongest"))
            eligible = standardized & ~strongest
        rate = benefit.share_of_team_pay if benefit.share_of_team_pay is not None else benefit.uplift
        amount = amounts.get(benefit.base) if benefit.base else None
        lines.append(
            BudgetLine(
                benefit=benefit,
                rate=rate,
                base_label=amount.label if amount else "",
                base_amount=amount.value if amount else None,
                unit=amount.unit if amount else "元",
                designated=int((held & kind_ok).sum()) if held is not None else None,
                qualified=int((eligible & kind_ok).sum()) if eligible is not None else None,
            )
        )
    return lines


def money_text(value: Fraction | None) -> str:
    """An amount as text with thousands separators (250,000; 6,000.50), or 待定."""
    if value is None:
        return PENDING
    cents = round(value * 100)
    return f"{cents // 100:,}" if cents % 100 == 0 else f"{cents / 100:,.2f}"


def _money(value: Fraction | None, text: bool) -> float | str:
    if text or value is None:
        return money_text(value)
    return round(float(value), 2)


def budget_table(lines: list[BudgetLine], *, text: bool = False) -> pd.DataFrame:
    """The budget lines with Chinese headers; money in 元 or 待定 — as numbers (2 decimals, for Excel)
    or, with ``text``, as text with thousands separators (for the page)."""
    rows = []
    for line in lines:
        benefit = line.benefit
        who = {"strongest": "已评定最强", "city": "市委评定最强"}.get(benefit.designation, "已达标（未评定最强）")
        if benefit.applies_to:
            who += f"的{'、'.join(benefit.applies_to)}支部"
        base = f"{line.base_label}：{money_text(line.base_amount)}" + ("" if line.base_amount is None else line.unit)
        rows.append(
            {
                "待遇": benefit.label,
                "适用": who,
                "比例": PENDING if line.rate is None else format_percent(line.rate),
                "基数": base,
                f"每个支部（{line.unit}）": _money(line.per_branch, text),
                "已评定支部数": NO_WORKFLOW if line.designated is None else line.designated,
                f"合计（{line.unit}）": _money(line.total, text),
                "按考评结果符合条件的支部数": "—" if line.qualified is None else line.qualified,
                f"如全部评定，合计（{line.unit}）": _money(line.qualified_total, text),
                "来源": benefit.source,
            }
        )
    return pd.DataFrame(rows)


def budget_settings(rubric: Rubric) -> pd.DataFrame:
    """The amounts the budget uses (rubrics/targets.yaml), marked where they are a choice."""
    rows = [
        {
            "设置": a.label,
            "数值": PENDING if a.value is None else float(a.value),
            "单位": a.unit,
            "是否为选择": g.yes_no(a.choice),
            "来源": a.source,
        }
        for a in rubric.targets.amounts
    ]
    return pd.DataFrame(rows, columns=["设置", "数值", "单位", "是否为选择", "来源"])


# ------------------------------------------------------------------ tables for export
def honours(view: YearView, rubric: Rubric) -> pd.Series | None:
    """评先评优 (rubrics/targets.yaml ``honours``, 001 §四(一)): per branch (results order), the Party
    honours it may be put forward for, by the designation it holds at the end of the year (this year's
    or an earlier one still valid). Without workflow statuses, 达标 by the results stands in for the
    standardized designation and no branch counts as designated 最强. None when the rubric has no levels."""
    spec = rubric.targets.honours
    if not spec.levels:
        return None
    b = view.branches
    strongest = view.designated(rubric.workflow.holding("strongest"))
    if strongest is None:
        strongest = np.zeros(len(b), dtype=bool)
        standardized = b["standardized"].to_numpy(dtype=bool)
    else:
        standardized = view.designated(rubric.workflow.holding("standardized"))
    held = {"standardized": standardized, "strongest": strongest}
    texts = []
    for position in range(len(b)):
        levels = [level.label for level in spec.levels if held[level.requires][position]]
        if not levels:
            texts.append(spec.none_label)
            continue
        text = "、".join(levels)
        if spec.priority and strongest[position]:
            text += f"（{spec.priority}）"
        texts.append(text)
    return pd.Series(texts, index=b.index, dtype=object)


def year_results_table(view: YearView, rubric: Rubric) -> pd.DataFrame:
    """The year's results (as the 结果 sheet of an export), with each branch's workflow status and the
    honours it may be put forward for (评先评优); its 评分标准版本 column names each branch's version."""
    table = results_table(view.results, result_rubric(view, rubric))
    at = table.columns.get_loc(g.STATUS) + 1
    table.insert(at, "流程状态", status_labels(view, rubric).to_numpy())
    if view.bases is not None:
        at += 1
        table.insert(at, DECIDED, view.bases.reindex(table[g.BRANCH_ID]).fillna("").to_numpy(dtype=object))
    may = honours(view, rubric)
    if may is not None:
        table.insert(at + 1, HONOURS, may.to_numpy())
    return table


def overview_tables(street: Street, year: int) -> dict[str, pd.DataFrame]:
    """Every table of the 总览 for ``year``, in the order of the page (sheet name → table)."""
    view = street.years[year]
    rubric = street.rubric
    decided = result_rubric(view, rubric)
    progress = target_progress(street)
    flow = funnel(view, rubric)
    tables = {
        "年度目标": target_table(progress),
        **({"各街道": street_table(street, year)} if len(street_names(street)) > 1 else {}),
        "考评流程": flow.drop(columns=["status", "marker"])
        if flow is not None
        else pd.DataFrame({g.STATUS: [NO_WORKFLOW]}),
        "星级分布": star_counts(view.results, decided).drop(columns=["stars"]),
        "四评平均分": channel_averages(view.results, decided),
        g.WEAK: weak_list(view, rubric),
        "否决情况": veto_list(view.results, decided),
        "待遇保障测算": budget_table(budget_lines(view, rubric)),
        "测算设置": budget_settings(rubric),
        "各支部结果": year_results_table(view, rubric),
    }
    return tables
