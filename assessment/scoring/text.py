"""Fill rubric text templates for a whole column at once.

``render("评价优秀{numerator}人……", numerator=series, …)`` splits the template
into literal text and fields once, then concatenates object arrays — no per-row
``str.format`` in the hot path.
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd


def _as_text(value, length: int) -> np.ndarray:
    if isinstance(value, (pd.Series, pd.Index, np.ndarray, list)):
        arr = pd.Series(value).astype(object).to_numpy()
        if len(arr) != length:
            raise ValueError("模板字段长度不一致")
        out = np.empty(length, dtype=object)
        mask = pd.isna(arr)
        out[mask] = "—"
        out[~mask] = [v if isinstance(v, str) else str(v) for v in arr[~mask]]
        return out
    return np.full(length, "—" if value is None else str(value), dtype=object)


def render(template: str, length: int, **fields) -> np.ndarray:
    """Template filled for ``length`` rows; each field is a scalar or a column of that length."""
    out = np.full(length, "", dtype=object)
    for literal, name, spec, _conv in string.Formatter().parse(template):
        if literal:
            out = out + literal
        if name:
            out = out + _as_text(fields[name], length)
    return out


def join_where(parts: list[tuple[np.ndarray, np.ndarray]], sep: str, length: int) -> np.ndarray:
    """For each row, join the texts whose mask is true, in order, with ``sep``."""
    out = np.full(length, "", dtype=object)
    for mask, text in parts:
        mask = np.asarray(mask, dtype=bool)
        text = np.broadcast_to(np.asarray(text, dtype=object), (length,))
        both = mask & (out != "")
        out = np.where(both, out + sep, out)
        out = np.where(mask, out + text, out)
    return out
