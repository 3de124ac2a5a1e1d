"""One CJK font for every chart, set up once per process.

Without it matplotlib draws Chinese as boxes and logs a "Glyph … missing from font" warning per
character, which Voila shows on the page as red stderr. Debian's fonts-noto-cjk (needs apt, i.e.
root) gives "Noto Sans CJK SC"; without it we fall back to the same face shipped by the PyPI package
mplfonts. mplfonts also carries fonts whose licences are less clear, so only its Noto Sans CJK SC
file (SIL OFL) is registered, and mplfonts itself is never imported (its import has side effects).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

CJK_FAMILY = "Noto Sans CJK SC"
_MPLFONTS_NOTO_GLOB = "NotoSansCJK*[sS][cC]-Regular.otf"


def _has_family(family: str) -> bool:
    from matplotlib import font_manager

    return any(entry.name == family for entry in font_manager.fontManager.ttflist)


def mplfonts_noto_path() -> Path | None:
    """The Noto Sans CJK SC file inside the installed mplfonts package, or None."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for package_dir in spec.submodule_search_locations:
        matches = sorted(Path(package_dir).glob(f"**/{_MPLFONTS_NOTO_GLOB}"))
        if matches:
            return matches[0]
    return None


def _register_mplfonts_noto() -> str | None:
    from matplotlib import font_manager

    path = mplfonts_noto_path()
    if path is None:
        return None
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def ensure_cjk_font() -> str:
    """Make matplotlib draw Chinese text with a CJK font; return that font's family name.

    Idempotent: later calls find the family already known and only (re)assert the rcParams.
    """
    from matplotlib import rcParams

    if _has_family(CJK_FAMILY):
        family = CJK_FAMILY
    else:
        family = _register_mplfonts_noto()
        if family is None:
            raise RuntimeError(
                "找不到中文字体（Noto Sans CJK SC）：图表中的中文将无法显示。"
                "请以 root 安装 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
                "或在虚拟环境中安装 mplfonts（pip install mplfonts）。"
            )

    sans_serif = [name for name in rcParams["font.sans-serif"] if name != family]
    rcParams["font.sans-serif"] = [family, *sans_serif]
    rcParams["font.family"] = "sans-serif"
    rcParams["axes.unicode_minus"] = False
    return family
