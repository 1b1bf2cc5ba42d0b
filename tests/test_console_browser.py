"""The review console in headless Chromium, against the app on a loopback port, a real Redis
and a real RQ worker: a fact-checker's day from sign-in to sign-out.

Screenshots of the queue, a claim and an article are taken at 1280 px; set
CLAIMTRACK_UPDATE_SCREENSHOTS=1 to write them to docs/ (as committed), else they go to a
temporary folder.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser import chromium, full_page_screenshot, served
from helpers import KEY, headers
from workers import model
from workers.worker import build_worker

QUOTE = "We have no other choice but to close the plant in Dover"
NEAR_QUOTE = "We have no other choice but to close the coal plant in Dover"
ARTICLES = [
    {"title": "Lumen Energy to close Dover coal plant", "source": "Dover Gazette",
     "url": "https://news.example/lumen-dover", "published_at": "2026-11-30T08:00:00Z",
     "text": "Lumen Energy will close its coal plant in Dover next year, the company said on Tuesday.\n\n"
             f'"{QUOTE}," said Priya Raman, Lumen\'s chief executive. '
             "Raman said that about 300 jobs would be lost.\n\n"
             "Union leader Tom Becker called the decision a betrayal. He said the union would fight it.\n"},
    {"title": "Lumen confirms closure", "source": "Coast Herald", "published_at": "2026-12-01T08:00:00Z",
     "text": "Lumen Energy confirmed the closure on Wednesday.\n\n"
             f'"{QUOTE}," said Priya Raman, the company\'s chief executive.\n'},
    {"title": "Raman defends plan", "source": "Coast Herald", "published_at": "2026-12-01T18:00:00Z",
     "text": f'"{NEAR_QUOTE}," Priya Raman told reporters on Thursday.\n'},
]


@pytest.fixture(scope="module", autouse=True)
def preloaded_model():
    return model.preload(None)


def shots_dir(tmp_path: Path) -> Path:
    if os.environ.get("CLAIMTRACK_UPDATE_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parent.parent / "docs"
    return tmp_path / "shots"


def sign_in(browser, base: str, secret: str) -> None:
    browser.get(base + "/console/claims")
    assert "/console/sign-in" in browser.current_url
    field = browser.find_element(By.ID, "api_key")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=api_key]").text == "API key"
    field.send_keys(secret)
    field.submit()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/console/claims"))
    assert secret not in browser.current_url and secret not in browser.page_source


def open_claim(browser, base: str, article_id: str, text: str) -> str:
    browser.get(f"{base}/console/claims?article={article_id}")
    browser.find_element(By.LINK_TEXT, text).click()
    WebDriverWait(browser, 10).until(lambda b: "/console/claims/clm_" in b.current_url)
    return browser.current_url.rsplit("/", 1)[1]


def set_verdict(browser, status: str, note: str = "", evidence: str = "") -> None:
    Select(browser.find_element(By.ID, "status")).select_by_value(status)
    for name, value in (("note", note), ("evidence", evidence)):
        field = browser.find_element(By.ID, name)
        field.clear()
        field.send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "form.verdict button[type=submit]").click()


def test_a_fact_checkers_day(app, client, config, store, tmp_path):
    shots = shots_dir(tmp_path)
    with served(app) as base, chromium(tmp_path / "alice") as alice, chromium(tmp_path / "bob") as bob:
        sign_in(alice, base, KEY["verify"])
        assert "No claims" in alice.page_source

        # Post articles through the API; a real RQ worker extracts their claims.
        ids = []
        for article in ARTICLES:
            response = client.post("/v1/articles", json=article, headers=headers("ingest"))
            assert response.status_code == 202
            ids.append(response.json["id"])
        assert build_worker(config).work(burst=True, logging_level="WARNING")
        alice.refresh()
        rows = alice.find_elements(By.CSS_SELECTOR, "tr.claim-row")
        texts = [r.find_element(By.CSS_SELECTOR, "td.text").text for r in rows]
        assert texts.count(QUOTE) == 2 and NEAR_QUOTE in texts
        assert "Lumen Energy to close Dover coal plant" in alice.page_source
        full_page_screenshot(alice, shots / "console-queue.png")

        # Keyboard: j selects the first row, Enter opens it.
        alice.set_window_size(1280, 1000)
        alice.find_element(By.TAG_NAME, "body").send_keys("j")
        alice.switch_to.active_element.send_keys(Keys.ENTER)
        WebDriverWait(alice, 10).until(lambda b: "/console/claims/clm_" in b.current_url)
        # Usable 400 px wide: nothing scrolls sideways.
        alice.set_window_size(400, 900)
        for path in ("/console/claims", alice.current_url[len(base):]):
            alice.get(base + path)
            assert alice.execute_script(
                "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), path
        alice.set_window_size(1280, 1000)
        alice.get(base + "/console/claims")

        # Filters stay in the URL.
        speaker = alice.find_element(By.ID, "f-speaker")
        speaker.send_keys("Tom Becker")
        speaker.submit()
        WebDriverWait(alice, 10).until(lambda b: "speaker=Tom+Becker" in b.current_url)
        shown = alice.find_elements(By.CSS_SELECTOR, "tr.claim-row")
        assert shown and all("Tom Becker" in r.text for r in shown)
        assert alice.find_element(By.ID, "f-speaker").get_attribute("value") == "Tom Becker"

        # Open a claim; set a verdict with evidence; it is in the history.
        first = open_claim(alice, base, ids[0], QUOTE)
        assert alice.find_element(By.CSS_SELECTOR, ".claim-mark.active mark").text == QUOTE
        assert "Priya Raman" in alice.find_element(By.LINK_TEXT, "Priya Raman").text
        set_verdict(alice, "false", "Lumen's own filing lists another option.", "https://records.example/filing-42")
        WebDriverWait(alice, 10).until(lambda b: "Verdict saved" in b.page_source)
        history = alice.find_element(By.CSS_SELECTOR, "ol.history").text
        assert "alice" in history and "unverified → false" in history
        assert alice.find_element(By.LINK_TEXT, "https://records.example/filing-42")

        # The cluster sibling (same speaker, same words, other article) took the verdict.
        sibling = next(c for c in store.claims.list(article_id=ids[1]).items if c["text"] == QUOTE)
        alice.find_element(By.CSS_SELECTOR, "ul.siblings a").click()
        WebDriverWait(alice, 10).until(lambda b: b.current_url.endswith(sibling["id"]))
        assert "false" in alice.find_element(By.ID, "current-status").text
        assert f"from a verdict on {first}" in alice.find_element(By.CSS_SELECTOR, "ol.history").text

        # A stale form: Bob changes the verdict first; Alice's form shows who did, saves nothing.
        alice.get(f"{base}/console/claims/{first}")
        sign_in(bob, base, KEY["verify2"])
        bob.get(f"{base}/console/claims/{first}")
        set_verdict(bob, "misleading", "Technically true, but the plant was already scheduled to close.")
        WebDriverWait(bob, 10).until(lambda b: "Verdict saved" in b.page_source)
        set_verdict(alice, "true", "Changed my mind.")
        conflict = WebDriverWait(alice, 10).until(lambda b: b.find_element(By.CSS_SELECTOR, ".conflict"))
        assert "bob" in conflict.text and "misleading" in conflict.text
        assert alice.find_element(By.ID, "note").get_attribute("value") == "Changed my mind."
        assert store.claims.get(first)["verification"]["status"] == "misleading"
        assert store.claims.get(first)["verification"]["updated_by"] == "bob"
        full_page_screenshot(alice, shots / "console-claim.png")
        alice.set_window_size(1280, 1000)

        # Confirm a suggestion: the near-identical quote joins the cluster and takes its verdict.
        near = open_claim(alice, base, ids[2], NEAR_QUOTE)
        alice.find_element(By.CSS_SELECTOR, ".suggestions button").click()
        WebDriverWait(alice, 10).until(lambda b: "Linked" in b.page_source)
        linked = store.claims.get(near)
        assert linked["cluster_id"] == store.claims.get(first)["cluster_id"]
        assert linked["verification"]["status"] == "misleading"
        assert len(alice.find_elements(By.CSS_SELECTOR, "ul.siblings > li")) == 3

        # The article: every claim highlighted; a click opens it.
        alice.get(f"{base}/console/articles/{ids[0]}")
        marks = alice.find_elements(By.CSS_SELECTOR, ".article-text a.claim-mark")
        assert len(marks) == len(store.claims.list(article_id=ids[0]).items) >= 3
        full_page_screenshot(alice, shots / "console-article.png")
        marks[0].click()
        WebDriverWait(alice, 10).until(lambda b: "/console/claims/clm_" in b.current_url)

        # Sign out: the session is gone, on this browser and for anyone holding its cookie.
        cookie = alice.get_cookie("ct_console")["value"]
        alice.find_element(By.CSS_SELECTOR, ".signout button").click()
        WebDriverWait(alice, 10).until(lambda b: "/console/sign-in" in b.current_url)
        alice.get(f"{base}/console/claims/{first}")
        assert "/console/sign-in" in alice.current_url
        replay = app.test_client()
        replay.set_cookie("ct_console", cookie, path="/console")
        assert replay.get(f"/console/claims/{first}").status_code == 302

    for name in ("console-queue.png", "console-claim.png", "console-article.png"):
        png = (shots / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(png[16:20], "big") == 1280
