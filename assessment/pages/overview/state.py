"""The 总览 page's one state object: what the visitor chose (street, year, branch), and what went wrong."""

from __future__ import annotations

import traitlets

from ..components import PageState

__all__ = ["OverviewState"]


class OverviewState(PageState):
    """What the visitor chose, and what went wrong: the only thing the views read besides the data."""

    street = traitlets.Unicode(None, allow_none=True)  # a street's name, DISTRICT, or the one street's label
    year = traitlets.Int(None, allow_none=True)
    branch_id = traitlets.Unicode(None, allow_none=True)
