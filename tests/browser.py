"""Headless Chromium for browser tests, and the app served on a loopback port.

Debian's chromium and chromium-driver (installed by `make test` when missing; no browser is
ever downloaded), driven by Selenium. Chromium resolves every name but 127.0.0.1 to nothing
(--host-resolver-rules), so a stray external link fails instead of leaving the machine.
"""
from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import make_server

WIDTH = 1280


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on a free loopback port (threaded werkzeug), for as long as the block runs."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def chromium(profile: Path, width: int = WIDTH, height: int = 1000) -> Iterator[webdriver.Chrome]:
    binary = shutil.which("chromium")
    driver_binary = shutil.which("chromedriver")
    if not binary or not driver_binary:
        pytest.fail("chromium and chromedriver are needed (make test installs Debian's chromium and chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", f"--window-size={width},{height}", f"--user-data-dir={profile}",
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_binary), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def full_page_screenshot(driver: webdriver.Chrome, path: Path, width: int = WIDTH) -> None:
    """A screenshot of the whole page at `width` CSS pixels."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(int(height) + 140, 600), 4000))
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
