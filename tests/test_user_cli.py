"""``assessment user``: the administrator adds, lists, resets and disables staff accounts from the server's shell."""

from __future__ import annotations

import re

from assessment.cli import main
from assessment.store import Store

pytest_plugins = ["store_support"]


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_time_code(out: str) -> str:
    return re.search(r"一次性登录码：(\S+)", out).group(1)


def test_add_prints_a_one_time_code_that_signs_in_once(capsys, database_url):
    code, out, err = run(
        capsys, "user", "add", "张三", "--role", "街道", "--street", "东城街道", "--database", database_url
    )
    assert code == 0, err
    assert "已添加账户：张三（街道，东城街道）" in out and "只显示这一次" in out
    with Store(database_url) as store:
        signed = store.accounts.sign_in("张三", one_time_code(out), client="cli-test")
        assert signed.needs_password
    code, out, _ = run(capsys, "user", "list", "--database", database_url)
    assert code == 0
    assert out.splitlines()[0] == "姓名\t角色\t街道\t状态\t添加时间\t添加人"
    assert out.splitlines()[1].startswith("张三\t街道\t东城街道\t待设置密码\t")


def test_wrong_input_gets_a_chinese_error_and_changes_nothing(capsys, database_url):
    code, _, err = run(capsys, "user", "add", "张三", "--role", "管理员", "--database", database_url)
    assert code == 2 and "没有账户角色“管理员”，可选：街道、区委、分析" in err
    code, _, err = run(capsys, "user", "add", "张三", "--role", "街道", "--database", database_url)
    assert code == 2 and "请用 --street 写明街道" in err
    code, _, err = run(capsys, "user", "reset", "无此人", "--database", database_url)
    assert code == 2 and "没有名为“无此人”的账户" in err
    code, out, _ = run(capsys, "user", "list", "--database", database_url)
    assert code == 0 and "还没有账户" in out


def test_reset_and_disable(capsys, database_url):
    run(capsys, "user", "add", "李四", "--role", "区委", "--database", database_url)
    code, out, err = run(capsys, "user", "disable", "李四", "--reason", "调离", "--database", database_url)
    assert code == 0 and "已停用账户 李四，原因：调离" in out, err
    code, out, _ = run(capsys, "user", "list", "--database", database_url)
    assert "\t已停用（" in out
    code, out, _ = run(capsys, "user", "reset", "李四", "--database", database_url)
    assert code == 0 and "已重置账户 李四 的密码" in out
    with Store(database_url) as store:
        assert store.accounts.sign_in("李四", one_time_code(out), client="cli-test").needs_password
    code, out, _ = run(capsys, "user", "list", "--database", database_url)
    assert "李四\t区委\t—\t待设置密码\t" in out


def test_the_access_link_opens_whatever_form_the_host_is_given_in():
    from assessment.cli import _page_base

    assert _page_base("127.0.0.1", 8866) == "http://127.0.0.1:8866"
    assert _page_base("127.0.0.1:8871", 8866) == "http://127.0.0.1:8871"  # not …:8871:8866
    assert _page_base("https://zb.example.gov.cn/siping/", 8866) == "https://zb.example.gov.cn/siping"
    assert _page_base("[::1]", 8870) == "http://[::1]:8870"
    # behind nginx: the public address with its path prefix (Voila's base_url), https or not, any port
    assert _page_base("https://dangjian.example.gov.cn/siping/", 8866) == "https://dangjian.example.gov.cn/siping"
    assert _page_base("https://dangjian.example.gov.cn:8443/a/b/", 8866) == "https://dangjian.example.gov.cn:8443/a/b"
    assert _page_base("10.1.2.3:8080/siping/", 8866) == "http://10.1.2.3:8080/siping"
    assert _page_base("dangjian.example.gov.cn/siping", 80) == "http://dangjian.example.gov.cn:80/siping"


def test_a_base_that_is_no_address_is_refused_before_any_code_is_issued(capsys):
    # (the database holds no branch JD001: the address is checked first, so that no code is issued without a link)
    for wrong in ("ftp://x/siping/", "https://x/siping/?a=1", "https://", "x:port/", "https://u@x/"):
        code = main(["access", "issue", "JD001", "--base", wrong, "--database", "sqlite:///:memory:"])
        err = capsys.readouterr().err
        assert code == 2, wrong
        assert "--base 应为主机名、主机:端口，或 http(s):// 开头的地址" in err and wrong in err


def test_access_issue_links_to_the_public_base_address_behind_nginx(capsys, database_url, monkeypatch):
    from assessment.demo.street import generate_demo
    from assessment.rubric import load_rubric

    rubric = load_rubric()
    with Store(database_url, rubric=rubric) as store:
        store.records.import_inputs(
            generate_demo(rubric, year=2025), year=2025, evaluator="演示", rubric_version=rubric.version, source="s"
        )
    # Given the public address in the environment (as /etc/siping/siping.env sets it)
    monkeypatch.setenv("ASSESSMENT_PUBLIC_URL", "https://dangjian.example.gov.cn/siping/")
    code, out, err = run(capsys, "access", "issue", "JD001", "--year", "2025", "--database", database_url)
    assert code == 0, err
    access_code = re.search(r"访问码：(\S+)", out).group(1)
    assert f"链接：https://dangjian.example.gov.cn/siping/voila/render/self_assess.ipynb?code={access_code}" in out
    # And --base wins over the environment
    code, out, err = run(
        capsys,
        "access",
        "issue",
        "JD001",
        "--year",
        "2025",
        "--base",
        "http://10.0.0.5:8080/dj/",
        "--database",
        database_url,
    )
    assert code == 0, err
    access_code = re.search(r"访问码：(\S+)", out).group(1)
    assert f"链接：http://10.0.0.5:8080/dj/voila/render/self_assess.ipynb?code={access_code}" in out
