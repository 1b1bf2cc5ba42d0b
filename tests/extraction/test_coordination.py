""""said A and that B" is two claims with the same speaker and cue."""
from __future__ import annotations


def test_a_second_that_clause_is_a_second_claim(extract):
    claims = extract("Bo Lindqvist, the county engineer, said that repairs would cost about $9 million and that the "
                     "county had agreed to pay a third.\n")
    assert [c.text for c in claims] == ["repairs would cost about $9 million", "the county had agreed to pay a third"]
    assert {(c.speaker.name, c.cue, c.stance) for c in claims} == {("Bo Lindqvist", "said", "asserts")}


def test_but_that_splits_too(extract):
    claims = extract("The treasurer, Ana Ruiz, said taxes would rise next year, but that services would improve.\n")
    assert [c.text for c in claims] == ["taxes would rise next year", "services would improve"]


def test_one_clause_with_two_verbs_stays_one_claim(extract):
    claims = extract("Engineer Bo Lindqvist said the county would close the bridge and repair it by May.\n")
    assert [c.text for c in claims] == ["the county would close the bridge and repair it by May"]
