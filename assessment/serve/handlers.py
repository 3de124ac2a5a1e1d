"""The server's own pages and guards, in front of Voila's.

- :class:`StartPage` — the root address: a Chinese page listing the pages this server serves (never
  Voila's English file list; ``/voila/tree`` answers 404).
- :class:`GuardedPage` — ``/voila/render/<notebook>``: only the notebooks of :mod:`assessment.pages.registry`
  that this server serves (anything else 404); at most ``max_kernels`` live kernels (past it a Chinese
  "服务器繁忙" page with HTTP 503 that starts nothing); at most ``max_starting`` pages starting at once,
  the others wait their turn up to ``queue_timeout`` seconds (a burst of secretaries gets pages one after
  the other instead of every page timing out at once); the page sets the ``_xsrf`` cookie that Voila's
  "tab closed" beacon needs to shut the kernel down.
- :class:`V1KernelWebsocket` — a kernel websocket must speak the v1 protocol browsers use: Voila 0.5.13's
  legacy-protocol path can be made to loop on the server's main thread by one message.

Every page of ours sends ``Referrer-Policy: no-referrer`` (set for all handlers in the app's settings).
"""

from __future__ import annotations

import asyncio
import contextvars
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from jupyter_server.utils import url_path_join
from tornado import web
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from ..pages.registry import page_for, pages_served
from .base import OwnPage, render
from .sign_in import SESSION_ENV, identity, session_token

__all__ = [
    "KERNEL_ENV",
    "GuardedPage",
    "Limits",
    "NotFound",
    "StartPage",
    "V1KernelWebsocket",
    "render",
]

V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"

# Variables the page request adds to the environment of the kernel it starts (read by the kernel
# manager's start_kernel, which runs in the same request task): only the server sets them.
KERNEL_ENV: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar("siping_kernel_env", default=None)


@dataclass
class Limits:
    """How much one server takes on; set from :class:`~assessment.serve.app.SipingVoila`'s settings."""

    mode: str
    max_kernels: int
    max_starting: int
    queue_timeout: float
    extra_pages: tuple[str, ...] = ()
    _starting: asyncio.Semaphore | None = None
    in_flight: int = 0  # page requests past the cap check whose kernel may not be listed yet

    @property
    def starting(self) -> asyncio.Semaphore:
        if self._starting is None:  # made on first use, inside the server's event loop
            self._starting = asyncio.Semaphore(self.max_starting)
        return self._starting


def _limits(handler: web.RequestHandler) -> Limits:
    return handler.settings["siping_limits"]


class StartPage(OwnPage):
    async def get(self) -> None:
        limits = _limits(self)
        who = await identity(self) if limits.mode == "internal" else None
        self.page(
            "start.html",
            pages=pages_served(limits.mode),
            public=limits.mode == "public",
            identity=who,
            # reading it also sets the _xsrf cookie the pages' forms and beacons send back
            xsrf=self.xsrf_token.decode("ascii"),
        )


class NotFound(OwnPage):
    def get(self, *args) -> None:
        raise web.HTTPError(404)

    post = put = delete = get


class GuardedPage(TornadoVoilaHandler):
    """Voila's page handler behind this server's page list, kernel cap and start queue."""

    def write_error(self, status_code: int, **kwargs) -> None:
        template = {404: "not_found.html", 503: "busy.html"}.get(status_code, "error.html")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        if status_code == 503:
            self.set_header("Retry-After", "30")
        self.finish(render(template, base_url=self.base_url, status=status_code))

    async def get(self, path: str | None = None):
        limits = _limits(self)
        page = page_for(path or "", limits.mode)
        if page is None and (path or "") not in limits.extra_pages:
            raise web.HTTPError(404)
        token = None
        if page is not None and page.staff:  # a staff page opens only for a signed-in person
            if await identity(self) is None:
                target = url_path_join(self.base_url, "voila/render", path or "")
                if self.request.query:
                    target += "?" + self.request.query
                self.redirect(url_path_join(self.base_url, "login") + "?" + urllib.parse.urlencode({"next": target}))
                return
            token = session_token(self)
        live = len(self.kernel_manager.list_kernel_ids()) + limits.in_flight
        if live >= limits.max_kernels:
            self.log.warning("busy: %d kernels live or starting (cap %d): 503 for %s", live, limits.max_kernels, path)
            raise web.HTTPError(503)
        limits.in_flight += 1
        try:
            try:
                await asyncio.wait_for(limits.starting.acquire(), timeout=limits.queue_timeout)
            except TimeoutError:
                self.log.warning("busy: waited %.0f s for a start slot: 503 for %s", limits.queue_timeout, path)
                raise web.HTTPError(503) from None
            try:
                # Voila's unload beacon posts the _xsrf cookie to /voila/api/shutdown: make sure it exists.
                self.xsrf_token  # noqa: B018 - reading it sets the cookie
                KERNEL_ENV.set(self.kernel_env(token))
                await super().get(path)
            finally:
                limits.starting.release()
        finally:
            limits.in_flight -= 1

    def kernel_env(self, token: str | None) -> dict[str, str]:
        """What the kernel learns of the request from the server (never from the page): the server's mode,
        the client's address and, on a staff page, the session (the kernel asks the database who it is)."""
        env = {"SIPING_SERVER_MODE": _limits(self).mode, "SIPING_CLIENT": self.request.remote_ip or ""}
        if token is not None:
            env[SESSION_ENV] = token
        return env


class V1KernelWebsocket(VoilaKernelWebsocketHandler):
    """Refuses a kernel websocket that does not ask for the v1 subprotocol (before any kernel is reached)."""

    async def get(self, kernel_id: str, *args, **kwargs):
        offered = {p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",")}
        if V1_PROTOCOL not in offered:
            self.log.warning("kernel websocket without %s refused", V1_PROTOCOL)
            self.set_status(400)
            self.finish("kernel websocket: subprotocol v1.kernel.websocket.jupyter.org required")
            return
        await super().get(kernel_id, *args, **kwargs)


def template_files() -> list[str]:
    """The server's own templates (for the package-data test)."""
    return sorted(entry.name for entry in resources.files("assessment.serve").joinpath("templates").iterdir())
