"""The 支部自评 page's one state object: the branch session, the payload being typed, messages, the last self-check."""

from __future__ import annotations

import traitlets

from ..components import PageState

__all__ = ["SelfAssessState"]


class SelfAssessState(PageState):
    """Everything the views read: the session, the payload being typed, messages, the last self-check."""

    session = traitlets.Any(None, allow_none=True)  # the BranchSession a valid code opened (None: not entered)
    payload = traitlets.Dict()
    notice = traitlets.Unicode("")
    check = traitlets.Any(None, allow_none=True)  # the SelfCheck of the payload with the branch's uploads
    revision = traitlets.Int(0)  # bumped when the stored data (status, uploads) changed
    locked = traitlets.Unicode("")  # why the self-assessment is read-only (submitted), "" while editable
