"""A content reached through a report noun belongs to whoever rejects or confirms the report,
never to the subject as an assertion ("brushed aside accusations that ...")."""
from __future__ import annotations

import pytest
from conftest import only


@pytest.mark.parametrize("text, content", [
    ("Coach Irene Malley shrugged off suggestions that the club would be sold before the season.\n",
     "the club would be sold before the season"),
    ("Senator Paolo Breit pushed back on claims that the bridge money had been spent twice.\n",
     "the bridge money had been spent twice"),
    ('Mayor Lena Holt called reports that she planned to step down "completely false."\n',
     "she planned to step down"),
    ("The prime minister brushed aside opposition accusations that the census figures were doctored.\n",
     "the census figures were doctored"),
    ("The ministry dismissed rumours that the airport would close in March.\n", "the airport would close in March"),
    ("Kemal Aydin laughed off speculation that he would run for the party leadership.\n",
     "he would run for the party leadership"),
])
def test_a_rejected_report_is_denied_by_the_subject(extract, text, content):
    claim = only(extract(text), content)
    assert claim.text == content
    assert claim.stance == "denies"


def test_a_confirmed_report_is_asserted(extract):
    claim = only(extract("The chief executive, Omar Greer, confirmed reports that the plant would cut 300 jobs.\n"),
                 "300 jobs")
    assert (claim.text, claim.stance, claim.speaker.name) == ("the plant would cut 300 jobs", "asserts", "Omar Greer")


def test_a_report_under_another_verb_is_not_the_subjects_claim(extract):
    # Investigating a report says nothing about what the investigator holds.
    claims = extract("Officer Dana Pruitt investigated reports that a truck had been dumping waste at night.\n")
    assert [c for c in claims if "dumping" in c.text and c.stance == "asserts"
            and c.speaker.name == "Dana Pruitt"] == []


def test_a_negated_rejection_is_no_claim_of_either_kind(extract):
    claims = extract("The governor did not dismiss reports that the budget would be cut again.\n")
    assert [c for c in claims if c.speaker.name.lower().endswith("governor") and "budget" in c.text] == []


def test_rejecting_a_report_noun_without_that_is_no_claim(extract):
    assert extract("The mayor shrugged off the criticism and left the hall.\n") == []


def test_a_dashed_aside_after_the_report_is_the_writers(extract):
    claim = only(extract("The minister brushed aside opposition claims that the port deal was rigged — including "
                         "accusations of bribery — in a speech on Monday.\n"), "rigged")
    assert (claim.text, claim.stance) == ("the port deal was rigged", "denies")
