"""Staff accounts: who may sign in to the evaluator, 总览 and 权重 pages, and what each may do.

.. code-block:: python

    code = store.accounts.add("张三", "街道", street="东城街道", by="管理员")   # a one-time code, shown once
    signed = store.accounts.sign_in("张三", code, client="10.0.0.7")            # SignIn(needs_password=True)
    store.accounts.set_password("张三", code, "新密码……", client="10.0.0.7")
    token = store.accounts.sign_in("张三", "新密码……", client="10.0.0.7").token  # the cookie's value
    who = store.accounts.identity(token)          # Identity(name, role, street), or None once ended
    who.may("move"), who.sees("西城街道")

What an account role may do is data (``accounts`` in workflow.yaml, :class:`~assessment.rubric.model.AccountRole`),
read from the current rubric version; a version written before accounts existed uses the package's rubric.

Passwords and one-time codes are kept like access codes: a salted scrypt digest, never the text. A
session is a random 256-bit token in the visitor's cookie; the database keeps its SHA-256 digest.
Failed sign-ins slow down per account and per client (:class:`Throttle`), in the database, so the
slowdown holds across pages, kernels and servers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..rubric import Rubric, load_rubric
from ..rubric.model import AccountRole, Permission
from .access_codes import ALPHABET, CodeHash, hash_secret, verify_secret
from .database import Database, now
from .model import StoreError
from .rubric_versions import RubricVersions
from .schema import account_sessions, accounts
from .throttle import Throttle

__all__ = [
    "PASSWORD_MIN_LENGTH",
    "SESSION_HOURS",
    "Account",
    "Accounts",
    "Identity",
    "SignIn",
    "SignInRefused",
    "account_name",
]

PASSWORD_MIN_LENGTH = 8
SESSION_HOURS = 12  # a working day: sign in once in the morning
ONE_TIME_GROUPS = 3  # XXXX-XXXX-XXXX: 60 bits, good for one sign-in, and slowed down like a password
REFUSED = "姓名或密码不正确。"


@dataclass(frozen=True)
class Account:
    name: str
    role: str  # an account role id (workflow.yaml accounts)
    role_label: str
    street: str | None
    must_set_password: bool
    created_at: dt.datetime
    created_by: str
    disabled_at: dt.datetime | None


@dataclass(frozen=True)
class Identity:
    """The signed-in person, as the server knows them: every record they make names ``name``."""

    name: str
    role: AccountRole
    street: str | None

    def may(self, permission: Permission) -> bool:
        return permission in self.role.may

    def sees(self, street: str | None) -> bool:
        """Whether a branch of ``street`` is within this account's reach."""
        return self.role.scope == "district" or (street is not None and street == self.street)

    @property
    def label(self) -> str:
        where = f"，{self.street}" if self.role.scope == "street" and self.street else ""
        return f"{self.name}（{self.role.label}{where}）"


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: either a session (``token``) or, with a one-time code, the request to choose a password."""

    name: str
    needs_password: bool
    token: str | None = None


class SignInRefused(StoreError):
    """A sign-in refused; ``wait`` is how many seconds the visitor must wait before the next try (0: none)."""

    def __init__(self, message: str, wait: float = 0.0):
        super().__init__(message)
        self.wait = wait


def _one_time_code() -> str:
    groups = ["".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(ONE_TIME_GROUPS)]
    return "-".join(groups)


def _typed_code(text: str) -> str:
    """A one-time code as typed (case, dashes and spaces aside); a password is used as it is."""
    return text.strip().upper().replace("-", "").replace(" ", "")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def account_name(text: str | None) -> str:
    """A name as accounts are kept and looked up: inner runs of spaces as one, none at the ends."""
    return " ".join((text or "").split())


def _clean_name(name: str) -> str:
    cleaned = account_name(name)
    if not cleaned or len(cleaned) > 40:
        raise StoreError("姓名不能为空，且不超过40个字")
    return cleaned


class Accounts:
    """The staff accounts of one database (``store.accounts``)."""

    def __init__(self, db: Database, rubrics: RubricVersions):
        self.db = db
        self.rubrics = rubrics
        self.per_account = Throttle(db, free=3)
        # A district's staff may share one address (NAT): a client gets more free failures than an account.
        self.per_client = Throttle(db, free=20)

    # ------------------------------------------------------------------ roles
    def roles(self) -> tuple[AccountRole, ...]:
        """The account roles of the current rubric version (or of the package's rubric, for a version without them)."""
        return _roles(self.rubrics.rubric)

    def role(self, text: str) -> AccountRole:
        found = next((r for r in self.roles() if text in (r.id, r.label)), None)
        if found is None:
            known = "、".join(r.label for r in self.roles())
            raise StoreError(f"没有账户角色“{text}”，可选：{known}")
        return found

    # ------------------------------------------------------------------ administration (the command line)
    def add(self, name: str, role: str, *, street: str | None = None, by: str) -> str:
        """Add an account; returns its one-time code (shown once: the person chooses a password with it)."""
        name, found = _clean_name(name), self.role(role)
        street = (street or "").strip() or None
        if found.scope == "street" and street is None:
            raise StoreError(f"“{found.label}”账户只管本街道的支部：请用 --street 写明街道")
        if found.scope == "district" and street is not None:
            raise StoreError(f"“{found.label}”账户管全区，不写街道（去掉 --street）")
        code = _one_time_code()
        hashed = hash_secret(_typed_code(code))
        at = now()

        def work(connection: Connection) -> None:
            exists = connection.execute(sa.select(accounts.c.id).where(accounts.c.name == name)).first()
            if exists is not None:
                raise StoreError(f"已有名为“{name}”的账户（同名的人请加以区分，例如“{name}（东城）”）")
            connection.execute(
                accounts.insert().values(
                    name=name,
                    role=found.id,
                    street=street,
                    kdf=hashed.kdf,
                    salt=hashed.salt,
                    digest=hashed.digest,
                    must_set_password=True,
                    created_at=at,
                    created_by=by,
                )
            )
            Database.audit(connection, "account_add", by, at, detail={"name": name, "role": found.id, "street": street})

        self.db.write(work)
        return code

    def reset(self, name: str, *, by: str) -> str:
        """A new one-time code for ``name`` (forgotten password, or re-enabling a disabled account);
        the old password and every session of the account end."""
        code = _one_time_code()
        hashed = hash_secret(_typed_code(code))
        at = now()

        def work(connection: Connection) -> None:
            row = self._row(connection, name)
            connection.execute(
                accounts.update()
                .where(accounts.c.id == row.id)
                .values(
                    kdf=hashed.kdf,
                    salt=hashed.salt,
                    digest=hashed.digest,
                    must_set_password=True,
                    disabled_at=None,
                    disabled_by=None,
                    disable_reason=None,
                )
            )
            self._end_sessions(connection, row.id, at)
            self.per_account.succeeded(connection, f"account:{row.name}")
            Database.audit(connection, "account_reset", by, at, detail={"name": row.name})

        self.db.write(work)
        return code

    def disable(self, name: str, *, by: str, reason: str) -> None:
        """The account can no longer sign in; its sessions end at once (open pages refuse their next action)."""
        reason = (reason or "").strip()
        if not reason:
            raise StoreError("停用账户须写明原因（--reason）")
        at = now()

        def work(connection: Connection) -> None:
            row = self._row(connection, name)
            connection.execute(
                accounts.update()
                .where(accounts.c.id == row.id)
                .values(disabled_at=at, disabled_by=by, disable_reason=reason)
            )
            self._end_sessions(connection, row.id, at)
            Database.audit(connection, "account_disable", by, at, detail={"name": row.name, "reason": reason})

        self.db.write(work)

    def list(self) -> list[Account]:
        labels = {r.id: r.label for r in self.roles()}
        rows = self.db.read(lambda c: c.execute(sa.select(accounts).order_by(accounts.c.id)).all())
        return [
            Account(
                name=row.name,
                role=row.role,
                role_label=labels.get(row.role, row.role),
                street=row.street,
                must_set_password=bool(row.must_set_password),
                created_at=row.created_at,
                created_by=row.created_by,
                disabled_at=row.disabled_at,
            )
            for row in rows
        ]

    # ------------------------------------------------------------------ signing in (the server's sign-in page)
    def sign_in(self, name: str, secret: str, *, client: str) -> SignIn:
        """Check ``secret`` (the password, or the one-time code of a new or reset account).

        Refused (:class:`SignInRefused`, one message whatever was wrong) while the account or the client
        must wait after earlier failures; every refusal is counted. With a one-time code nothing is opened
        yet: the page asks for a new password (:meth:`set_password`).
        """
        name = account_name(name)
        at = now()
        self._check_wait(name, client, at)
        row = self.db.read(lambda c: c.execute(sa.select(accounts).where(accounts.c.name == name)).first())
        stored = CodeHash(row.kdf, row.salt, row.digest) if row is not None else None
        typed = _typed_code(secret or "") if row is not None and row.must_set_password else (secret or "")
        ok = verify_secret(typed, stored) and row is not None and row.disabled_at is None
        if not ok:
            self._failed(name, client, at)
            raise SignInRefused(REFUSED)
        if row.must_set_password:
            return SignIn(name=row.name, needs_password=True)
        token = secrets.token_urlsafe(32)

        def work(connection: Connection) -> None:
            self.per_account.succeeded(connection, f"account:{row.name}")
            connection.execute(
                account_sessions.insert().values(
                    token_digest=_digest(token),
                    account_id=row.id,
                    client=client,
                    created_at=at,
                    expires_at=at + dt.timedelta(hours=SESSION_HOURS),
                )
            )

        self.db.write(work)
        return SignIn(name=row.name, needs_password=False, token=token)

    def set_password(self, name: str, one_time_code: str, password: str, *, client: str) -> SignIn:
        """Replace the one-time code by the person's password, and sign them in."""
        if len(password or "") < PASSWORD_MIN_LENGTH:
            raise StoreError(f"密码至少{PASSWORD_MIN_LENGTH}个字符")
        checked = self.sign_in(name, one_time_code, client=client)
        if not checked.needs_password:  # the code was already used: the account has a password
            self.end_session(checked.token or "")
            raise SignInRefused(REFUSED)
        if _typed_code(password) == _typed_code(one_time_code):
            raise StoreError("新密码不能与一次性登录码相同")
        hashed = hash_secret(password)
        at = now()

        def work(connection: Connection) -> None:
            row = self._row(connection, checked.name)
            connection.execute(
                accounts.update()
                .where(accounts.c.id == row.id, accounts.c.must_set_password.is_(True))
                .values(kdf=hashed.kdf, salt=hashed.salt, digest=hashed.digest, must_set_password=False)
            )
            Database.audit(connection, "account_password", row.name, at, detail={"client": client})

        self.db.write(work)
        return self.sign_in(checked.name, password, client=client)

    def identity(self, token: str | None) -> Identity | None:
        """Who holds the session ``token``: None if there is none, or it ended, expired, or its account was disabled."""
        if not token or len(token) > 100:
            return None
        at = now()

        def work(connection: Connection):
            return connection.execute(
                sa.select(accounts.c.name, accounts.c.role, accounts.c.street)
                .select_from(account_sessions.join(accounts, accounts.c.id == account_sessions.c.account_id))
                .where(
                    account_sessions.c.token_digest == _digest(token),
                    account_sessions.c.ended_at.is_(None),
                    account_sessions.c.expires_at > at,
                    accounts.c.disabled_at.is_(None),
                )
            ).first()

        try:
            row = self.db.read(work)
        except UnicodeEncodeError:
            return None
        if row is None:
            return None
        role = next((r for r in self.roles() if r.id == row.role), None)
        if role is None:  # the role was renamed or removed from the rubric: the account may do nothing
            return None
        return Identity(name=row.name, role=role, street=row.street)

    def end_session(self, token: str) -> None:
        """Sign out (the session ``token`` ends; its open pages refuse their next action)."""
        if not token:
            return
        at = now()
        self.db.write(
            lambda c: c.execute(
                account_sessions.update()
                .where(account_sessions.c.token_digest == _digest(token), account_sessions.c.ended_at.is_(None))
                .values(ended_at=at)
            )
        )

    # ------------------------------------------------------------------ helpers
    def _check_wait(self, name: str, client: str, at: dt.datetime) -> None:
        def work(connection: Connection) -> float:
            return max(
                self.per_account.wait(connection, f"account:{name}", at),
                self.per_client.wait(connection, f"client:{client}", at),
            )

        wait = self.db.read(work)
        if wait > 0:
            self._failed(name, client, at)
            raise SignInRefused(f"尝试次数过多，请 {int(wait) + 1} 秒后再试。", wait)

    def _failed(self, name: str, client: str, at: dt.datetime) -> None:
        def work(connection: Connection) -> None:
            self.per_account.failed(connection, f"account:{name}", at)
            self.per_client.failed(connection, f"client:{client}", at)

        self.db.write(work)

    @staticmethod
    def _row(connection: Connection, name: str):
        row = connection.execute(sa.select(accounts).where(accounts.c.name == account_name(name))).first()
        if row is None:
            raise StoreError(f"没有名为“{name}”的账户（python -m assessment user list 列出全部账户）")
        return row

    @staticmethod
    def _end_sessions(connection: Connection, account_id: int, at: dt.datetime) -> None:
        connection.execute(
            account_sessions.update()
            .where(account_sessions.c.account_id == account_id, account_sessions.c.ended_at.is_(None))
            .values(ended_at=at)
        )


def _roles(rubric: Rubric) -> tuple[AccountRole, ...]:
    if rubric.workflow.accounts is not None:
        return rubric.workflow.accounts
    return load_rubric().workflow.accounts or ()
