"""The database layer: one :class:`Store` made of parts, each a small class in its own module.

.. code-block:: python

    from assessment.store import Store

    with Store() as store:                      # $ASSESSMENT_DATABASE_URL, else data/siping.sqlite
        store.records.import_inputs(inputs, year=2025, evaluator="张三", rubric_version=rubric.version, source="a.xlsx")
        store.records.save_draft("JD001", 2025, "李四", payload, rubric.version)
        store.records.submit("JD001", 2025, "李四", payload, rubric.version)
        inputs, disagreements = store.records.current_inputs(2025, rubric)
        store.rubrics.save(texts, author="李四", note="调整权重")   # a new version, made current
        rubric = store.rubrics.current()        # what the pages use; results keep naming their own version
        store.workflow.status("JD001", 2025)
        session = store.access.open_session(code)   # BranchSession: the self-assessment page's only door

The modules, in the order they build on each other (none imports one later in the list):
``engine`` (where the database is), ``schema`` and ``migrate`` (the tables, Alembic), ``model`` (records,
:class:`StoreError`), ``checks`` and ``frames`` (argument checks, rows ↔ frames), ``database`` (engine,
transactions and their retries, audit write, branch lock), ``rubric_versions``, ``records``,
``uploads`` (how an upload applies), ``self_assessments``, ``workflow``, ``access_codes`` (the code format and its hashing), ``access``
(issuing codes, :class:`BranchSession`), and ``store`` (the composition).

Nothing submitted is ever overwritten: a correction is a new revision that marks the earlier one
superseded, with a reason; every write leaves an audit entry. The schema is created and upgraded
by the package itself (Alembic, ``migrations/``) when a store opens.
"""

from .access import REFUSAL, Access, AccessCodeInfo, AccessDenied, BranchSession, IssuedCode, SelfAssessmentLocked
from .database import Database
from .engine import ENV_VAR, default_url, resolve_url
from .model import (
    ACTION_LABELS,
    ANY_VERSION,
    STATUS_LABELS,
    UNAVAILABLE,
    AuditEntry,
    DecidedInputs,
    Draft,
    DraftConflict,
    ImportReport,
    RescoreReport,
    Revision,
    StoreError,
    StoreUnavailable,
)
from .records import Records
from .rubric_versions import RubricVersion, RubricVersions
from .self_assessments import SelfAssessment, SelfAssessments
from .store import Store
from .workflow import Workflow, WorkflowEvent, WorkflowStatus

__all__ = [
    "ACTION_LABELS",
    "ANY_VERSION",
    "ENV_VAR",
    "REFUSAL",
    "STATUS_LABELS",
    "UNAVAILABLE",
    "Access",
    "AccessCodeInfo",
    "AccessDenied",
    "AuditEntry",
    "BranchSession",
    "Database",
    "DecidedInputs",
    "Draft",
    "DraftConflict",
    "ImportReport",
    "IssuedCode",
    "Records",
    "RescoreReport",
    "Revision",
    "RubricVersion",
    "RubricVersions",
    "SelfAssessment",
    "SelfAssessmentLocked",
    "SelfAssessments",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "Workflow",
    "WorkflowEvent",
    "WorkflowStatus",
    "default_url",
    "resolve_url",
]
