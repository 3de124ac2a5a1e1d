"""The 考评 page's one state object: what is open, the payload being typed, the draft and the last results.

Widgets change it only through :meth:`EvaluateState.update`; the views observe it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import traitlets

from ..components import PageState, with_field

__all__ = ["EvaluateState", "scoring_key"]


def scoring_key(payload: Mapping[str, Any]) -> Any:
    """What in a payload scoring and checking read: comments, opinions and the note are left out."""
    org = payload.get("org") or {}
    return (
        org.get("annual_review_grade"),
        # An item's evidence marks and per-rule counts are inputs of the kinds evidence_deduction and
        # multi_deduction: they are part of what is scored.
        tuple(
            sorted(
                (
                    k,
                    (v or {}).get("value"),
                    tuple(sorted(((v or {}).get("evidence") or {}).items())),
                    tuple(sorted(((v or {}).get("counts") or {}).items())),
                )
                for k, v in (org.get("items") or {}).items()
            )
        ),
        tuple(sorted((payload.get("member") or {}).items())),
        tuple(sorted((payload.get("public") or {}).items(), key=lambda kv: kv[0])),
        tuple((row.get("department"), row.get("compliant")) for row in payload.get("social") or []),
    )


class EvaluateState(PageState):
    """Everything the page shows is derived from this; widgets change it only through :meth:`update`."""

    branch_id = traitlets.Unicode(None, allow_none=True)  # the branch that is open
    branch_name = traitlets.Unicode("")
    year = traitlets.Int(None, allow_none=True)
    evaluator = traitlets.Unicode("")
    payload = traitlets.Dict()
    parsed = traitlets.Dict()  # the payload's values as scoring reads them (None where blank or wrong)
    problems = traitlets.List()  # FieldProblem of the payload
    results = traitlets.Any(None)  # scoring Results of the payload (with the branch's activity log)
    self_assessment = traitlets.Any(None)  # the open branch's submitted self-assessment (never a draft)
    draft_status = traitlets.Unicode("")
    draft_warning = traitlets.Bool(False)
    draft_offer = traitlets.Any(None)  # a stored Draft waiting for 恢复 / 放弃
    draft_offer_replaced = traitlets.Bool(False)  # typing saved over it meanwhile (the page still holds it)
    submitted = traitlets.Any(None)  # this evaluator's current Revision, if any
    revisions = traitlets.List()
    reconciled = traitlets.Any(None)
    notice = traitlets.Unicode("")
    submit_problems = traitlets.List()

    def update(self, fields: Mapping[str, Any] | None = None, **changes) -> None:
        """Set state traits by name and payload fields by path, then notify once per trait."""
        if fields:
            payload = self.payload
            for path, value in fields.items():
                payload = with_field(payload, path, value)
            changes["payload"] = payload
        super().update(**changes)
