"""Checks and screenshots shared by the page tests (imported by them; fixtures stay in conftest.py)."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def sideways_scrollers(page) -> list[str]:
    """Elements that scroll sideways, other than our own table boxes (.siping-scroll).

    Voila's lab template scrolls the page inside a panel, not the document: checking only
    ``document.documentElement.scrollWidth`` would miss a page that is too wide.
    """
    return page.evaluate(
        """() => [...document.querySelectorAll('*')].filter(element => {
                const overflow = getComputedStyle(element).overflowX;
                return (overflow === 'auto' || overflow === 'scroll')
                    && element.scrollWidth > element.clientWidth + 1
                    && !element.classList.contains('siping-scroll');
            }).map(element => `${element.tagName}.${[...element.classList].join('.')}`
                + ` ${element.scrollWidth}>${element.clientWidth}`)"""
    )


def screenshot_whole_page(page, name: str, root: str) -> Path:
    """Voila scrolls inside a panel, so a full_page screenshot shows one screen: grow the viewport
    to the height of the app (``root`` is its CSS selector), take the shot, and restore it."""
    ARTIFACTS.mkdir(exist_ok=True)
    viewport = page.viewport_size
    height = page.evaluate(f"() => document.querySelector('{root}').scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height) + 120, 16_000)})
    page.wait_for_timeout(300)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    return path


def serve_with_database(voila_server, root: Path, notebook: str, database_url: str, log_name: str):
    """A Voila of its own serving a copy of ``notebooks/<notebook>``, its kernels pointed at ``database_url``.

    The shared servers keep this process's environment, so a page that reads a seeded database needs
    its own server, started while ``ASSESSMENT_DATABASE_URL`` is set.
    """
    import shutil

    import pytest

    pages = root / "pages"
    pages.mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "notebooks" / notebook, pages / notebook)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSESSMENT_DATABASE_URL", database_url)
        server = voila_server(pages, log_name)
    server.database_url = database_url
    return server
