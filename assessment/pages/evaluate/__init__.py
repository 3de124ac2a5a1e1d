"""考评验收 page (evaluators of the 街道党工委): ``state`` (what is open and typed), ``views`` (the result panel,
history, several evaluators), sub-views ``form``, ``self_scores`` and ``workflow``, and ``app`` (the widget tree)."""

from .app import EvaluateApp, evaluate_app
from .state import EvaluateState

__all__ = ["EvaluateApp", "EvaluateState", "evaluate_app"]
