"""Small pieces every page uses: escaped HTML tables, charts as images, error boxes, logging.

Everything a page shows as HTML goes through :func:`html.escape` here: branch names, opinions and
workbook contents are user text, and an ``ipywidgets.HTML`` value is inserted into the page as is.
"""

from __future__ import annotations

import functools
import html
import logging
import math
import sys
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral, Real
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..outputs.charts import to_png

__all__ = [
    "FULL_WIDTH",
    "app_logger",
    "download_link_html",
    "error_html",
    "escape",
    "figure_image",
    "format_cell",
    "guarded",
    "html_list",
    "html_table",
    "page_style",
    "scroll_box",
    "section_title",
    "set_figure",
]

EMPTY = "—"

# Every widget gets this so that nothing is wider than a 390 px phone screen.
FULL_WIDTH = {"width": "100%", "max_width": "100%", "min_width": "0", "margin": "2px 0"}

_LOGGER_NAME = "assessment.pages"

# Carried by every table (a repeated <style> is harmless) so that each HTML widget stands alone.
TABLE_STYLE = (
    "<style>"
    ".siping-table{border-collapse:collapse;font-size:13px;line-height:1.5;width:100%}"
    ".siping-table th{padding:6px 8px;border-bottom:2px solid #c0392b;background:#fbf3f2;"
    "position:sticky;top:0;text-align:left;white-space:nowrap;z-index:1}"
    ".siping-table td{padding:4px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top;text-align:left}"
    ".siping-table td.nw{white-space:nowrap}"
    "</style>"
)


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


def escape(value: Any) -> str:
    return html.escape(format_cell(value), quote=True)


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
        return f"{number:.{decimals}f}"
    text = str(value)
    return text if text else EMPTY


def html_table(
    frame: pd.DataFrame,
    *,
    decimals: int = 2,
    row_attrs: Iterable[Mapping[str, str]] | None = None,
    nowrap_columns: Iterable[str] = (),
) -> str:
    """``frame`` as an HTML table, every header and cell escaped. Wrap it in :func:`scroll_box`."""
    nowrap = set(nowrap_columns)
    headers = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    attrs = list(row_attrs) if row_attrs is not None else [{}] * len(frame)
    rows = []
    for values, extra in zip(frame.itertuples(index=False, name=None), attrs):
        tds = "".join(
            f"<td{' class=nw' if column in nowrap else ''}>{html.escape(format_cell(value, decimals))}</td>"
            for column, value in zip(frame.columns, values)
        )
        extra_attrs = "".join(f' {html.escape(k)}="{html.escape(v)}"' for k, v in extra.items())
        rows.append(f"<tr{extra_attrs}>{tds}</tr>")
    return f'{TABLE_STYLE}<table class="siping-table"><thead><tr>{headers}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def scroll_box(inner_html: str, *, max_height: str | None = None, css_class: str = "") -> str:
    """A box that scrolls its own content sideways (and down, with ``max_height``): the page never does."""
    height = f"max-height:{max_height};overflow-y:auto;" if max_height else ""
    return (
        f'<div class="siping-scroll {html.escape(css_class)}" style="overflow-x:auto;{height}max-width:100%;'
        f'border:1px solid #e3e6ea;border-radius:4px">{inner_html}</div>'
    )


def page_style() -> widgets.HTML:
    """Page CSS, as a widget placed first in an app.

    ipywidgets' HTML widget is a flex box whose content keeps ``min-width: auto``: a wide table inside
    would stretch the page instead of scrolling in its own box. ``min-width: 0`` lets it shrink.
    """
    return widgets.HTML(
        "<style>"
        ".siping-app .widget-html-content{min-width:0;max-width:100%;flex:1 1 auto}"
        ".siping-app .widget-html,.siping-app .widget-box{min-width:0;max-width:100%}"
        ".siping-app .widget-dropdown select{min-width:0}"
        "</style>",
        layout=widgets.Layout(height="0px", margin="0", overflow="hidden"),
    )


def html_list(items: Iterable[str]) -> str:
    """An unordered list of already-escaped HTML items."""
    return (
        '<ul style="margin:4px 0 8px 1.2em;padding:0">'
        + "".join(f'<li style="margin:2px 0">{item}</li>' for item in items)
        + "</ul>"
    )


def section_title(text: str) -> str:
    return (
        '<h3 style="margin:18px 0 6px;font-size:17px;border-left:4px solid #c0392b;'
        f'padding-left:8px">{html.escape(text)}</h3>'
    )


def error_html(message: str) -> str:
    """A short Chinese message in a red box (escaped); empty message → nothing."""
    if not message:
        return ""
    return (
        '<div role="alert" style="background:#fdecea;color:#8a1f11;border:1px solid #f5c2bc;'
        f'border-radius:4px;padding:8px 12px;margin:8px 0;white-space:pre-wrap">{html.escape(message)}</div>'
    )


def download_link_html(data: bytes, filename: str, mime: str, label: str) -> str:
    """A link that downloads ``data`` (a ``data:`` URL with the ``download`` attribute).

    The bytes travel inside the HTML widget's value, so the file needs no server route: standalone
    Voila serves no files from a kernel, and the page works the same behind any proxy.
    """
    import base64

    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<a class="siping-download" download="{html.escape(filename, quote=True)}" '
        f'href="data:{html.escape(mime, quote=True)};base64,{encoded}" '
        'style="display:inline-block;padding:6px 12px;margin:4px 0;border:1px solid #c0392b;border-radius:4px;'
        f'color:#c0392b;text-decoration:none">{html.escape(label)}</a>'
    )


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
