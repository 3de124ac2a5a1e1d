"""Serving the pages: ``python -m assessment.serve <notebooks dir> [--SipingVoila.mode=public] [voila options]``.

:mod:`.app` is Voila with the project's guards (:mod:`.handlers`: the start page, which pages a server
serves, the kernel cap and start queue, the websocket guard) and a log that hides access codes (:mod:`.logs`).
"""

from .app import SipingKernelManager, SipingVoila, main
from .logs import HideAccessCodes, hide_access_codes, scrub

__all__ = ["HideAccessCodes", "SipingKernelManager", "SipingVoila", "hide_access_codes", "main", "scrub"]
