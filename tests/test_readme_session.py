"""The README's curl session works when pasted, and prints what the README shows: it runs, as
bash, against `make run`'s script (tests/session.py) and its output is compared with the
outputs written under each command (ids and times aside)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import KEY, store_env
from session import ROOT, Session

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def readme_session() -> tuple[str, list[str]]:
    """The session's commands and the outputs the README shows under them (`# ` lines that
    follow a command, not the comments that precede one)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## A session with curl", 1)[1].split("```sh\n", 1)[1].split("\n```", 1)[0]
    shown, previous_is_code = [], False
    for line in block.splitlines():
        if line.startswith("# ") and previous_is_code:
            shown.append(line[2:])
            continue
        previous_is_code = bool(line.strip()) and not line.startswith("#")
    return block, shown


def test_the_readme_curl_session_runs_and_prints_what_it_shows(config, redis, tmp_path: Path):
    """`redis`: an empty store, so that ids are the ones the README shows (clm_1, ...)."""
    script, shown = readme_session()
    assert len(shown) >= 6
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "local-admin.key").write_text(KEY["admin"] + "\n")
    # The key `make run` creates is named local-admin, which the history shows.
    with Session(config.redis_url, **store_env(config), CLAIMTRACK_API_KEYS=f"local-admin:{KEY['admin']}:admin") as session:
        pasted = script.replace("API=http://127.0.0.1:8000", f"API={session.base}")
        done = subprocess.run(["bash", "-c", pasted], cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    printed = done.stdout.splitlines()
    expected = [re.sub(r"\s{2,}\(.*\)$", "", line) for line in shown]  # drop "(your id will differ)" notes
    assert len(printed) == len(expected), (printed, expected)
    assert re.fullmatch(r"art_[0-9a-f]{16}", printed[0]) and re.fullmatch(r"art_[0-9a-f]{16}", expected[0])
    assert printed[1:-1] == expected[1:-1]
    history, documented = json.loads(printed[-1]), json.loads(expected[-1])
    for entries in (history, documented):
        for entry in entries["items"]:
            entry.pop("at")
    assert history == documented
