"""Interview transcripts: turns labelled with the speaker's name."""
from conftest import only

from workers.extraction.quotes import paragraphs
from workers.extraction.transcript import find_turns, only_questions

INTERVIEW = (
    "Economist Rachel Amsel spoke to us on Friday.\n\n"
    "Q: Did you expect prices to fall this fast?\n\n"
    "AMSEL: Honestly, no. I expected a gentle decline over two years.\n\n"
    "HOST: Do you really think so?\n\n"
    "AMSEL: Mortgage rates rose faster than anyone modelled.\n"
)


def test_labelled_turns_are_direct_claims_of_the_named_person(extract):
    claims = extract(INTERVIEW)
    first = only(claims, "gentle decline")
    assert (first.type, first.speaker.name, first.speaker.mention) == ("direct", "Rachel Amsel", "AMSEL")
    assert only(claims, "Mortgage rates").speaker.name == "Rachel Amsel"


def test_question_only_turns_are_not_claims(extract):
    claims = extract(INTERVIEW)
    assert not any("prices to fall" in c.text or "really think" in c.text for c in claims)
    assert only_questions("Do you really think so? Why?")
    assert not only_questions("Let me ask. Why?")


def test_a_lone_label_is_a_dateline_not_a_transcript():
    text = "NEW DELHI: The ministry said on Monday that exports rose.\n\nTrade grew by a tenth.\n"
    assert find_turns(text, paragraphs(text)) == []


def test_label_of_a_person_the_article_never_names_is_capitalised_as_a_name(extract):
    text = ('"MORROW: Let\'s start with the harbour. Why close it now?\n\n'
            '"HOLT: Because the pier is unsafe.\n\n'
            '"MORROW: The survey says the pier will last ten more years.\n')
    c = only(extract(text), "ten more years")
    assert c.speaker.name == "Morrow"
