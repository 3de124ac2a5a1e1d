"""The 权重分析 page's one state object: the draft values of the adjustable settings and the locked weights."""

from __future__ import annotations

import traitlets

from ..components import PageState

__all__ = ["WeightsState"]


class WeightsState(PageState):
    """The draft: a value per adjustable setting (Fractions, ints, option strings) and the locked weights.

    ``error`` is a problem with the draft or a failure; ``save_notice`` / ``save_error`` belong to
    the 保存为新版本 section.
    """

    values = traitlets.Dict()
    locked = traitlets.Set()
    save_notice = traitlets.Unicode("")
    save_error = traitlets.Unicode("")
