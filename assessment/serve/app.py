"""Voila as this project serves it: ``python -m assessment.serve [notebooks dir] [options]``.

Standalone Voila (a visitor cannot run code) with the project's guards (:mod:`assessment.serve.handlers`)
and a log that hides access codes (:mod:`assessment.serve.logs`), and with what the pages need, found in
this package wherever it is installed:

- the settings in ``voila.json`` beside this module (template ``siping``, culling of idle kernels, no
  tracebacks on a page, the executor's timeout), read after any ``voila.json`` in the working directory
  or Jupyter's config directories, which still override them;
- the Voila template ``siping`` in ``jupyter/voila/templates/siping`` (no CDN: see its index.html.j2),
  found by putting ``jupyter/`` first on ``JUPYTER_PATH``, the path Voila searches for templates;
- the pages' notebooks (``notebooks/``) when no directory or notebook is named.

Settings of its own, on the command line or in ``voila.json`` under ``SipingVoila``:

- ``--SipingVoila.mode=internal|public`` — the internal server serves every page; the public server only
  the branch page (the link sent to secretaries), every other page answers 404;
- ``max_kernels`` — live kernels (open pages) at most; past it a page gets "服务器繁忙，请稍后再试" (503);
- ``max_starting`` / ``queue_timeout`` — pages starting at once, and how long a page waits for its turn;
- ``idle_minutes`` — a page left open without input this long stops itself and ends its kernel (the page
  template's idle timer; 0: never);
- ``trust_xheaders`` — behind nginx (deploy/): take the client's address and scheme from ``X-Real-IP`` /
  ``X-Forwarded-For`` / ``X-Forwarded-Proto``, so that sign-in throttling counts per visitor, not per proxy,
  and the session cookie is ``Secure`` under https. Only for a server that nothing but the proxy can reach.
"""

from __future__ import annotations

import logging
import os

from jupyter_server.services.kernels.handlers import _kernel_id_regex
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from traitlets import Bool, Enum, Float, Int, List, Unicode, default
from voila.app import Voila

from .. import paths
from .handlers import KERNEL_ENV, GuardedPage, Limits, NotFound, StartPage, V1KernelWebsocket
from .logs import hide_access_codes
from .sign_in import Accounts, SignInPage, SignOut

__all__ = ["SipingKernelManager", "SipingVoila", "main"]

# Headers every response of ours and of Voila's handlers carries (JupyterHandler.set_default_headers):
# a page address may hold an access code, so it never travels on as a Referer.
HEADERS = {"Referrer-Policy": "no-referrer"}


def add_template_path() -> None:
    """Put the package's Jupyter data directory (the ``siping`` template) first on ``JUPYTER_PATH``."""
    ours = str(paths.jupyter_data_dir())
    others = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p and p != ours]
    os.environ["JUPYTER_PATH"] = os.pathsep.join([ours, *others])


class SipingKernelManager(AsyncMappingKernelManager):
    """Starts kernels with what the page request put in :data:`~assessment.serve.handlers.KERNEL_ENV`."""

    async def start_kernel(self, *args, env=None, **kwargs):
        extra = KERNEL_ENV.get()
        if extra:
            env = {**(env or {}), **extra}
        return await super().start_kernel(*args, env=env, **kwargs)


class SipingVoila(Voila):
    """Voila with the project's page list, limits, websocket guard and log filter."""

    name = "voila"  # read voila.json like Voila does

    mode = Enum(
        ("internal", "public"),
        default_value="internal",
        config=True,
        help="internal：全部页面（工作人员登录后使用）；public：只提供支部自评页面。",
    )
    max_kernels = Int(40, config=True, help="同时打开的页面（内核）上限；超过时新页面显示“服务器繁忙”（HTTP 503）。")
    max_starting = Int(2, config=True, help="同时启动的页面数；其余按先后排队。")
    queue_timeout = Float(120.0, config=True, help="页面排队等待启动的最长秒数；超过时显示“服务器繁忙”。")
    idle_minutes = Float(
        60.0,
        config=True,
        help="页面打开后多少分钟无人操作即暂停并结束其内核（释放内存）；0 表示不暂停。",
    )
    trust_xheaders = Bool(
        False,
        config=True,
        help="在 nginx 之后运行时打开：按 X-Real-IP、X-Forwarded-Proto 认定访问者地址和 https（服务器只应让 nginx 访问）。",
    )
    extra_pages = List(
        Unicode(),
        config=True,
        help="除四个页面外另外提供的笔记本文件名（只供测试和性能基准使用，不需登录，不要用于正式服务）。",
    )

    @default("config_file_paths")
    def _config_file_paths_default(self):
        # The first path wins, so ours comes last: a voila.json an administrator puts beside still applies.
        return [*super()._config_file_paths_default(), str(paths.voila_config_dir())]

    def initialize(self, argv=None):
        add_template_path()
        super().initialize(argv)
        if not self.extra_args and not self.notebook_path and "root_dir" not in self.config.Voila:
            self.root_dir = str(paths.notebooks_dir())
        self.voila_configuration.multi_kernel_manager_class = (
            f"{SipingKernelManager.__module__}.{SipingKernelManager.__qualname__}"
        )
        self.tornado_settings = {
            **self.tornado_settings,
            "headers": {**self.tornado_settings.get("headers", {}), **HEADERS},
            "siping_accounts": Accounts(),
            "siping_limits": Limits(
                self.mode, self.max_kernels, self.max_starting, self.queue_timeout, tuple(self.extra_pages)
            ),
        }
        # The page template reads its settings from the template's resources (VoilaConfiguration.resources,
        # which Voila reads from the config on every page).
        resources = {**self.voila_configuration.resources, "siping_idle_minutes": self.idle_minutes}
        self.voila_configuration.config.VoilaConfiguration.resources = resources
        hide_access_codes(self.log, logging.getLogger())

    def listen(self):
        if self.trust_xheaders:  # Voila's listen() calls app.listen(port, ip): the HTTP server takes xheaders
            listen = self.app.listen
            self.app.listen = lambda port, address="", **kwargs: listen(port, address, xheaders=True, **kwargs)
        super().listen()

    def init_handlers(self) -> list:
        voila = super().init_handlers()
        render = {
            "template_paths": self.template_paths,
            "config": self.config,
            "voila_configuration": self.voila_configuration,
        }
        ours = [
            (self.server_url, StartPage),
            # the public server has no staff: no sign-in there
            (url_path_join(self.server_url, "login"), SignInPage if self.mode == "internal" else NotFound),
            (url_path_join(self.server_url, "logout"), SignOut if self.mode == "internal" else NotFound),
            (url_path_join(self.server_url, r"/voila/tree(/.*)?"), NotFound),
            (url_path_join(self.server_url, r"/voila/api/contents(/.*)?"), NotFound),
            (url_path_join(self.server_url, r"/voila/render/(.*)"), GuardedPage, render),
            (url_path_join(self.server_url, rf"/api/kernels/{_kernel_id_regex}/channels"), V1KernelWebsocket),
        ]
        # Tornado takes the first match: ours come first and stand in for Voila's at the same addresses.
        return ours + voila


def main(argv: list[str] | None = None) -> None:
    SipingVoila.launch_instance(argv)
