"""Reported speech, according-to, statements and mixed quotes."""
from conftest import only


def test_reported_clause_with_that(extract):
    c = only(extract("Finance Minister Karl Berg said on Monday that inflation had peaked.\n"), "inflation")
    assert c.type == "indirect"
    assert c.text == "inflation had peaked"
    assert c.speaker.name == "Karl Berg"
    assert c.cue == "said"


def test_reported_clause_without_that(extract):
    c = only(extract("Karl Berg argued the central bank had raised rates too slowly.\n"), "central bank")
    assert c.text == "the central bank had raised rates too slowly"
    assert c.cue == "argued"


def test_clause_before_the_cue(extract):
    c = only(extract("The talks will resume next week, Karl Berg told reporters.\n"), "talks will resume")
    assert c.text == "The talks will resume next week"
    assert c.cue == "told reporters"


def test_according_to(extract):
    c = only(extract("According to the Harbor Shipping Association, container traffic fell 12 percent.\n"),
             "container traffic")
    assert c.text == "container traffic fell 12 percent"
    assert c.cue == "According to"
    assert c.speaker.name == "Harbor Shipping Association"
    assert c.speaker.kind == "organization"


def test_statement_channel_and_company_role(extract):
    text = ("Veltro Motors recalled 40,000 cars in March.\n\n"
            "In a statement, the company said that no injuries had been reported.\n")
    c = only(extract(text), "no injuries")
    assert c.text == "no injuries had been reported"
    assert c.speaker.name == "Veltro Motors"
    assert c.speaker.kind == "organization"
    assert c.speaker.mention == "the company"


def test_mixed_quote_is_one_claim(extract):
    text = 'Judge Amy Fortes said the evidence was "plainly inadmissible" and excluded it from the trial.\n'
    claims = extract(text)
    c = only(claims, "plainly inadmissible")
    assert c.type == "mixed"
    assert c.text.startswith("the evidence was")
    assert len(claims) == 1


def test_parenthetical_cue_inside_the_claim(extract):
    c = only(extract("The canal, the engineer insists, can carry twice the current traffic.\n"), "twice the current traffic")
    assert c.type == "indirect"
    assert c.cue == "insists"


def test_cognition_verb_is_a_weaker_claim(extract):
    text = ("Karl Berg said the economy would grow this year.\n\n"
            "Karl Berg believes the economy will grow this year.\n")
    said, believes = extract(text)
    assert said.cue == "said" and believes.cue == "believes"
    assert believes.confidence < said.confidence


def test_reported_claim_relayed_by_another_outlet(extract):
    text = "Karl Berg told reporters that the deal was dead, the Daily Ledger reported.\n"
    c = only(extract(text), "deal was dead")
    assert c.speaker.name == "Karl Berg"


def test_second_cue_hung_on_the_reported_clause_keeps_the_speaker(extract):
    text = ("Resident Gary Whitlock said pensioners could not absorb the cost, "
            "and accused the board of ignoring cheaper options.\n")
    claims = extract(text)
    said = only(claims, "could not absorb")
    assert "accused" not in said.text
    accused = only(claims, "ignoring cheaper options")
    assert accused.speaker.name == "Gary Whitlock"
