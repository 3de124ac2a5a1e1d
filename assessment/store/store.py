"""The store: one database and the parts that read and write it, composed.

.. code-block:: python

    from assessment.store import Store

    with Store() as store:                      # $ASSESSMENT_DATABASE_URL, else data/siping.sqlite
        store.records.import_inputs(inputs, year=2025, evaluator="张三", rubric_version=rubric.version, source="a.xlsx")
        store.records.submit("JD001", 2025, "李四", payload, rubric.version)
        store.rubrics.save(texts, author="李四", note="调整权重")     # a new version, made current
        store.workflow.move("JD001", 2025, "street_review", role="street", actor="周考评", reason="材料齐全")
        session = store.access.open_session(code)                   # the self-assessment page's only door
        store.self_assessments.current("JD001", 2025)

=========================  ==============================================================================
``store.db``               :class:`~.database.Database`: engine, schema upgrade, transactions and their
                           retries, the audit write, the branch row lock
``store.rubrics``          :class:`~.rubric_versions.RubricVersions`: stored rubric versions, the current one
``store.records``          :class:`~.records.Records`: branches, imports, activity logs, drafts, revisions,
                           current inputs, the audit log
``store.workflow``         :class:`~.workflow.Workflow`: states, allowed moves, moves, history
``store.self_assessments`` :class:`~.self_assessments.SelfAssessments`: a branch's own self-assessment and uploads
``store.access``           :class:`~.access.Access`: access codes and the :class:`~.access.BranchSession` they open
``store.accounts``         :class:`~.accounts.Accounts`: staff accounts, their sign-in and sessions
=========================  ==============================================================================

One :class:`Store` per process (a Voila kernel, a CLI run) is enough; its database keeps a small
connection pool. The parts are given what they use when the store is made; none imports this module.
"""

from __future__ import annotations

from typing import Self

from sqlalchemy.engine import URL

from ..rubric import Rubric
from .access import Access
from .accounts import Accounts
from .database import Database
from .engine import shown
from .records import Records
from .rubric_versions import RubricVersions
from .self_assessments import SelfAssessments
from .workflow import Workflow

__all__ = ["Store"]


class Store:
    """The database of one street (or district): ``Store()`` opens ``$ASSESSMENT_DATABASE_URL`` or the
    default SQLite file, creating or upgrading its schema first.

    ``rubric`` is the rubric submissions are checked against (default: the database's current rubric
    version as first asked, :attr:`rubric`); a method's ``rubric_version`` may also be a
    :class:`~assessment.rubric.Rubric` to check against, or the number of any stored version.
    """

    def __init__(self, url: str | URL | None = None, *, rubric: Rubric | None = None):
        self.db = Database(url)
        self.rubrics = RubricVersions(self.db, rubric)
        self.records = Records(self.db, self.rubrics)
        self.self_assessments = SelfAssessments(self.db, self.rubrics)
        self.workflow = Workflow(self.db, self.rubrics, self.self_assessments)
        self.access = Access(self.db, self.rubrics, self.workflow, self.self_assessments)
        self.accounts = Accounts(self.db, self.rubrics)

    @classmethod
    def from_env(cls, *, rubric: Rubric | None = None) -> Store:
        return cls(None, rubric=rubric)

    @property
    def url(self) -> URL:
        return self.db.url

    @property
    def rubric(self) -> Rubric:
        """The rubric this store works with (see :attr:`RubricVersions.rubric <.rubric_versions.RubricVersions.rubric>`)."""
        return self.rubrics.rubric

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({shown(self.url)!r})"
