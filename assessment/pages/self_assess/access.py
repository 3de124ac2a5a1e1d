"""Entering the 支部自评 page with an access code: the code in the page's link, and a gate that slows guessing.

The code may come in the page's link (``?code=…``): Voila gives the kernel the request's query string in
``$QUERY_STRING`` (with preheated kernels, through ``voila.utils.get_query_string``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from urllib.parse import parse_qs

__all__ = ["CodeGate", "code_from_query", "query_string"]


def code_from_query(query: str | None) -> str | None:
    """The ``code`` parameter of a query string (``code=…``), or None."""
    if not query:
        return None
    values = parse_qs(query.lstrip("?")).get("code")
    return values[0] if values else None


def query_string() -> str:
    """The page request's query string as Voila hands it to the kernel."""
    if os.environ.get("VOILA_PREHEAT") == "True":  # a preheated kernel learns it only when a page claims it
        from voila.utils import get_query_string

        return get_query_string() or ""
    return os.environ.get("QUERY_STRING", "")


class CodeGate:
    """Slows down guessing in one kernel: after ``free`` failures, each further failure locks the gate
    for a delay that doubles (5 s, 10 s, 20 s …, at most ``max_delay``). A success resets it."""

    def __init__(
        self,
        free: int = 3,
        first_delay: float = 5.0,
        max_delay: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.free = free
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.clock = clock
        self.failures = 0
        self.locked_until = 0.0

    def wait_seconds(self) -> int:
        return max(0, math.ceil(self.locked_until - self.clock()))

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.free:
            delay = min(self.max_delay, self.first_delay * 2 ** (self.failures - self.free))
            self.locked_until = self.clock() + delay

    def succeeded(self) -> None:
        self.failures = 0
        self.locked_until = 0.0
