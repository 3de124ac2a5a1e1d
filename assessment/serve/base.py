"""What the server's own pages share: the templates (autoescaped Jinja2, nothing from outside the server)
and the handler base of a page of ours."""

from __future__ import annotations

import jinja2
from jupyter_server.base.handlers import JupyterHandler

__all__ = ["OwnPage", "render"]

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("assessment.serve", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render(template: str, /, **values) -> str:
    """One of the server's own pages (autoescaped Jinja2, no resource from outside the server)."""
    return _templates.get_template(template).render(**values)


class OwnPage(JupyterHandler):
    """A page of ours: Chinese, phone-safe, escaped; not behind Voila's sign-in."""

    def page(self, template: str, code: int = 200, **values) -> None:
        self.set_status(code)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(render(template, base_url=self.base_url, **values))

    def write_error(self, status_code: int, **kwargs) -> None:
        self.page("not_found.html" if status_code == 404 else "error.html", status_code, status=status_code)

    def check_xsrf_cookie(self) -> None:  # GET-only pages
        return None
