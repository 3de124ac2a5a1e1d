"""Failed attempts counted in the database (sign-ins, access codes), so that a slowdown holds across pages,
kernels and servers."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .database import Database, insert_for
from .schema import sign_in_failures

__all__ = ["Throttle"]


class Throttle:
    """Failed attempts per key (``account:张三``, ``client:10.0.0.7``, ``code:K7M2QX9D``), in the database.

    ``free`` failures cost nothing; each one after doubles the wait (1 s, 2 s, 4 s … at most ``cap``
    seconds) counted from the last failure. A key whose last failure is older than ``forget`` starts over.
    """

    def __init__(self, db: Database, *, free: int, cap: float = 300.0, forget: dt.timedelta = dt.timedelta(hours=1)):
        self.db, self.free, self.cap, self.forget = db, free, cap, forget

    def wait(self, connection: Connection, key: str, at: dt.datetime) -> float:
        row = connection.execute(sa.select(sign_in_failures).where(sign_in_failures.c.key == key)).first()
        if row is None or at - row.last_at > self.forget or row.failures < self.free:
            return 0.0
        delay = min(2.0 ** (row.failures - self.free), self.cap)
        return max(0.0, delay - (at - row.last_at).total_seconds())

    def failed(self, connection: Connection, key: str, at: dt.datetime) -> None:
        row = connection.execute(sa.select(sign_in_failures).where(sign_in_failures.c.key == key)).first()
        failures = 1 if row is None or at - row.last_at > self.forget else row.failures + 1
        insert = insert_for(connection)
        statement = insert(sign_in_failures).values(key=key, failures=failures, last_at=at)
        connection.execute(
            statement.on_conflict_do_update(index_elements=["key"], set_={"failures": failures, "last_at": at})
        )

    def succeeded(self, connection: Connection, key: str) -> None:
        connection.execute(sign_in_failures.delete().where(sign_in_failures.c.key == key))
