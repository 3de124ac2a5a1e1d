"""The server's log never shows an access code.

A secretary opens the self-assessment page from a link ``…?code=…``; Tornado writes the whole URL of every
failed request to the log (twice: the error and the access line), and of every request with ``--debug``,
so codes would end up in the server's log. A log filter writes the value of the ``code`` parameter as
``[已隐藏]``, whichever logger the line comes from and however the parameter's name is encoded.
(The code stays in the page's address: the kernel reads it when the page opens, and a secretary who
reloads the page on a phone must not be locked out. Pages send ``Referrer-Policy: no-referrer``, so the
address does not travel on in a Referer header either.)
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

HIDDEN = "[已隐藏]"
# name=value as a query parameter (after ? or &), up to the next parameter, space or quote. The name is
# compared after percent-decoding: the page reads the query with parse_qs, which takes ?%63ode=… as code.
_PARAMETER = re.compile(r"(?<=[?&])([^=&\s'\"]+)=([^&\s'\"]*)")
HIDDEN_PARAMETERS = frozenset({"code"})
# Where Tornado and Voila write request lines and request errors.
LOGGERS = ("tornado.access", "tornado.application", "tornado.general")


def _hide(match: re.Match) -> str:
    name = match.group(1)
    if unquote_plus(name).strip().lower() in HIDDEN_PARAMETERS:
        return f"{name}={HIDDEN}"
    return match.group(0)


def scrub(text: str) -> str:
    """``text`` with the value of every ``code`` query parameter in it replaced, however its name is spelt
    (``code``, ``%63ode``, ``c%6Fde``, ``CODE``)."""
    return _PARAMETER.sub(_hide, text)


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
