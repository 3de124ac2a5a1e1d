"""Saving a page's draft: at once, again on its own after a database outage, never over another window's.

Both form pages (考评, 支部自评) keep what is typed as a draft in the database. :class:`DraftSaver` is the one
way they write it:

* Every save names the draft version this window last saw (``expected``); the store refuses
  (:class:`~assessment.store.DraftConflict`) when another window of the same person saved, discarded or
  submitted since. The saver then stops saving and says so — no window silently overwrites another.
* When the database does not answer (:class:`~assessment.store.StoreUnavailable`, or anything unexpected),
  the newest form is kept as pending and tried again on a timer with backoff (2 s, 4 s … at most half a
  minute) in the page's kernel; a change typed meanwhile replaces what is pending and goes with the next try
  (a database that does not answer is not asked again at every keystroke). The page says
  "草稿暂未保存，正在重试…" until a save goes through, then "草稿已保存（time）".
* The status only ever claims a save that happened: it is set from the store's answer.

The timer runs on the kernel's event loop (ipykernel runs widget callbacks inside it); outside a kernel
(tests, scripts) there is no loop and the next change or :meth:`DraftSaver.retry_now` tries again.
Tests pass a ``schedule`` of their own to fire the timer when they choose.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any, Protocol

from ..localtime import local_time
from ..store import DraftConflict, StoreError, StoreUnavailable
from .components import Markup, app_logger, macros

__all__ = [
    "RETRYING",
    "RETRY_DELAYS",
    "DraftSaver",
    "Saved",
    "draft_status_html",
    "loop_schedule",
    "recovered_text",
    "saved_text",
]

# Seconds before each retry after a failed save; the last one repeats.
RETRY_DELAYS = (2.0, 4.0, 8.0, 15.0, 30.0)
# Test-only: seconds every draft write waits first, so that a browser test can keep the kernel busy on purpose
# (the overtaking-click test). Unset in production.
TEST_DELAY_ENV = "ASSESSMENT_TEST_DRAFT_DELAY"
RETRYING = "草稿暂未保存，正在重试…（数据库暂时无法连接；已输入的内容仍在本页，请不要关闭页面）"


def saved_text(at) -> str:
    return f"草稿已自动保存（{local_time(at, seconds=True)}）"


def recovered_text(at) -> str:
    return f"数据库已恢复连接，草稿已保存（{local_time(at, seconds=True)}）"


def draft_status_html(text: str, warning: bool) -> Markup:
    """The saver's status line (``.siping-draft-status``, ``warn`` while the draft is not saved)."""
    return macros("components.html.j2").draft_status(text, warning)


class Saved(Protocol):
    """What a store's draft write returns: the new version and when it was written."""

    version: str
    updated_at: Any


class Handle(Protocol):
    def cancel(self) -> None: ...


Schedule = Callable[[float, Callable[[], None]], "Handle | None"]


def loop_schedule(delay: float, callback: Callable[[], None]) -> Handle | None:
    """``callback`` after ``delay`` seconds on the running event loop (the kernel's), or None without one."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop.call_later(delay, callback)


class DraftSaver:
    """Writes one window's draft. ``write(payload, expected)`` stores it (raising the store's errors) and
    returns what was saved (:class:`Saved`), or None when the page itself stopped it (e.g. a revoked code);
    ``report(text, warning)`` shows the status. :meth:`start` when a form is loaded, with the version seen."""

    def __init__(
        self,
        write: Callable[[dict[str, Any], str | None], Saved | None],
        report: Callable[[str, bool], None],
        *,
        schedule: Schedule = loop_schedule,
        delays: tuple[float, ...] = RETRY_DELAYS,
    ):
        self._write = write
        self._report = report
        self._schedule = schedule
        self._delays = delays
        self._timer: Handle | None = None
        self._failures = 0
        self.version: str | None = None  # the version of the stored draft this window last saw (None: none)
        self.pending: dict[str, Any] | None = None  # typed but not yet saved
        self.conflict: DraftConflict | None = None  # set once another window got in between: saving stopped
        self.log = app_logger()

    # ------------------------------------------------------------------ state
    @property
    def retrying(self) -> bool:
        return self.pending is not None and self._failures > 0 and self.conflict is None

    def start(self, version: str | None) -> None:
        """A form was loaded (a branch opened, a draft restored or discarded, a submission made): the window
        now knows the stored draft as ``version``; nothing pending, no retry, saving allowed."""
        self._cancel_timer()
        self.version = version
        self.pending = None
        self.conflict = None
        self._failures = 0

    def stop(self) -> None:
        """Nothing more to save here (another branch opens, the page locks): no timer left behind."""
        self._cancel_timer()
        self.pending = None

    # ------------------------------------------------------------------ saving
    def save(self, payload: dict[str, Any]) -> bool:
        """Save ``payload`` now (it replaces anything pending; while retrying, it goes with the next try);
        True when it is stored."""
        if self.conflict is not None:
            self._report(str(self.conflict), True)
            return False
        self.pending = payload
        if self._failures and self._timer is not None:
            return False
        self._cancel_timer()
        return self._attempt()

    def retry_now(self) -> bool:
        """Try the pending draft again now (what the timer does)."""
        self._cancel_timer()  # (a timer that has fired is cancelled harmlessly)
        if self.pending is None or self.conflict is not None:
            return False
        return self._attempt()

    def _attempt(self) -> bool:
        payload = self.pending
        delay = os.environ.get(TEST_DELAY_ENV)
        if delay:
            time.sleep(float(delay))
        try:
            saved = self._write(payload, self.version)
        except DraftConflict as conflict:
            self.log.warning("draft not saved: another window changed it (%s)", conflict)
            self.conflict = conflict
            self._cancel_timer()
            self._report(str(conflict), True)
            return False
        except StoreUnavailable as away:
            self.log.warning("draft not saved, will retry: %s", away.detail)
            self._failed()
            return False
        except StoreError as refused:  # a refusal in Chinese (e.g. the session ended): trying again won't help
            self.pending = None
            self._report(str(refused), True)
            return False
        except Exception:  # the page says it will retry; the log keeps the traceback
            self.log.exception("draft not saved, will retry")
            self._failed()
            return False
        if saved is None:
            self.stop()
            return False
        recovered = self._failures > 0
        self._failures = 0
        self.version = saved.version
        if self.pending is payload:
            self.pending = None
        self._report(recovered_text(saved.updated_at) if recovered else saved_text(saved.updated_at), False)
        return True

    def _failed(self) -> None:
        delay = self._delays[min(self._failures, len(self._delays) - 1)]
        self._failures += 1
        self._report(RETRYING, True)
        self._cancel_timer()
        self._timer = self._schedule(delay, self._on_timer)

    def _on_timer(self) -> None:
        try:
            self.retry_now()
        except Exception:  # a timer's exception has nowhere else to go
            self.log.exception("draft retry failed")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
