"""The package as a user installs it: a wheel in a fresh venv, away from the checkout.

The wheel is built from a copy of the source tree (links kept, so the package data reached through
assessment/rubric/default and the like is what setuptools copies), installed with ``pip install
--no-deps`` into a new venv outside the repository, and run from a working directory outside it.
The new venv borrows the dependencies of the project's venv through a ``.pth`` line naming that
venv's site-packages only: a path named in a ``.pth`` file does not have its own ``.pth`` files run,
so the editable install's finder (which would lead ``import assessment`` back to the checkout) stays
out, and the test asserts that ``assessment`` is the installed copy.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
# What a clone holds that is not source: caches, the venv, build output, databases, test artifacts.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*cache", ".hypothesis", "test-artifacts", "*.sqlite*"
)
SERVER_START_TIMEOUT = 90.0
PAGE_TIMEOUT = 120.0


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, (
        f"$ {' '.join(map(str, command))}\nexit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """A venv outside the repository with the wheel installed; its python, environment and places."""
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(REPO)
    source = base / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=NOT_SOURCE)

    wheels = base / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        cwd=base,
        env=dict(os.environ),
    )
    (wheel,) = wheels.glob("siping-*.whl")

    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base, env=dict(os.environ))
    python = venv / "bin" / "python"
    venv_site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=base, env={}).strip()
    )
    (venv_site / "project_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        cwd=base,
        env=dict(os.environ),
    )

    work = base / "work"
    work.mkdir()
    data = base / "data"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ASSESSMENT_", "PYTHON", "JUPYTER", "VIRTUAL_ENV"))
    }
    # The dependencies' Jupyter data (Voila's own templates, which ours extends; nbconvert's) were
    # installed under the project venv's prefix; a real install puts them under the new venv's.
    dependencies_data = Path(sys.prefix) / "share" / "jupyter"
    assert not (dependencies_data / "voila" / "templates" / "siping").exists(), "a siping template beside Voila's"
    env.update(
        JUPYTER_PATH=str(dependencies_data),
        ASSESSMENT_DATA_DIR=str(data),
        PATH=os.pathsep.join([str(venv / "bin"), env.get("PATH", "")]),
        HOME=str(base / "home"),  # no per-user Jupyter or matplotlib settings of the machine
    )
    return {"python": str(python), "venv": venv, "site": venv_site, "work": work, "data": data, "env": env}


def _python(installed: dict, *args: str, timeout: float = 300) -> str:
    return _run([installed["python"], *args], cwd=installed["work"], env=installed["env"], timeout=timeout)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    where = json.loads(
        _python(
            installed,
            "-c",
            "import json, assessment, assessment.paths as p;"
            "print(json.dumps({'package': assessment.__file__, 'checkout': str(p.checkout_root()),"
            " 'data': str(p.data_dir()), 'rubric': str(p.rubric_dir()), 'notebooks': str(p.notebooks_dir())}))",
        )
    )
    site = installed["site"].resolve()
    assert Path(where["package"]).resolve().is_relative_to(site)
    assert where["checkout"] == "None"
    assert Path(where["data"]) == installed["data"]
    for shipped in ("rubric", "notebooks"):
        assert Path(where[shipped]).resolve().is_relative_to(site), where
        assert not Path(where[shipped]).is_symlink()


def test_the_installed_command_line_loads_the_rubric_and_writes_the_template_and_the_demo(installed):
    assert "检查通过" in _python(installed, "-m", "assessment", "rubric", "check")

    _python(installed, "-m", "assessment", "template", "模板.xlsx")
    assert (installed["work"] / "模板.xlsx").stat().st_size > 0

    out = _python(installed, "-m", "assessment", "demo")
    default_demo = installed["data"] / "demo" / "demo_street.xlsx"
    assert default_demo.is_file() and str(default_demo) in out


def test_the_installed_command_line_upgrades_a_new_database_and_defaults_to_the_data_directory(installed):
    demo = installed["work"] / "演示.xlsx"
    _python(installed, "-m", "assessment", "demo", "--out", str(demo))

    # Given an empty SQLite file named on the command line: import upgrades it from nothing.
    fresh = installed["work"] / "fresh.sqlite"
    _python(installed, "-m", "assessment", "import", str(demo), "--year", "2025", "--database", f"sqlite:///{fresh}")
    head = ScriptDirectory(str(installed["site"] / "assessment" / "store" / "migrations")).get_current_head()
    with sqlite3.connect(fresh) as connection:
        (version,) = connection.execute("select version_num from alembic_version").fetchone()
        (branches,) = connection.execute("select count(*) from branches").fetchone()
    assert head is not None and version == head
    assert branches > 0

    # Without --database (and no ASSESSMENT_DATABASE_URL) the database is made in ASSESSMENT_DATA_DIR.
    _python(installed, "-m", "assessment", "import", str(demo), "--year", "2025")
    assert (installed["data"] / "siping.sqlite").is_file()
    assert not list(installed["venv"].rglob("*.sqlite"))


def test_the_installed_server_serves_the_shipped_pages_with_the_siping_template(installed):
    port = _free_port()
    log_path = installed["work"] / "voila.log"
    command = [installed["python"], "-m", "assessment.serve", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(command, cwd=installed["work"], env=installed["env"], stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            assert server.poll() is None, log_path.read_text(encoding="utf-8")
            try:
                with urllib.request.urlopen(base, timeout=5):
                    break
            except urllib.error.HTTPError as error:
                pytest.fail(f"{base}: HTTP {error.code}\n{log_path.read_text(encoding='utf-8')}")
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, log_path.read_text(encoding="utf-8")
                time.sleep(0.5)
        # No directory was named and the working directory holds no notebook: the page is the
        # notebook shipped in the package.
        assert not list(installed["work"].glob("*.ipynb"))
        # A staff page asks for a sign-in first (the installed server has the same guards)
        with urllib.request.urlopen(f"{base}voila/render/weights.ipynb", timeout=PAGE_TIMEOUT) as answer:
            assert "工作人员登录" in answer.read().decode("utf-8")
        # The branch page needs no account: it renders in the installed package
        with urllib.request.urlopen(f"{base}voila/render/self_assess.ipynb", timeout=PAGE_TIMEOUT) as answer:
            status, page = answer.status, answer.read().decode("utf-8")
        assert status == 200
        # <title>四评</title> and no CDN come from the siping template (Voila's lab template names the
        # notebook in the title and links Font Awesome from cdn.jsdelivr.net).
        assert "<title>四评</title>" in page
        assert "cdn.jsdelivr.net" not in page
        # The notebook ran in the installed package and displayed the page's widget.
        assert "There was an error when executing cell" not in page
        assert "application/vnd.jupyter.widget-view+json" in page
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
