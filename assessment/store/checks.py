"""What the store's parts check in their arguments before a transaction starts: required text, a year,
a payload JSON can hold. Each refusal is a :class:`~assessment.store.StoreError` in Chinese."""

from __future__ import annotations

import json
from typing import Any

from .model import StoreError

__all__ = ["checked_year", "json_copy", "required_text"]


def required_text(value: Any, label: str) -> str:
    """``value`` as stripped text; refused if empty (``label`` names the field: 评估人, 修改说明 …)."""
    text = str(value).strip() if value is not None else ""
    if not text:
        raise StoreError(f"{label}不能为空")
    return text


def checked_year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoreError(f"年度应为整数，如 2025，实际为“{value}”")
    return value


def json_copy(payload: Any, what: str) -> Any:
    """The payload as the database will give it back (tuples → lists …); refuse what JSON cannot hold."""
    try:
        return json.loads(json.dumps(payload, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise StoreError(f"{what}无法保存：内容中有不能保存为 JSON 的值（{error}）") from None
