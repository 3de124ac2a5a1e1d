"""考评总览 page (streets and the district)."""

from .app import OverviewApp, overview_app

__all__ = ["OverviewApp", "overview_app"]
