"""Voila as the README's run command starts it: ``python -m assessment.serve notebooks/ [voila options]``.

The same Voila, configured by ``voila.json``, with one difference: its log never shows an access
code. A secretary opens the self-assessment page from a link ``…?code=…``; Tornado writes the whole
URL of every failed request to the log (twice: the error and the access line), and of every request
with ``--debug``, so codes would end up in the server's log. Here a log filter writes the value of
the ``code`` parameter as ``[已隐藏]``, whichever logger the line comes from.
(The code stays in the page's address: the kernel reads it when the page opens, and a secretary who
reloads the page on a phone must not be locked out.)
"""

from __future__ import annotations

import logging
import re

from voila.app import Voila

HIDDEN = "[已隐藏]"
# code=… as a query parameter (after ? or &), up to the next parameter, space or quote
_CODE = re.compile(r"(?<=[?&])code=[^&\s'\"]*")
# Where Tornado and Voila write request lines and request errors.
LOGGERS = ("tornado.access", "tornado.application", "tornado.general")


def scrub(text: str) -> str:
    """``text`` with the value of every ``code`` query parameter in it replaced."""
    return _CODE.sub(f"code={HIDDEN}", text)


class HideAccessCodes(logging.Filter):
    """Rewrites a record whose message carries ``code=…`` (the message is formatted once, here)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = scrub(message)
        if hidden != message:
            record.msg, record.args = hidden, None
        return True


def hide_access_codes(*loggers: logging.Logger) -> HideAccessCodes:
    """Install the filter on Tornado's loggers, on ``loggers`` and on all their handlers."""
    found = HideAccessCodes()
    targets = [logging.getLogger(name) for name in LOGGERS] + list(loggers)
    for logger in targets:
        if found not in logger.filters:
            logger.addFilter(found)
        for handler in logger.handlers:
            handler.addFilter(found)
    return found


class SipingVoila(Voila):
    """Voila whose log hides access codes."""

    def initialize(self, argv=None):
        super().initialize(argv)
        hide_access_codes(self.log, logging.getLogger())


def main(argv: list[str] | None = None) -> None:
    SipingVoila.launch_instance(argv)


if __name__ == "__main__":  # pragma: no cover
    main()
