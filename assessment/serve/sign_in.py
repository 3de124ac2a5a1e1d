"""Staff sign-in: the server decides who a visitor is, from a session cookie it set after checking a password.

- ``GET /login?next=…`` — the sign-in page (Chinese, phone-safe); ``POST /login`` checks 姓名 and 密码 (or
  the one-time code of a new or reset account, which then asks for a password) against the database
  (:mod:`assessment.store.accounts`), sets the ``siping_session`` cookie (HttpOnly, SameSite=Lax, Secure
  under https) and returns to ``next``.
- ``POST /logout`` — ends the session in the database and clears the cookie.
- :func:`identity` — who the cookie of a request belongs to (None: nobody): the staff pages start no kernel
  for nobody (:class:`~assessment.serve.handlers.GuardedPage` sends them here), and the kernel of a staff page
  receives the session token in its environment (``SIPING_SESSION``) and asks the database again before
  every decision (:mod:`assessment.pages.identity`).
"""

from __future__ import annotations

import asyncio
import threading
import urllib.parse

from tornado import web

from ..store import Store, StoreError, StoreUnavailable
from ..store.accounts import PASSWORD_MIN_LENGTH, Identity, SignInRefused, account_name
from .base import OwnPage

__all__ = ["SESSION_COOKIE", "Accounts", "SignInPage", "SignOut", "identity"]

SESSION_COOKIE = "siping_session"
SESSION_ENV = "SIPING_SESSION"


class Accounts:
    """The server's one connection to the database, for signing in (opened on first use, in a worker thread)."""

    def __init__(self) -> None:
        self._store: Store | None = None
        self._lock = threading.Lock()

    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store()
            return self._store

    async def run(self, work):
        """``work(store.accounts)`` in a worker thread (scrypt and the database never block the server)."""
        return await asyncio.to_thread(lambda: work(self.store().accounts))


def _accounts(handler: web.RequestHandler) -> Accounts:
    return handler.settings["siping_accounts"]


def session_token(handler: web.RequestHandler) -> str | None:
    return handler.get_cookie(SESSION_COOKIE) or None


async def identity(handler: web.RequestHandler) -> Identity | None:
    """The signed-in person of this request, or None (no cookie, an ended or expired session, a disabled account)."""
    token = session_token(handler)
    if token is None:
        return None
    try:
        return await _accounts(handler).run(lambda accounts: accounts.identity(token))
    except StoreError as error:
        handler.log.warning("sign-in check failed: %s", error)
        return None


def _safe_next(base_url: str, text: str | None) -> str:
    """Where to go after signing in: a page of this server only (never another site)."""
    text = text or ""
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme or parsed.netloc or not text.startswith(base_url) or "\\" in text:
        return base_url
    return text


class SignInPage(OwnPage):
    """The sign-in form and its answer."""

    def check_xsrf_cookie(self) -> None:
        web.RequestHandler.check_xsrf_cookie(self)  # a POST must carry the page's _xsrf (no token bypass)

    def form(self, code: int = 200, *, error: str = "", name: str = "", set_password: bool = False, secret: str = ""):
        target = _safe_next(self.base_url, self.get_argument("next", None))
        title = "这个页面"
        for page in ("evaluate", "overview", "weights"):
            if f"/{page}.ipynb" in target:
                title = {"evaluate": "考评验收页面", "overview": "考评总览页面", "weights": "权重与阈值页面"}[page]
        self.page(
            "sign_in.html",
            code,
            xsrf=self.xsrf_token.decode("ascii"),
            next=target,
            error=error,
            name=name,
            one_time_code=secret,
            set_password=set_password,
            min_length=PASSWORD_MIN_LENGTH,
            page_title=title,
        )

    async def get(self) -> None:
        self.form()

    async def post(self) -> None:
        name = account_name(self.get_body_argument("name", ""))[:40]
        client = self.request.remote_ip or ""
        accounts = _accounts(self)
        try:
            if self.get_body_argument("password", None) is not None:
                code = self.get_body_argument("code", "")
                password, again = self.get_body_argument("password", ""), self.get_body_argument("again", "")
                if password != again:
                    self.form(400, error="两次输入的密码不一致。", name=name, set_password=True, secret=code)
                    return
                try:
                    signed = await accounts.run(lambda a: a.set_password(name, code, password, client=client))
                except (SignInRefused, StoreUnavailable):
                    raise
                except StoreError as error:
                    self.form(400, error=str(error), name=name, set_password=True, secret=code)
                    return
            else:
                secret = self.get_body_argument("secret", "")[:200]
                signed = await accounts.run(lambda a: a.sign_in(name, secret, client=client))
                if signed.needs_password:
                    self.form(name=signed.name, set_password=True, secret=secret)
                    return
        except SignInRefused as refused:
            self.form(403, error=str(refused), name=name)
            return
        except StoreError as error:
            self.log.warning("sign-in failed: %s", error)
            self.form(503, error="暂时无法登录（数据库无法使用），请稍后再试。", name=name)
            return
        self.set_cookie(
            SESSION_COOKIE,
            signed.token or "",
            path=self.base_url,
            httponly=True,
            samesite="Lax",
            secure=self.request.protocol == "https",
        )
        self.redirect(_safe_next(self.base_url, self.get_body_argument("next", None)))


class SignOut(OwnPage):
    def check_xsrf_cookie(self) -> None:
        web.RequestHandler.check_xsrf_cookie(self)

    async def post(self) -> None:
        token = session_token(self)
        if token is not None:
            try:
                await _accounts(self).run(lambda accounts: accounts.end_session(token))
            except StoreError as error:
                self.log.warning("sign-out failed: %s", error)
        self.clear_cookie(SESSION_COOKIE, path=self.base_url)
        self.redirect(self.base_url)
