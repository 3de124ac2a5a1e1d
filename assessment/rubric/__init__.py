"""Rubrics as data: load ``rubrics/*.yaml`` into frozen, validated objects."""

from .loader import (
    DEFAULT_RUBRIC_DIR,
    RubricError,
    RubricProblem,
    default_rubric_dir,
    load_rubric,
    load_rubric_texts,
    read_rubric_texts,
)
from .model import CHANNEL_IDS, VETO_IDS, ChecklistItem, Rubric
from .types import format_fraction, format_percent, to_fraction

__all__ = [
    "CHANNEL_IDS",
    "DEFAULT_RUBRIC_DIR",
    "VETO_IDS",
    "ChecklistItem",
    "Rubric",
    "RubricError",
    "RubricProblem",
    "default_rubric_dir",
    "format_fraction",
    "format_percent",
    "load_rubric",
    "load_rubric_texts",
    "read_rubric_texts",
    "to_fraction",
]
