"""What the store hands out: frozen records, the user-facing status labels, and its error."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .schema import DRAFT, SUBMITTED, SUPERSEDED

if TYPE_CHECKING:
    from ..inputs.frames import Inputs
    from ..inputs.merge import Disagreement
    from ..rubric import Rubric

# The words users see for a record's status (the glossary does not have them yet).
STATUS_LABELS = {DRAFT: "草稿", SUBMITTED: "已提交", SUPERSEDED: "已被更正"}
# The words users see for an audit entry's action.
ACTION_LABELS = {
    "import": "导入",
    "submit": "提交",
    "correct": "更正",
    "draft_discard": "放弃草稿",
    "schema_upgrade": "升级数据库结构",
    "access_issue": "发放访问码",
    "access_revoke": "停用访问码",
    "workflow_move": "变更考评状态",
    "self_submit": "提交自评",
    "branch_upload": "支部上传",
    "rubric_save": "保存评分标准版本",
    "rubric_current": "切换当前评分标准",
    "rescore": "按指定版本重新评定",
}


class StoreError(Exception):
    """Something the caller asked for that the store refuses; the message is Chinese, for users."""


UNAVAILABLE = "数据库暂时无法连接，请稍后重试"


class StoreUnavailable(StoreError):
    """The database did not answer (down, unreachable, locked for too long): worth trying again later.

    ``str()`` is what a user may read (no address, no driver message); ``detail`` names the database and
    what its driver said, for the server log and the administrator's command line."""

    def __init__(self, detail: str):
        super().__init__(UNAVAILABLE)
        self.detail = detail


class DraftConflict(StoreError):
    """A draft written (or discarded) on the strength of an older look at it: another window of the same
    person saved, discarded or submitted it since. ``current`` is what is stored now (None: no draft any
    more), so that the page can say when it changed."""

    def __init__(self, current: Any):
        from ..localtime import local_time

        self.current = current
        if current is None:
            message = "此支部的草稿已在另一个窗口中提交或放弃：请刷新后再改，以免互相覆盖"
        else:
            message = (
                f"此支部的草稿已在另一个窗口中修改（{local_time(current.updated_at, seconds=True)}）："
                "请刷新后再改，以免互相覆盖"
            )
        super().__init__(message)


def new_draft_version() -> str:
    """A fresh version token for a draft at every save: random, not a counter, so that a draft deleted
    (submitted, discarded) and begun again never carries a version some window saw before."""
    return uuid.uuid4().hex


class AnyVersion:
    """``expected=ANY_VERSION``: write whatever is stored (the command line, imports, tests)."""

    def __repr__(self) -> str:
        return "ANY_VERSION"


ANY_VERSION = AnyVersion()


@dataclass(frozen=True)
class Revision:
    """One submitted evaluation of one branch for one year by one evaluator, as stored (never changed
    afterwards except ``status``: a correction by the same evaluator makes it ``superseded``)."""

    id: int
    branch_id: str
    year: int
    revision_no: int
    evaluator: str
    created_at: dt.datetime
    rubric_version: str
    status: str
    reason: str | None
    supersedes: int | None
    payload: dict[str, Any] = field(repr=False, compare=False)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Draft:
    """An evaluator's unfinished form for one branch and year: overwritten as they type, not checked."""

    branch_id: str
    year: int
    evaluator: str
    payload: dict[str, Any] = field(repr=False, compare=False)
    rubric_version: str
    updated_at: dt.datetime
    status: str = DRAFT
    version: str = ""  # changes at every save; a page saves only over the version it last saw

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    branch_id: str | None
    year: int | None
    revision_id: int | None
    detail: Any

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


@dataclass(frozen=True)
class ImportReport:
    """What one :meth:`Records.import_inputs <assessment.store.records.Records.import_inputs>` stored."""

    import_id: int
    year: int
    evaluator: str
    source: str
    rubric_version: str
    branches: int
    new_branches: int
    activity_logs: int
    activity_rows: int
    activity_rows_outside_year: int
    revisions: tuple[Revision, ...]

    @property
    def corrections(self) -> int:
        """Revisions that replaced this evaluator's earlier submission (a re-import)."""
        return sum(1 for revision in self.revisions if revision.supersedes is not None)

    def __str__(self) -> str:
        parts = [f"{self.branches} 个支部（新增 {self.new_branches} 个）"]
        if self.activity_logs:
            parts.append(f"{self.activity_logs} 个支部的活动记录共 {self.activity_rows} 条")
        else:
            parts.append(f"没有{self.year}年的活动记录（保留原有记录）")
        parts.append(f"{len(self.revisions)} 份考评提交（其中 {self.corrections} 份更正了此前的导入）")
        return "，".join(parts)


@dataclass(frozen=True)
class DecidedInputs:
    """The branches of one year decided under one rubric version, ready to score with it
    (:meth:`Records.decided_inputs <assessment.store.records.Records.decided_inputs>`)."""

    rubric: Rubric
    inputs: Inputs
    disagreements: dict[str, list[Disagreement]]  # a key for every branch with a submission
    branch_ids: tuple[str, ...]
    # branch → the versions its evaluators' current submissions name, where they differ
    mixed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # branch → the version it was decided with, where that one is not stored (results older than the
    # stored versions) or no longer readable: it is scored with the store's rubric instead
    substituted: dict[str, str] = field(default_factory=dict)
    main: bool = False  # the version most of the year's branches were decided with

    @property
    def version(self) -> str:
        return self.rubric.version


@dataclass(frozen=True)
class RescoreReport:
    """What one :meth:`Records.rescore <assessment.store.records.Records.rescore>` stored."""

    year: int
    rubric_version: str
    by: str
    reason: str
    revisions: tuple[Revision, ...]  # the new ones, each superseding one current revision
    replaced_versions: tuple[str, ...]  # the version of each revision replaced, in the same order

    @property
    def branches(self) -> list[str]:
        return sorted({r.branch_id for r in self.revisions})
