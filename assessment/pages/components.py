"""What every page shares: layouts and HTML widgets, the state base, HTML from templates, tables, boxes,
download links, charts as images, logging and guarded callbacks.

HTML comes from the Jinja2 templates in ``assessment/pages/templates`` through one environment,
:data:`TEMPLATES`, with autoescape on: branch names, opinions, comments and workbook contents are user text,
and an ``ipywidgets.HTML`` value is inserted into the page as is. A view passes plain values to a template's
macro and gets :class:`~markupsafe.Markup` back; HTML made by one macro and put into another stays as it is.
Nothing turns escaping off.
"""

from __future__ import annotations

import base64
import copy
import functools
import logging
import math
import sys
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
import traitlets
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from .. import display, glossary
from ..outputs.charts import to_png
from ..rubric import format_fraction

if TYPE_CHECKING:  # matplotlib is imported when a chart is first drawn (outputs.charts)
    from matplotlib.figure import Figure

__all__ = [
    "EMPTY",
    "FULL_WIDTH",
    "TEMPLATES",
    "VETO_CSS",
    "VETO_STATUS",
    "Markup",
    "PageState",
    "app_logger",
    "download_link_html",
    "error_html",
    "field_value",
    "figure_image",
    "format_cell",
    "full_width",
    "guarded",
    "html_box",
    "html_table",
    "info_html",
    "input_text",
    "macros",
    "notice_html",
    "page_style",
    "scroll_box",
    "section_title",
    "set_figure",
    "title_html",
    "with_field",
]

EMPTY = "—"

# Every widget gets this so that nothing is wider than a 390 px phone screen.
FULL_WIDTH = {"width": "100%", "max_width": "100%", "min_width": "0", "margin": "2px 0"}

_LOGGER_NAME = "assessment.pages"


# ------------------------------------------------------------------ cells
def format_cell(value: Any, decimals: int = 2) -> str:
    """A cell as text: NA as —, floats with the rubric's decimals, everything else ``str``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return EMPTY
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        number = float(value)
        if math.isnan(number):
            return EMPTY
        return display.number(number, decimals)
    text = str(value)
    return text if text else EMPTY


VETO_STATUS = {True: glossary.PASS, False: "否决", None: glossary.UNKNOWN}  # a veto rule's outcome, as shown
VETO_CSS = {True: "ok", False: "bad", None: "unknown"}  # the .siping-tag class of that outcome


# ------------------------------------------------------------------ form fields
def input_text(value: Any) -> str:
    """A payload value as a text field shows it: 12.0 → "12", None → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return str(value)


def field_value(payload: Mapping[str, Any], path: str) -> Any:
    """The payload's value at ``path`` (``org.items.s1.value``, ``member.excellent`` …), None where absent."""
    node: Any = payload
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def with_field(payload: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``payload`` with the field at ``path`` (``org.items.s1.value``, ``social.0.opinion``…) set."""
    new = copy.deepcopy(dict(payload))
    parts = path.split(".", 4) if path.startswith("org.items.") else path.split(".")
    target: Any = new
    for part in parts[:-1]:
        if isinstance(target, list):
            target = target[int(part)]
        else:
            target = target.setdefault(part, {})
    target[parts[-1]] = value
    return new


# ------------------------------------------------------------------ templates
# Compiled once per process: templates are package files that do not change while a kernel runs.
TEMPLATES = Environment(
    loader=PackageLoader("assessment.pages", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.globals["g"] = glossary  # every user-facing term from the glossary, as the code uses it
TEMPLATES.filters["cell"] = format_cell
TEMPLATES.filters["fraction"] = format_fraction


def macros(name: str) -> Any:
    """The macros of template ``name`` (``"evaluate/panel.html.j2"``), each returning :class:`Markup`."""
    return TEMPLATES.get_template(name).module


def _components() -> Any:
    return macros("components.html.j2")


def html_table(
    frame: pd.DataFrame,
    *,
    decimals: int = 2,
    row_attrs: Iterable[Mapping[str, str]] | None = None,
    nowrap_columns: Iterable[str] = (),
) -> Markup:
    """``frame`` as an HTML table, every header and cell escaped. Wrap it in :func:`scroll_box`."""
    nowrap = [column in set(nowrap_columns) for column in frame.columns]
    attrs = list(row_attrs) if row_attrs is not None else [{}] * len(frame)
    rows = [
        (extra, [(format_cell(value, decimals), wrap) for value, wrap in zip(values, nowrap)])
        for values, extra in zip(frame.itertuples(index=False, name=None), attrs)
    ]
    return _components().table([str(c) for c in frame.columns], rows)


WIDE_TABLE_HINT = "表格较宽，可在表格内左右滑动查看。"


def scroll_box(inner_html: Markup, *, max_height: str | None = None, css_class: str = "", hint: str = "") -> Markup:
    """A box that scrolls its own content sideways (and down, with ``max_height``): the page never does.
    ``hint`` (e.g. :data:`WIDE_TABLE_HINT`) is shown above it on narrow screens."""
    return _components().scroll_box(inner_html, max_height, css_class, hint)


def section_title(text: str) -> Markup:
    return _components().section_title(text)


def title_html(title: str, subtitle: str = "") -> Markup:
    """The page's heading, with a line under it (year, rubric version, source …) if given."""
    return _components().page_title(title, subtitle)


def error_html(message: str) -> Markup:
    """A short Chinese message in a red box; empty message → nothing."""
    return _components().error(message)


def info_html(message: str) -> Markup:
    """A short Chinese notice in a neutral box; empty message → nothing."""
    return _components().info(message)


def notice_html(message: str) -> Markup:
    """Something done, in the page's green box (``.siping-notice``); empty message → nothing."""
    return _components().notice(message)


def download_link_html(data: bytes, filename: str, mime: str, label: str) -> Markup:
    """A link that downloads ``data`` (a ``data:`` URL with the ``download`` attribute).

    The bytes travel inside the HTML widget's value, so the file needs no server route: standalone
    Voila serves no files from a kernel, and the page works the same behind any proxy.
    """
    encoded = base64.b64encode(data).decode("ascii")
    return _components().download_link(filename, mime, encoded, label)


# ------------------------------------------------------------------ widgets
def full_width(**extra) -> widgets.Layout:
    """A full-width layout (:data:`FULL_WIDTH`) with ``extra`` on top."""
    return widgets.Layout(**{**FULL_WIDTH, **extra})


def html_box(value: str = "", css: str = "", **layout_extra) -> widgets.HTML:
    """An HTML widget as wide as its column, with the CSS class ``css`` (if any)."""
    box = widgets.HTML(value, layout=full_width(**layout_extra))
    if css:
        box.add_class(css)
    return box


@functools.cache
def _page_css(template: str | None) -> Markup:
    return _components().page_style(template)


def page_style(template: str | None = None) -> widgets.HTML:
    """The page's CSS (shared rules, then the page's own from ``template``), as a widget placed first in an app."""
    style = widgets.HTML(_page_css(template), layout=widgets.Layout(height="0px", margin="0", overflow="hidden"))
    style.add_class("siping-style")
    return style


def _image_layout() -> widgets.Layout:
    # max_width 100% lets the browser scale the PNG down on a phone; height auto keeps its aspect.
    # align_self keeps a column layout from stretching the picture beyond its natural size.
    return widgets.Layout(
        width="auto",
        max_width="100%",
        height="auto",
        object_fit="contain",
        margin="0 0 12px 0",
        align_self="flex-start",
    )


def figure_image(fig: Figure | None = None) -> widgets.Image:
    """An ``Image`` widget showing ``fig`` as PNG (empty when ``fig`` is None)."""
    return widgets.Image(value=to_png(fig) if fig is not None else b"", format="png", layout=_image_layout())


def set_figure(image: widgets.Image, fig: Figure) -> None:
    """Replace the picture in place: no flicker, no figure kept alive."""
    image.value = to_png(fig)


# ------------------------------------------------------------------ state
class PageState(traitlets.HasTraits):
    """The base of every page's one state object: the views observe it, widgets change it by :meth:`update`.

    ``error`` is the page's short message of something that went wrong (shown in a red box).
    """

    error = traitlets.Unicode("")

    def update(self, **changes) -> None:
        """Set traits by name; observers hear each changed trait once, after all are set."""
        unknown = [name for name in changes if not self.has_trait(name)]
        if unknown:
            raise AttributeError(f"{type(self).__name__} has no trait {', '.join(unknown)}")
        with self.hold_trait_notifications():
            for name, value in changes.items():
                setattr(self, name, value)


# ------------------------------------------------------------------ logging and guarded callbacks
def app_logger() -> logging.Logger:
    """Logger for the pages. It writes to the kernel's own stderr (the server log), never to the page.

    In a kernel ``sys.stderr`` is forwarded to the browser, where Voila would show a red stream;
    ``sys.__stderr__`` is the process's real stderr, which ends up in the Voila server's log.
    """
    logger = logging.getLogger(_LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.__stderr__)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def guarded(message: str, on_error: Callable[[str], None]) -> Callable[[Callable], Callable]:
    """Decorator for widget callbacks: an exception becomes ``on_error(message)`` and a log line.

    A traceback raised in a callback would otherwise reach the page as a red stderr stream.
    """

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def wrapper(*args, **kwargs):
            try:
                return handler(*args, **kwargs)
            except Exception:  # noqa: BLE001 - the page shows a message, the log keeps the details
                app_logger().exception("%s (%s)", message, getattr(handler, "__qualname__", handler))
                on_error(message)
                return None

        return wrapper

    return decorate
