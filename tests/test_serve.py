"""assessment.serve: Voila whose log hides access codes (the README's run command uses it)."""

from __future__ import annotations

import logging

from assessment.serve import HideAccessCodes, SipingVoila, scrub


def test_scrub_hides_only_the_code_and_keeps_the_rest_of_the_url():
    assert scrub("404 GET /voila/render/self_assess.ipynb?code=JD001-abcd-ef&year=2025 (127.0.0.1)") == (
        "404 GET /voila/render/self_assess.ipynb?code=[已隐藏]&year=2025 (127.0.0.1)"
    )
    assert scrub("/voila/render/a.ipynb?year=2025&code=x") == "/voila/render/a.ipynb?year=2025&code=[已隐藏]"
    assert scrub("referer='http://h/a.ipynb?code=abc'") == "referer='http://h/a.ipynb?code=[已隐藏]'"
    assert scrub("/voila/render/a.ipynb?barcode=1") == "/voila/render/a.ipynb?barcode=1"
    assert scrub("/voila/render/a.ipynb") == "/voila/render/a.ipynb"


def test_the_filter_rewrites_formatted_records_and_keeps_the_others():
    record = logging.LogRecord("tornado.general", logging.WARNING, __file__, 1, "%d %s", (404, "GET /x?code=S-1"), None)
    plain = logging.LogRecord("tornado.access", logging.INFO, __file__, 1, "%d %s", (200, "GET /x?year=1"), None)
    assert HideAccessCodes().filter(record) and HideAccessCodes().filter(plain)
    assert record.getMessage() == "404 GET /x?code=[已隐藏]"
    assert plain.msg == "%d %s" and plain.getMessage() == "200 GET /x?year=1"


def test_the_voila_app_installs_it_on_tornados_loggers():
    app = SipingVoila()
    app.initialize(["--no-browser", "--port=0"])
    assert any(isinstance(f, HideAccessCodes) for f in logging.getLogger("tornado.general").filters)
    assert any(isinstance(f, HideAccessCodes) for h in app.log.handlers for f in h.filters)
