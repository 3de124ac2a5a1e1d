"""考评验收 page (evaluators of the 街道党工委)."""

from .app import EvaluateApp, EvaluateState, evaluate_app

__all__ = ["EvaluateApp", "EvaluateState", "evaluate_app"]
