"""Fill rubric text templates and join reasons for whole columns.

Texts are only built for the rows that show them (a pass text for the rows that
pass, …): with 100,000 branches the words cost more than the arithmetic.
"""

from __future__ import annotations

import itertools
import string

import numpy as np
import pandas as pd


def _positional(template: str) -> tuple[str, list[str]]:
    """'优秀{numerator}人' → ('优秀{0}人', ['numerator']), literal braces kept literal."""
    parts, names = [], []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is not None:
            parts.append("{" + str(len(names)) + "}")
            names.append(name)
    return "".join(parts), names


def column_text(value, rows: np.ndarray) -> list[str] | itertools.repeat:
    """The display text of ``value`` at ``rows`` (a scalar repeats); missing values become '—'."""
    if not isinstance(value, (pd.Series, pd.Index, np.ndarray, list, pd.api.extensions.ExtensionArray)):
        return itertools.repeat("—" if value is None else str(value), len(rows))
    series = pd.Series(value, copy=False).iloc[rows] if len(rows) else pd.Series([], dtype=object)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.dt.strftime("%Y年%m月%d日").fillna("—").tolist()
    if pd.api.types.is_bool_dtype(series.dtype):
        return np.where(series.fillna(False).to_numpy(dtype=bool), "是", "否").tolist()
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(numbers) & (np.mod(numbers, 1) == 0)
        text = np.where(whole, np.where(whole, numbers, 0).astype(np.int64).astype(str).astype(object), "—")
        fractional = ~whole & ~np.isnan(numbers)
        text[fractional] = [f"{v:g}" for v in numbers[fractional]]
        return text.tolist()
    return [
        v if isinstance(v, str) else ("—" if v is None or v is pd.NA or v != v else str(v)) for v in series.tolist()
    ]


def render(template: str, length: int, mask=None, **fields) -> np.ndarray:
    """``template`` filled per row; rows outside ``mask`` (when given) get ''."""
    out = np.full(length, "", dtype=object)
    rows = np.arange(length) if mask is None else np.flatnonzero(mask)
    if len(rows) == 0:
        return out
    positional, names = _positional(template)
    if not names:
        out[rows] = template
        return out
    out[rows] = list(map(positional.format, *(column_text(fields[name], rows) for name in names)))
    return out


def join_where(parts: list[tuple[np.ndarray, object]], sep: str, length: int) -> np.ndarray:
    """For each row, join the texts whose mask is true, in the order given, with ``sep``."""
    out = np.full(length, "", dtype=object)
    if not parts:
        return out
    masks = np.vstack([np.broadcast_to(np.asarray(mask, dtype=bool), (length,)) for mask, _ in parts])
    texts = [np.broadcast_to(np.asarray(text, dtype=object), (length,)) for _, text in parts]
    hits = masks.sum(axis=0)
    # Most rows have one reason or none: copy those without building per-row lists.
    for mask, text in zip(masks, texts):
        single = mask & (hits == 1)
        out[single] = text[single]
    rows = np.flatnonzero(hits > 1)
    if len(rows):
        columns = [np.where(mask[rows], text[rows], "").tolist() for mask, text in zip(masks, texts)]
        out[rows] = [sep.join([t for t in row if t]) for row in zip(*columns)]
    return out
