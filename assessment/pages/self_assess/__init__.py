"""支部自评 page (branch secretaries, with an access code)."""

from .app import SelfAssessApp, SelfAssessState, self_assess_app

__all__ = ["SelfAssessApp", "SelfAssessState", "self_assess_app"]
