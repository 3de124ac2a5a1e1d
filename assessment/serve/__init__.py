"""Voila as the README's run command starts it: ``python -m assessment.serve [notebooks/] [voila options]``.

Voila with what the pages need, found in this package wherever it is installed:

- the settings in ``voila.json`` beside this module (template ``siping``, culling of idle kernels, no
  tracebacks on a page), read after any ``voila.json`` in the working directory or Jupyter's config
  directories, which still override them;
- the Voila template ``siping`` in ``jupyter/voila/templates/siping`` (no CDN: see its index.html.j2),
  found by putting ``jupyter/`` first on ``JUPYTER_PATH``, the path Voila searches for templates;
- the pages' notebooks (``notebooks/``) when no directory or notebook is named.

One difference from plain Voila: its log never shows an access
code. A secretary opens the self-assessment page from a link ``…?code=…``; Tornado writes the whole
URL of every failed request to the log (twice: the error and the access line), and of every request
with ``--debug``, so codes would end up in the server's log. Here a log filter writes the value of
the ``code`` parameter as ``[已隐藏]``, whichever logger the line comes from.
(The code stays in the page's address: the kernel reads it when the page opens, and a secretary who
reloads the page on a phone must not be locked out.)
"""

from __future__ import annotations

import logging
import os
import re

from traitlets import default
from voila.app import Voila

from .. import paths

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


def add_template_path() -> None:
    """Put the package's Jupyter data directory (the ``siping`` template) first on ``JUPYTER_PATH``."""
    ours = str(paths.jupyter_data_dir())
    others = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p and p != ours]
    os.environ["JUPYTER_PATH"] = os.pathsep.join([ours, *others])


class SipingVoila(Voila):
    """Voila with the package's settings, template and notebooks, whose log hides access codes."""

    @default("config_file_paths")
    def _config_file_paths_default(self):
        # The first path wins, so ours comes last: a voila.json an administrator puts beside still applies.
        return [*super()._config_file_paths_default(), str(paths.voila_config_dir())]

    def initialize(self, argv=None):
        add_template_path()
        super().initialize(argv)
        if not self.extra_args and not self.notebook_path and "root_dir" not in self.config.Voila:
            self.root_dir = str(paths.notebooks_dir())
        hide_access_codes(self.log, logging.getLogger())


def main(argv: list[str] | None = None) -> None:
    SipingVoila.launch_instance(argv)
