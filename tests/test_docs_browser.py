"""`/docs` in a real browser: headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium) renders Swagger UI from the vendored assets and lists the API's operations, and the
page asks no host but the service for anything.

Chromium resolves every name but 127.0.0.1 to nothing (--host-resolver-rules), so a stray
external link fails instead of leaving the machine; the test also checks that no resource
was even requested from elsewhere.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import chromium, served


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    with served(app) as base:
        yield base


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path / "profile", height=2000) as driver:
        yield driver


def test_docs_lists_the_operations_from_vendored_assets(app: Flask, live_server: str,
                                                        browser: webdriver.Chrome) -> None:
    spec = app.test_client().get("/openapi.json").json
    expected = {(method.upper(), path) for path, item in spec["paths"].items() for method in item
                if method in ("get", "post", "put", "patch", "delete")}

    browser.get(live_server + "/docs")
    WebDriverWait(browser, 60).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")) >= len(expected))

    shown = set()
    for block in browser.find_elements(By.CSS_SELECTOR, ".opblock"):
        method = block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.strip()
        path = block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
        shown.add((method, path))
    assert expected <= shown
    assert ("POST", "/v1/articles") in shown and ("GET", "/v1/status") in shown
    assert "Claimtrack" in browser.find_element(By.CSS_SELECTOR, ".info .title").text

    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat([document.location.href])")
    assert any(url.endswith("/docs/assets/swagger-ui-bundle.js") for url in requested)
    assert [url for url in requested if not url.startswith(live_server + "/")] == []
    html = app.test_client().get("/docs").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
