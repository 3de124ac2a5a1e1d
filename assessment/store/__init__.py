"""The database layer: branches, activity logs, drafts, submitted revisions and the audit log.

.. code-block:: python

    from assessment.store import Store

    with Store() as store:                      # $ASSESSMENT_DATABASE_URL, else data/siping.sqlite
        store.import_inputs(inputs, year=2025, evaluator="张三", rubric_version=rubric.version, source="a.xlsx")
        store.save_draft("JD001", 2025, "李四", payload, rubric.version)
        store.submit("JD001", 2025, "李四", payload, rubric.version)
        inputs, disagreements = store.current_inputs(2025, rubric)
        store.save_rubric_version(texts, author="李四", note="调整权重")   # a new version, made current
        rubric = store.current_rubric()         # what the pages use; results keep naming their own version

Nothing submitted is ever overwritten: a correction is a new revision that marks the earlier one
superseded, with a reason; every write leaves an audit entry. The schema is created and upgraded
by the package itself (Alembic, ``migrations/``) when a store opens.
"""

from .engine import ENV_VAR, default_url, resolve_url
from .model import ACTION_LABELS, STATUS_LABELS, AuditEntry, Draft, ImportReport, Revision, StoreError
from .rubrics import RubricVersion
from .store import Store
from .workflow import (
    REFUSAL,
    AccessCodeInfo,
    AccessDenied,
    BranchSession,
    IssuedCode,
    SelfAssessment,
    WorkflowEvent,
    WorkflowStatus,
)

__all__ = [
    "ACTION_LABELS",
    "ENV_VAR",
    "REFUSAL",
    "STATUS_LABELS",
    "AccessCodeInfo",
    "AccessDenied",
    "AuditEntry",
    "BranchSession",
    "Draft",
    "ImportReport",
    "IssuedCode",
    "Revision",
    "RubricVersion",
    "SelfAssessment",
    "Store",
    "StoreError",
    "WorkflowEvent",
    "WorkflowStatus",
    "default_url",
    "resolve_url",
]
