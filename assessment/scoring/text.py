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
    # Rows share few distinct combinations of values: fill the template once per combination.
    coded = [_distinct_texts(fields[name], rows) for name in names]
    key = np.zeros(len(rows), dtype=np.int64)
    combinations = 1
    for codes, texts in coded:
        combinations *= len(texts)
        if combinations > 2**62:
            out[rows] = list(map(positional.format, *(texts[codes] for codes, texts in coded)))
            return out
        key = key * len(texts) + codes
    distinct, inverse = distinct_codes(key)
    first = np.empty(len(distinct), dtype=np.int64)
    # One row of each combination (which one does not matter: all its rows hold the same values).
    first[inverse] = np.arange(len(rows))
    filled = np.empty(len(distinct), dtype=object)
    filled[:] = [positional.format(*(texts[codes[row]] for codes, texts in coded)) for row in first]
    out[rows] = filled[inverse]
    return out


def _distinct_texts(value, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``value`` at ``rows`` as codes into its distinct display texts (:func:`column_text` of each)."""
    if not isinstance(value, (pd.Series, pd.Index, np.ndarray, list, pd.api.extensions.ExtensionArray)):
        return np.zeros(len(rows), dtype=np.int64), np.array(list(column_text(value, rows[:1])), dtype=object)
    series = pd.Series(value, copy=False).iloc[rows]
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    texts = np.empty(len(uniques), dtype=object)
    texts[:] = column_text(pd.Series(uniques, dtype=series.dtype), np.arange(len(uniques)))
    return codes.astype(np.int64), texts


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
        out[rows] = _join_rows(masks[:, rows], [text[rows] for text in texts], sep)
    return out


def _join_rows(masks: np.ndarray, texts: list[np.ndarray], sep: str) -> np.ndarray:
    """``join_where`` for rows with several texts. Rows with the same parts present are joined together,
    column by column (a row's empty or missing texts are skipped, as if their part were absent); when
    every text is the same on all rows, each such combination is joined once."""
    n = masks.shape[1]
    scalar = [len(text) == 0 or (text == text[0]).all() for text in texts]
    present = np.vstack(
        [
            mask & (bool(text[0]) if one else (pd.notna(text) & (text != "")))
            for mask, text, one in zip(masks, texts, scalar)
        ]
    )
    key = None
    if len(masks) <= 62:
        key = (present.astype(np.int64) << np.arange(len(masks), dtype=np.int64)[:, None]).sum(axis=0)
        distinct, inverse = distinct_codes(key)
    if key is None or len(distinct) > 2000:  # too many combinations: row by row
        columns = [np.where(mask, text, "").tolist() for mask, text in zip(present, texts)]
        out = np.empty(n, dtype=object)
        out[:] = [sep.join([t for t in row if t]) for row in zip(*columns)]
        return out
    order = np.argsort(inverse, kind="stable")
    groups = np.split(order, np.cumsum(np.bincount(inverse, minlength=len(distinct)))[:-1])
    out = np.empty(n, dtype=object)
    for bits, rows in zip(distinct, groups):
        parts = [j for j in range(len(masks)) if int(bits) >> j & 1]
        if not parts:
            out[rows] = ""
        elif all(scalar[j] for j in parts):
            out[rows] = sep.join(texts[j][0] for j in parts)
        else:
            joined = texts[parts[0]][rows].astype(object)
            for j in parts[1:]:
                joined = joined + sep + texts[j][rows]
            out[rows] = joined
    return out


def distinct_codes(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a non-negative integer ``key`` and each row's position among them (a table
    lookup when the values are small, else a sort)."""
    if len(key) == 0:
        return key, key
    if key.max() > 4 * len(key) + 4096:
        distinct, inverse = np.unique(key, return_inverse=True)
        return distinct, inverse.reshape(-1)
    present = np.bincount(key) > 0
    distinct = np.flatnonzero(present)
    position = np.cumsum(present) - 1
    return distinct, position[key]
