"""Who is using a staff page, as the server knows them (never from a field on the page).

The server (:mod:`assessment.serve`) starts a staff page's kernel only for a signed-in visitor and puts
the session token in the kernel's environment (``SIPING_SESSION``). A page opens a :class:`Session` and
calls :meth:`Session.check` before every decision (submit, move, save a version): a session ended (signed
out, account disabled or reset, expired) refuses the action with :data:`SIGNED_OUT`.
"""

from __future__ import annotations

import os
import time

from ..store import Store, StoreError
from ..store.accounts import Identity

__all__ = ["NOT_SIGNED_IN", "SESSION_ENV", "SIGNED_OUT", "Session"]

SESSION_ENV = "SIPING_SESSION"
NOT_SIGNED_IN = "请先登录：这个页面只供工作人员使用（请从首页进入并登录）。"
SIGNED_OUT = "登录已失效（已退出、账户被停用或超过12小时），这次操作没有保存。请刷新页面重新登录。"


def session_token() -> str | None:
    return os.environ.get(SESSION_ENV) or None


class Session:
    """The signed-in person of a page: ``Session(store)`` reads the token the server gave the kernel.

    ``who`` is the person when the page opened (None: nobody — the page shows only :data:`NOT_SIGNED_IN`);
    :meth:`check` asks the database again, before every decision.
    """

    def __init__(self, store: Store, token: str | None = None):
        self.store = store
        self.token = token if token is not None else session_token()
        try:
            self.who: Identity | None = store.accounts.identity(self.token)
        except StoreError:
            self.who = None
        self.checked_at = time.monotonic()

    def check(self, max_age: float = 0.0) -> Identity:
        """The person again, if their session still holds; StoreError(:data:`SIGNED_OUT`) if not.

        ``max_age``: a check made less than that many seconds ago stands (drafts saved while typing do not
        ask the database on every keystroke; a decision — submit, move, save a version — always asks).
        """
        if self.who is None:
            raise StoreError(NOT_SIGNED_IN)
        if max_age and time.monotonic() - self.checked_at < max_age:
            return self.who
        now = self.store.accounts.identity(self.token)
        if now is None or now.name != self.who.name:
            raise StoreError(SIGNED_OUT)
        self.who, self.checked_at = now, time.monotonic()
        return now
