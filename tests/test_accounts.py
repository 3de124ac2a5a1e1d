"""Staff accounts (issue 10): added by the administrator with a one-time code, which the person turns into a
password; sessions the database knows; roles whose permissions are workflow.yaml's data; failed sign-ins
slowed down per account and per client in the database (so a new page or another server does not reset it)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from assessment.store import StoreError
from assessment.store.accounts import PASSWORD_MIN_LENGTH, SignInRefused
from assessment.store.schema import accounts, audit_log, sign_in_failures

pytest_plugins = ["store_support"]  # the fixtures database_url and store

CLIENT = "10.0.0.7"
PASSWORD = "东城考评2026!"


def signed_up(store, name="张三", role="街道", street="东城街道") -> str:
    """An account with its password chosen; returns the session token of the first sign-in."""
    code = store.accounts.add(name, role, street=street, by="管理员")
    return store.accounts.set_password(name, code, PASSWORD, client=CLIENT).token


def test_a_new_account_signs_in_with_its_code_once_and_then_only_with_its_password(store):
    code = store.accounts.add("张三", "街道", street="东城街道", by="管理员")
    # the code as typed from a note: lower case, spaces instead of dashes
    first = store.accounts.sign_in("张三", code.lower().replace("-", " "), client=CLIENT)
    assert first.needs_password and first.token is None
    with pytest.raises(StoreError, match=f"密码至少{PASSWORD_MIN_LENGTH}个字符"):
        store.accounts.set_password("张三", code, "短", client=CLIENT)
    signed = store.accounts.set_password("张三", code, PASSWORD, client=CLIENT)
    assert not signed.needs_password and signed.token
    who = store.accounts.identity(signed.token)
    assert (who.name, who.role.label, who.street) == ("张三", "街道", "东城街道")
    assert who.label == "张三（街道，东城街道）"
    # the code is spent: it no longer signs in, and cannot set another password
    with pytest.raises(SignInRefused, match="姓名或密码不正确"):
        store.accounts.sign_in("张三", code, client=CLIENT)
    with pytest.raises(SignInRefused):
        store.accounts.set_password("张三", code, "另一个密码12345", client=CLIENT)
    again = store.accounts.sign_in("张三", PASSWORD, client=CLIENT)
    assert store.accounts.identity(again.token).name == "张三"
    # only digests are stored
    with store.db.engine.connect() as connection:
        row = connection.execute(sa.select(accounts)).one()
    assert PASSWORD not in repr(tuple(row)) and code not in repr(tuple(row))


def test_the_roles_permissions_come_from_the_rubric(store):
    street = store.accounts.identity(signed_up(store))
    district = store.accounts.identity(signed_up(store, "李四", "区委", None))
    analyst = store.accounts.identity(signed_up(store, "王五", "分析", None))
    assert street.may("score") and street.may("move") and not street.may("rubric")
    assert district.may("move") and not district.may("rubric")
    assert analyst.may("rubric") and not analyst.may("move") and not analyst.may("score")
    assert street.sees("东城街道") and not street.sees("西城街道") and not street.sees(None)
    assert district.sees("西城街道") and analyst.sees(None)
    assert street.role.acts_as == "street" and district.role.acts_as == "district" and analyst.role.acts_as is None


def test_adding_checks_the_role_the_street_and_the_name(store):
    with pytest.raises(StoreError, match="没有账户角色“管理员”，可选：街道、区委、分析"):
        store.accounts.add("张三", "管理员", by="管理员")
    with pytest.raises(StoreError, match="请用 --street 写明街道"):
        store.accounts.add("张三", "街道", by="管理员")
    with pytest.raises(StoreError, match="不写街道"):
        store.accounts.add("张三", "区委", street="东城街道", by="管理员")
    store.accounts.add("张三", "street", street="东城街道", by="管理员")
    with pytest.raises(StoreError, match="已有名为“张三”的账户"):
        store.accounts.add(" 张三 ", "区委", by="管理员")
    assert [(a.name, a.role_label, a.street, a.must_set_password) for a in store.accounts.list()] == [
        ("张三", "街道", "东城街道", True)
    ]


def test_disabling_ends_every_session_and_reset_gives_a_new_code(store):
    token = signed_up(store)
    other = store.accounts.sign_in("张三", PASSWORD, client="10.0.0.8").token
    with pytest.raises(StoreError, match="须写明原因"):
        store.accounts.disable("张三", by="管理员", reason=" ")
    store.accounts.disable("张三", by="管理员", reason="调离")
    assert store.accounts.identity(token) is None and store.accounts.identity(other) is None
    with pytest.raises(SignInRefused, match="姓名或密码不正确"):  # the same words as a wrong password
        store.accounts.sign_in("张三", PASSWORD, client=CLIENT)
    code = store.accounts.reset("张三", by="管理员")
    with pytest.raises(SignInRefused):
        store.accounts.sign_in("张三", PASSWORD, client=CLIENT)  # the old password is gone
    assert store.accounts.set_password("张三", code, "新的密码abcdef", client=CLIENT).token
    with store.db.engine.connect() as connection:
        actions = connection.execute(sa.select(audit_log.c.action, audit_log.c.actor).order_by(audit_log.c.id)).all()
    assert [a for a in actions if a.action.startswith("account")] == [
        ("account_add", "管理员"),
        ("account_password", "张三"),
        ("account_disable", "管理员"),
        ("account_reset", "管理员"),
        ("account_password", "张三"),
    ]


def test_signing_out_ends_the_session_only(store):
    token = signed_up(store)
    other = store.accounts.sign_in("张三", PASSWORD, client=CLIENT).token
    store.accounts.end_session(token)
    assert store.accounts.identity(token) is None
    assert store.accounts.identity(other).name == "张三"
    assert store.accounts.identity("not-a-token") is None and store.accounts.identity("") is None
    assert store.accounts.identity("令牌") is None


def test_failed_sign_ins_slow_down_per_account_in_the_database(store, database_url):
    signed_up(store)
    for _ in range(3):  # three free failures
        with pytest.raises(SignInRefused, match="姓名或密码不正确"):
            store.accounts.sign_in("张三", "错误的密码", client=CLIENT)
    for _ in range(3):  # then each failure doubles the wait (and a try while waiting counts as one)
        with pytest.raises(SignInRefused):
            store.accounts.sign_in("张三", "错误的密码", client=CLIENT)
    with pytest.raises(SignInRefused, match="尝试次数过多") as waited:
        store.accounts.sign_in("张三", PASSWORD, client=CLIENT)  # even the right password waits now
    assert waited.value.wait > 0
    # another client and a new store (another page, another server) wait as well: the count is in the database
    from assessment.store import Store

    with Store(database_url, rubric=store.rubric) as elsewhere:
        with pytest.raises(SignInRefused, match="尝试次数过多"):
            elsewhere.accounts.sign_in("张三", PASSWORD, client="10.9.9.9")
        # once the wait is over (the last failure an hour ago), the right password works and clears the count
        with elsewhere.db.engine.begin() as connection:
            connection.execute(
                sign_in_failures.update().values(last_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61))
            )
        assert elsewhere.accounts.sign_in("张三", PASSWORD, client=CLIENT).token
        with elsewhere.db.engine.connect() as connection:
            keys = {row.key for row in connection.execute(sa.select(sign_in_failures))}
    assert "account:张三" not in keys


def test_a_client_guessing_many_names_is_slowed_down(store):
    for number in range(20):
        with pytest.raises(SignInRefused, match="姓名或密码不正确"):
            store.accounts.sign_in(f"不存在{number}", "猜测的密码", client=CLIENT)
    with pytest.raises(SignInRefused, match="尝试次数过多"):
        store.accounts.sign_in("又一个名字", "猜测的密码", client=CLIENT)


def test_access_code_failures_from_one_address_slow_down_every_page_and_server(store, database_url):
    from assessment.store import AccessDenied, Store

    for _ in range(10):  # ten free failures from one address
        with pytest.raises(AccessDenied) as refused:
            store.access.open_session("K7M2QX9D-AAAA-BBBB-CCCC-DDDD-EEEE", client=CLIENT)
        assert refused.value.wait == 0
    with pytest.raises(AccessDenied) as refused:
        store.access.open_session("K7M2QX9D-AAAA-BBBB-CCCC-DDDD-EEEE", client=CLIENT)
    assert refused.value.wait > 0  # the same plain refusal, now with a wait
    # a new page (another store, as another kernel or server would open) waits as well
    with Store(database_url, rubric=store.rubric) as elsewhere:
        with pytest.raises(AccessDenied) as refused:
            elsewhere.access.open_session("K7M2QX9D-AAAA-BBBB-CCCC-DDDD-EEEE", client=CLIENT)
        assert refused.value.wait > 0
    # another address is not slowed down by this one
    with pytest.raises(AccessDenied) as refused:
        store.access.open_session("K7M2QX9D-AAAA-BBBB-CCCC-DDDD-EEEE", client="10.0.0.99")
    assert refused.value.wait == 0
