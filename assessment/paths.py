"""Where the package's own files are, and where it keeps the data it writes.

Files that ship with the package (the rubric YAML, the demo workbooks, the notebooks, the Voila
template and settings) are read through :mod:`importlib.resources`, so they are found the same way
in a checkout, an editable install and an installed wheel. In the source tree they are reached
through links inside the package (``assessment/rubric/default`` → ``rubrics/`` and the like; see
the comment on package data in pyproject.toml); a wheel holds copies.

What the package writes (the default SQLite database) goes to a data directory:
``$ASSESSMENT_DATA_DIR`` if set; else ``data/`` of the checkout when the package runs from its
source tree; else the per-user data directory of the platform (``~/.local/share/siping`` on Linux),
never beside the installed code.

This is the only module that knows where the package sits on disk.
"""

from __future__ import annotations

import atexit
import os
import tomllib
from contextlib import ExitStack
from functools import cache
from importlib.resources import as_file, files
from pathlib import Path

import platformdirs

DATA_DIR_VAR = "ASSESSMENT_DATA_DIR"
RUBRIC_DIR_VAR = "ASSESSMENT_RUBRIC_DIR"
DEMO_WORKBOOK_VAR = "ASSESSMENT_DEMO_WORKBOOK"
DISTRIBUTION = "siping"  # pyproject's [project] name, and the name of the per-user data directory
DATABASE_FILE = "siping.sqlite"
DEMO_YEAR = 2025  # the year of the demo street's main workbook (demo_street.xlsx)

_PACKAGE = __package__  # "assessment"
# Resources that are not plain files on disk (a zipped install) are extracted once, for the process.
_extracted = ExitStack()
atexit.register(_extracted.close)


def _resource(*parts: str) -> Path:
    return _extracted.enter_context(as_file(files(_PACKAGE).joinpath(*parts)))


@cache
def checkout_root() -> Path | None:
    """The source tree the package runs from (a clone, or an editable install of one), else None."""
    root = Path(__file__).resolve().parent.parent
    try:
        with (root / "pyproject.toml").open("rb") as file:
            project = tomllib.load(file).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return root if project.get("name") == DISTRIBUTION else None


def data_dir() -> Path:
    """Where the package writes its data (see the module's docstring); not created here."""
    if os.environ.get(DATA_DIR_VAR, "").strip():
        return Path(os.environ[DATA_DIR_VAR]).expanduser()
    root = checkout_root()
    if root is not None:
        return root / "data"
    return Path(platformdirs.user_data_dir(DISTRIBUTION, appauthor=False))


def database_path() -> Path:
    """The SQLite file the store uses when no database URL is given."""
    return data_dir() / DATABASE_FILE


def demo_output_path(year: int | None = None) -> Path:
    """Where ``assessment demo`` writes the demo street's workbook for ``year`` by default."""
    return data_dir() / "demo" / demo_workbook_name(year)


def demo_workbook_name(year: int | None = None) -> str:
    return "demo_street.xlsx" if year in (None, DEMO_YEAR) else f"demo_street_{year}.xlsx"


def shipped_rubric_dir() -> Path:
    """The rubric that ships with the package (``rubrics/`` of the source tree)."""
    return _resource("rubric", "default")


def rubric_dir() -> Path:
    """``$ASSESSMENT_RUBRIC_DIR``, else the shipped rubric."""
    override = os.environ.get(RUBRIC_DIR_VAR, "").strip()
    return Path(override).expanduser() if override else shipped_rubric_dir()


def shipped_demo_workbook(year: int | None = None) -> Path:
    """The demo street's workbook that ships with the package (``data/demo/`` of the source tree)."""
    return _resource("demo", "workbooks", demo_workbook_name(year))


def demo_workbook() -> Path:
    """``$ASSESSMENT_DEMO_WORKBOOK``, else the shipped demo workbook of :data:`DEMO_YEAR`."""
    override = os.environ.get(DEMO_WORKBOOK_VAR, "").strip()
    return Path(override).expanduser() if override else shipped_demo_workbook()


def notebooks_dir() -> Path:
    """The pages' notebooks that ship with the package (``notebooks/`` of the source tree)."""
    return _resource("serve", "notebooks")


def voila_config_dir() -> Path:
    """The directory holding the package's ``voila.json`` (template, culling, no tracebacks)."""
    return _resource("serve")


def jupyter_data_dir() -> Path:
    """A Jupyter data directory holding the Voila template ``siping`` (``voila/templates/siping``)."""
    return _resource("serve", "jupyter")


def display_path(path: Path) -> str:
    """``path`` as messages show it: relative to the source tree when inside it (``rubrics/x.yaml``)."""
    root = checkout_root()
    if root is not None:
        try:
            return str(path.resolve().relative_to(root))
        except ValueError:
            pass
    return str(path)
