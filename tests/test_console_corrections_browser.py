"""Correcting the extractor in headless Chromium, against the app on a loopback port and a real
Redis: each correction path on the claim page, a claim added by selecting words on the article
page, the review mark, assignment and bulk actions in the queue, the keyboard, and a stale form
from a second browser session that saves nothing.

Screenshots go to docs/images/ with CLAIMTRACK_UPDATE_SCREENSHOTS=1 (as committed), else to a
temporary folder.
"""
from __future__ import annotations

import os
from pathlib import Path

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser import chromium, full_page_screenshot, served
from helpers import KEY, claim_record, seed_article
from test_console_browser import sign_in

TEXT = ('Elena Marsh denied that the bridge was unsafe. "We inspected every bolt," said Tom Reyes, '
        'the city engineer.\n\nCritics said the repairs came too late. Residents asked whether the tolls would rise.')
BRIDGE, BOLT, LATE = "the bridge was unsafe", "We inspected every bolt", "the repairs came too late"

SELECT = """
const [css, words] = arguments;
const walker = document.createTreeWalker(document.querySelector(css), NodeFilter.SHOW_TEXT);
let node;
while ((node = walker.nextNode())) {
  if (node.parentElement.closest('.claim-tag')) continue;
  const at = node.textContent.indexOf(words);
  if (at >= 0) {
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + words.length);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  }
}
return false;
"""


def shots_dir(tmp_path: Path) -> Path:
    if os.environ.get("CLAIMTRACK_UPDATE_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parent.parent / "docs" / "images"
    return tmp_path / "shots"


def select_words(browser, css: str, words: str, form: str) -> None:
    """Select `words` in the text as a reader would with the mouse; console.js fills the form."""
    assert browser.execute_script(SELECT, css, words)
    start = browser.find_element(By.CSS_SELECTOR, f"#{form} input[name=start]")
    WebDriverWait(browser, 10).until(lambda b: start.get_attribute("value") and
                                     TEXT[int(start.get_attribute("value")):int(
                                         b.find_element(By.CSS_SELECTOR, f"#{form} input[name=end]")
                                         .get_attribute("value"))] == words)


def submit(browser, css: str, message: str = "Correction saved") -> None:
    """Click a form's button and wait for the next page to say `message`."""
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, css).click()
    page_left(browser, page)
    loaded(browser)
    assert message in browser.page_source


def loaded(browser) -> None:
    """Wait until the page the browser is on has finished loading: an element found while it
    still loads may belong to a document about to be replaced."""
    WebDriverWait(browser, 10, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.execute_script("return document.readyState") == "complete")


def page_left(browser, page) -> None:
    """Wait until `page` (its html element) is gone. Chromium sometimes answers the check made
    while the next page replaces it with an error of its own ("Node with given id does not
    belong to the document") rather than a stale element: that is asked again."""
    WebDriverWait(browser, 10, ignored_exceptions=(WebDriverException,)).until(staleness_of(page))


def test_a_reviewer_corrects_the_extractor(app, client, store, tmp_path):
    shots = shots_dir(tmp_path)
    aid = seed_article(client, store, TEXT, [
        claim_record(BRIDGE, TEXT.index(BRIDGE), speaker="Elena Marsh", claim_type="indirect", stance="denies"),
        claim_record(BOLT, TEXT.index(BOLT), speaker="Elena Marsh"),
        claim_record(LATE, TEXT.index(LATE), speaker="Critics", kind="unnamed", claim_type="indirect")],
        title="Bridge row", source="City Post", published_at="2026-12-01T08:00:00Z")
    ids = {c["text"]: c["id"] for c in store.claims.of_article(aid).items}
    with served(app) as base, chromium(tmp_path / "alice") as alice, chromium(tmp_path / "bob") as bob:
        sign_in(alice, base, KEY["verify"])

        # The speaker: a new one (the extractor gave the engineer's quote to Marsh).
        alice.get(f"{base}/console/claims/{ids[BOLT]}")
        assert alice.find_element(By.ID, "claim-sentence").text == "Elena Marsh said \u201cWe inspected every bolt\u201d"
        alice.find_element(By.ID, "new-name").send_keys("Tom Reyes")
        alice.find_element(By.ID, "new-title").clear()
        alice.find_element(By.ID, "new-title").send_keys("city engineer")
        submit(alice, "#speaker-form button[type=submit]")
        assert alice.find_element(By.ID, "claim-sentence").text.startswith("Tom Reyes said")
        assert store.claims.get(ids[BOLT])["speaker"]["name"] == "Tom Reyes"
        assert store.claims.get(ids[BRIDGE])["speaker"]["name"] == "Elena Marsh"  # her own claim stays hers

        # The speaker from the registry, found by name; then the words, selected in the paragraph.
        alice.get(f"{base}/console/claims/{ids[LATE]}")
        alice.find_element(By.ID, "speaker_q").send_keys("marsh")
        alice.find_element(By.CSS_SELECTOR, ".speaker-search button").click()
        choice = WebDriverWait(alice, 10).until(lambda b: b.find_element(By.CSS_SELECTOR, ".speaker-results input"))
        choice.click()
        submit(alice, "#speaker-form button[type=submit]")
        assert store.claims.get(ids[LATE])["speaker"]["name"] == "Elena Marsh"
        select_words(alice, "blockquote.selectable", "repairs came too late", "span-form")
        assert "repairs came too late" in alice.find_element(By.ID, "span-form-preview").text
        submit(alice, "#span-form button[type=submit]")
        assert store.claims.get(ids[LATE])["text"] == "repairs came too late"
        assert alice.find_element(By.CSS_SELECTOR, ".claim-mark.active mark").text == "repairs came too late"

        # Stance and type; the history says who changed what.
        alice.get(f"{base}/console/claims/{ids[BRIDGE]}")
        assert alice.find_element(By.ID, "claim-sentence").text == "Elena Marsh denied that the bridge was unsafe"
        Select(alice.find_element(By.ID, "fix-stance")).select_by_value("asserts")
        submit(alice, "#stance-form button")
        Select(alice.find_element(By.ID, "fix-type")).select_by_value("mixed")
        submit(alice, "#type-form button")
        history = alice.find_element(By.CSS_SELECTOR, "ol.history").text
        assert "alice" in history and "Corrected: type indirect → mixed" in history
        assert "Corrected: stance denies → asserts" in history
        assert (store.claims.get(ids[BRIDGE])["stance"], store.claims.get(ids[BRIDGE])["type"]) == ("asserts", "mixed")
        full_page_screenshot(alice, shots / "console-correction.png")
        alice.set_window_size(1280, 1000)

        # Keyboard: v focuses the verdict form, n opens the article's next claim.
        alice.find_element("tag name", "body").send_keys("v")
        WebDriverWait(alice, 10).until(lambda b: b.switch_to.active_element.get_attribute("id") == "status")
        alice.find_element(By.ID, "claim-sentence").click()
        alice.find_element("tag name", "body").send_keys("n")
        WebDriverWait(alice, 10).until(lambda b: b.current_url.endswith(ids[BOLT]))
        loaded(alice)

        # A stale form from a second session saves nothing and says who changed the claim.
        alice.get(f"{base}/console/claims/{ids[BOLT]}")
        sign_in(bob, base, KEY["verify2"])
        bob.get(f"{base}/console/claims/{ids[BOLT]}")
        Select(bob.find_element(By.ID, "fix-stance")).select_by_value("denies")
        submit(bob, "#stance-form button")
        Select(alice.find_element(By.ID, "fix-type")).select_by_value("indirect")
        alice.find_element(By.CSS_SELECTOR, "#type-form button").click()
        conflict = WebDriverWait(alice, 10).until(lambda b: b.find_element(By.CSS_SELECTOR, ".conflict"))
        assert "nothing was saved" in conflict.text and "bob" in conflict.text
        assert store.claims.get(ids[BOLT])["type"] == "direct" and store.claims.get(ids[BOLT])["stance"] == "denies"

        # A missed claim, added by selecting its words on the article page.
        alice.get(f"{base}/console/articles/{aid}")
        tags = [t.text for t in alice.find_elements(By.CSS_SELECTOR, ".article-text .claim-tag")]
        assert any("Tom Reyes" in t and "✗ denies" in t and "unverified" in t for t in tags), tags
        select_words(alice, ".article-text", "the tolls would rise", "add-form")
        alice.find_element(By.ID, "add-name").send_keys("Residents")
        Select(alice.find_element(By.ID, "add-kind")).select_by_value("unnamed")
        Select(alice.find_element(By.ID, "add-stance")).select_by_value("questions")
        submit(alice, "#add-form button[type=submit]", "Claim added")
        assert alice.find_element(By.ID, "claim-sentence").text == "Residents asked whether the tolls would rise"
        added = store.claims.get(alice.current_url.rsplit("/", 1)[1])
        assert added["origin"] == "reviewer" and added["stance"] == "questions"

        # The article marked reviewed.
        alice.get(f"{base}/console/articles/{aid}")
        submit(alice, "#review-button", "Article marked reviewed")
        assert "Reviewed by alice" in alice.find_element(By.ID, "review-state").text
        full_page_screenshot(alice, shots / "console-article-review.png")
        alice.set_window_size(1280, 1000)

        # The queue: assign to me, the "mine" filter, a bulk action.
        alice.get(f"{base}/console/claims")
        row = next(r for r in alice.find_elements(By.CSS_SELECTOR, "tr.claim-row") if BOLT in r.text)
        page = alice.find_element(By.TAG_NAME, "html")
        row.find_element(By.CSS_SELECTOR, "button[name=assign_one]").click()
        page_left(alice, page)
        loaded(alice)
        assert "Assigned to you: 1 claim" in alice.page_source
        Select(alice.find_element(By.ID, "f-assigned")).select_by_value("mine")
        page = alice.find_element(By.TAG_NAME, "html")
        alice.find_element(By.CSS_SELECTOR, ".filters button").click()
        page_left(alice, page)
        loaded(alice)
        assert "assigned=mine" in alice.current_url
        rows = alice.find_elements(By.CSS_SELECTOR, "tr.claim-row")
        assert len(rows) == 1 and BOLT in rows[0].text and "alice" in rows[0].text
        alice.get(f"{base}/console/claims?assigned=unassigned")
        boxes = alice.find_elements(By.CSS_SELECTOR, "tr.claim-row input[name=claim_ids]")
        assert len(boxes) == 3
        boxes[0].click()
        Select(alice.find_element(By.ID, "bulk-action")).select_by_value("assign")
        submit(alice, ".bulk button", "Assigned to you: 1 claim")
        assert len(alice.find_elements(By.CSS_SELECTOR, "tr.claim-row")) == 2
        assert alice.find_element(By.CSS_SELECTOR, "tr.claim-row time").get_attribute("title").endswith("UTC")
        alice.get(f"{base}/console/claims")
        full_page_screenshot(alice, shots / "console-queue-assigned.png")
        # No script was refused by the page's Content-Security-Policy.
        refused = [e for e in alice.get_log("browser") if "Content Security Policy" in e.get("message", "")]
        assert refused == []

    for name in ("console-correction.png", "console-article-review.png", "console-queue-assigned.png"):
        png = (shots / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 1280
