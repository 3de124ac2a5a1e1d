"""Chinese text in charts: drawn with a CJK font, with no "Glyph … missing" warning."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import warnings

import matplotlib
import pytest
from matplotlib import font_manager, ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from assessment.outputs import fonts

CHINESE = ["组织评定", "党员评议", "群众评价", "上级评审"]


@pytest.fixture(autouse=True)
def _restore_rcparams():
    with matplotlib.rc_context():
        yield


def _clear_font_caches() -> None:
    # findfont memoises its answers; after changing the font list they must be forgotten.
    font_manager.fontManager._findfont_cached.cache_clear()
    font_manager._get_font.cache_clear()


def _draw_chinese_figure() -> tuple[Figure, list[str]]:
    """Draw a small chart labelled in Chinese to PNG; return it and every glyph complaint seen."""
    complaints: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            complaints.append(record.getMessage())

    handler = _Collect(level=logging.DEBUG)
    mpl_logger = logging.getLogger("matplotlib")
    mpl_logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            figure = Figure(figsize=(4, 3))
            FigureCanvasAgg(figure)
            axes = figure.add_subplot()
            axes.bar(CHINESE, [92.5, 88.0, -3.0, 95.0])
            axes.set_title("四评得分：组织评定、党员评议")
            axes.set_xlabel("评定渠道")
            axes.set_ylabel("得分（分）")
            figure.savefig(io.BytesIO(), format="png")
    finally:
        mpl_logger.removeHandler(handler)
    complaints.extend(str(w.message) for w in caught)
    glyph_complaints = [m for m in complaints if "Glyph" in m and "missing" in m]
    return figure, glyph_complaints


def _family_of_file(path: str) -> str:
    """Family name of the face findfont chose (system CJK fonts are collections of faces)."""
    face_index = getattr(path, "face_index", 0)
    return ft2font.FT2Font(str(path), face_index=face_index).family_name


def test_ensure_cjk_font_sets_rcparams_and_is_idempotent():
    family = fonts.ensure_cjk_font()

    assert family == fonts.ensure_cjk_font()
    assert matplotlib.rcParams["font.sans-serif"][0] == family
    assert matplotlib.rcParams["font.sans-serif"].count(family) == 1
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_chinese_chart_draws_without_missing_glyphs():
    family = fonts.ensure_cjk_font()

    figure, glyph_complaints = _draw_chinese_figure()

    assert glyph_complaints == []
    title = figure.axes[0].title
    used_file = font_manager.findfont(title.get_fontproperties(), fallback_to_default=False)
    assert _family_of_file(used_file) == family
    for label in figure.axes[0].get_xticklabels():
        used_file = font_manager.findfont(label.get_fontproperties(), fallback_to_default=False)
        assert _family_of_file(used_file) == family


def test_without_cjk_font_matplotlib_would_complain():
    """The check above can fail: with plain DejaVu Sans the same chart reports missing glyphs."""
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]

    _figure, glyph_complaints = _draw_chinese_figure()

    assert glyph_complaints


def test_mplfonts_file_is_noto_sans_cjk_sc():
    path = fonts.mplfonts_noto_path()

    assert path is not None and path.is_file()
    assert _family_of_file(str(path)) == "Noto Sans CJK SC"
    assert font_manager.FontProperties(fname=str(path)).get_name() == "Noto Sans CJK SC"


def test_falls_back_to_mplfonts_when_system_font_absent(monkeypatch):
    # Given a font list without any system Noto CJK face (as on a machine without fonts-noto-cjk)
    without_cjk = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", without_cjk)
    _clear_font_caches()
    try:
        # When the font is set up
        family = fonts.ensure_cjk_font()

        # Then only mplfonts' Noto file was registered, and Chinese is drawn with it
        mplfonts_path = fonts.mplfonts_noto_path()
        registered = {f.fname for f in font_manager.fontManager.ttflist if "CJK" in f.name}
        assert registered == {str(mplfonts_path)}
        assert family == "Noto Sans CJK SC"
        figure, glyph_complaints = _draw_chinese_figure()
        assert glyph_complaints == []
        used_file = font_manager.findfont(figure.axes[0].title.get_fontproperties(), fallback_to_default=False)
        assert str(used_file) == str(mplfonts_path)
    finally:
        monkeypatch.undo()
        _clear_font_caches()


def test_no_font_at_all_raises_chinese_error(monkeypatch):
    monkeypatch.setattr(fonts, "_has_family", lambda family: False)
    monkeypatch.setattr(fonts, "mplfonts_noto_path", lambda: None)

    with pytest.raises(RuntimeError, match="中文字体"):
        fonts.ensure_cjk_font()


def test_importing_does_not_pull_in_pyplot_or_mplfonts():
    code = (
        "import sys, assessment.outputs.fonts as f; f.ensure_cjk_font(); "
        "print('matplotlib.pyplot' in sys.modules, 'mplfonts' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)

    assert result.stdout.split() == ["False", "False"]
