"""The documentation: docs/ builds into a site with `mkdocs build --strict` (a broken link or
anchor fails), offline and with nothing loaded from another host; the README's links lead to
files that exist; every test file the pages name exists."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MKDOCS = Path(sys.executable).with_name("mkdocs")


def test_the_docs_build_strictly_and_offline(tmp_path):
    site = tmp_path / "site"
    # No proxy, and any proxy a build might reach for points at a closed port: offline.
    env = {**os.environ, "NO_PROXY": "", "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    done = subprocess.run([str(MKDOCS), "build", "--strict", "--site-dir", str(site)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    pages = sorted(p.name for p in site.glob("*.html"))
    for name in ("index.html", "api.html", "guarantees.html", "configuration.html", "extraction.html",
                 "operations.html", "scaling.html"):
        assert name in pages
    assert (site / "console-queue.png").exists(), "the screenshots travel with the pages"
    remote = re.compile(r"""<(?:script|img|iframe)[^>]*\ssrc=["'](?:https?:)?//|<link[^>]*\shref=["'](?:https?:)?//"""
                        r"""|@import\s+url\(["']?(?:https?:)?//|url\(["']?(?:https?:)?//""", re.I)
    for built in list(site.rglob("*.html")) + list(site.rglob("*.css")):
        found = remote.search(built.read_text(encoding="utf-8", errors="replace"))
        assert found is None, f"{built.relative_to(site)} loads {found.group(0)!r} from another host"


def test_the_readme_links_lead_to_files_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if "://" not in t]
    assert "docs/guarantees.md" in local and "docs/console-queue.png" in local
    assert [t for t in local if not (ROOT / t).exists()] == []


def test_every_test_the_docs_name_exists():
    named = set()
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        named |= set(re.findall(r"tests/[\w/]+\.py", page.read_text(encoding="utf-8")))
    assert "tests/test_webhook_isolation.py" in named
    assert sorted(n for n in named if not (ROOT / n).exists()) == []
