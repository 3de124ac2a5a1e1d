"""权重与阈值 page (analysts of the 组织部/党建办)."""

from .app import WeightsApp, weights_app

__all__ = ["WeightsApp", "weights_app"]
