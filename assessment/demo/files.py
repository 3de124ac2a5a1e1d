"""Where the demo street's workbook is: data/demo/demo_street.xlsx of a checkout (written by
``assessment demo``), or the file $ASSESSMENT_DEMO_WORKBOOK names. The 权重 page reads it."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEMO_WORKBOOK", "DEMO_YEAR", "demo_workbook_path"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_WORKBOOK = REPO_ROOT / "data" / "demo" / "demo_street.xlsx"
DEMO_YEAR = 2025  # the year the demo workbook is for


def demo_workbook_path() -> Path:
    """$ASSESSMENT_DEMO_WORKBOOK, else data/demo/demo_street.xlsx in the repository."""
    return Path(os.environ.get("ASSESSMENT_DEMO_WORKBOOK", DEMO_WORKBOOK))
