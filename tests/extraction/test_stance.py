"""Stance: whether the speaker asserted, denied or questioned a claim's words (fixtures of our
own, several phrasings each, and near misses that must stay assertions)."""
from __future__ import annotations

import pytest

from conftest import only

DENIALS = [
    ("Mayor Elena Marsh denied that road repairs on the ring road would be delayed until the spring.\n",
     "road repairs on the ring road would be delayed until the spring"),
    ("The health minister rejected claims that the hospital had run out of beds.\n",
     "the hospital had run out of beds"),
    ("The bottling company dismissed suggestions that it would close the plant in Dunmore.\n",
     "it would close the plant in Dunmore"),
    ("Senator Tom Hale disputed that the tax cut would pay for itself.\n", "the tax cut would pay for itself"),
    ("Governor Ruth Okafor refuted claims that crime had risen by 20 percent.\n", "crime had risen by 20 percent"),
    ("Nadia Brennan said it was not true that the factory would close.\n", "the factory would close"),
    ("Nadia Brennan said it was false that the council had sold the land.\n", "the council had sold the land"),
    ("The defence ministry has denied reports that soldiers crossed the border.\n", "soldiers crossed the border"),
    ('"We never took that money," the treasurer, Colm Reilly, denied.\n', "We never took that money"),
]

QUESTIONS = [
    ("Senator Tom Hale asked whether the budget included money for schools.\n",
     "the budget included money for schools"),
    ("The committee chairman questioned whether the merger would save any money.\n",
     "the merger would save any money"),
    ("The senator wondered aloud whether voters would notice the change.\n", "voters would notice the change"),
    ("Analyst Ruth Kim doubted that the central bank would cut rates this year.\n",
     "the central bank would cut rates this year"),
    ('"Who will pay for the new bridge?" Councillor Amy Ford asked.\n', "Who will pay for the new bridge?"),
]

ASSERTIONS = [
    # A negation inside the content is asserted, not denied.
    ("Councillor Amy Ford said she would not resign.\n", "she would not resign"),
    ("Mayor Elena Marsh admitted that road repairs on the ring road would be delayed until the spring.\n",
     "road repairs on the ring road would be delayed"),
    # Not denying is not denying.
    ("The minister did not deny that talks had taken place.\n", "talks had taken place"),
    # The denial is someone else's act; the speaker asserts.
    ("Amy Ford denied the allegations, saying the money had been repaid.\n", "the money had been repaid"),
    ("Amy Ford said the claims that the school would close were untrue.\n", "the school would close were untrue"),
    ("Amy Ford said it was true that the school would close.\n", "it was true that the school would close"),
]


@pytest.mark.parametrize("text, content", DENIALS)
def test_denials(extract, text, content):
    claim = only(extract(text), content)
    assert claim.text == content and claim.stance == "denies"


@pytest.mark.parametrize("text, content", QUESTIONS)
def test_questions(extract, text, content):
    claim = only(extract(text), content)
    assert claim.text == content and claim.stance == "questions"


@pytest.mark.parametrize("text, content", ASSERTIONS)
def test_near_misses_stay_assertions(extract, text, content):
    assert only(extract(text), content).stance == "asserts"


def test_rejection_verbs_need_a_that_clause(extract):
    assert extract("The club dismissed the coach after the defeat on Sunday.\n") == []
    assert extract("Voters rejected the proposal by a wide margin in the referendum.\n") == []
