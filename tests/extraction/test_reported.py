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


def test_trailing_attribution_covers_coordinated_clauses(extract):
    text = "The ferry was supposed to sail at noon, but the crew walked off at dawn, another union official said.\n"
    c = only(extract(text), "crew walked off")
    assert c.text.startswith("The ferry was supposed to sail")
    assert c.speaker.kind == "unnamed"


def test_trailing_attribution_keeps_the_sources_account_of_an_earlier_statement(extract):
    text = ("Mayor Ines Varga had told the board that she would not sign the lease, "
            "but the board approved it anyway, a council aide said.\n")
    claims = extract(text)
    assert len(claims) == 1
    assert claims[0].text.startswith("Mayor Ines Varga had told the board")
    assert claims[0].text.endswith("approved it anyway")
    assert claims[0].speaker.name == "council aide"


def test_reported_clause_split_into_sibling_complements_stays_whole(extract):
    text = ("Lund on Tuesday said he wants to repeal four clauses in the lease "
            "that address how repair costs are shared.\n")
    c = only(extract(text), "four clauses")
    assert c.text.endswith("how repair costs are shared")


def test_modal_conjunct_of_the_cue_continues_the_claim(extract):
    text = ("The Road Agency says the toll would cost drivers more at first, "
            "but would eventually add two lanes to the bridge.\n")
    c = only(extract(text), "cost drivers")
    assert c.text.endswith("add two lanes to the bridge")


def test_quoted_conjunct_of_the_cue_is_part_of_a_mixed_claim(extract):
    text = "He’s claiming that the bridge is “perfectly safe” but “nobody has the time to check it.”\n"
    c = only(extract(text), "perfectly safe")
    assert c.type == "mixed"
    assert "nobody has the time" in c.text


def test_complement_parsed_as_adverbial_clause(extract):
    c = only(extract("Mayor Tom Reyes said after the vote he would not accept the offer.\n"), "not accept")
    assert c.text == "he would not accept the offer"
    assert c.speaker.name == "Tom Reyes"


def test_cue_inside_relative_clause_reports_the_rest_of_it(extract):
    text = "Coach Dara Holm thanked the donors for their gifts, which she said were worth millions.\n"
    c = only(extract(text), "worth millions")
    assert c.text == "were worth millions"
    assert c.speaker.name == "Dara Holm"


def test_colon_continues_a_reported_clause(extract):
    text = "Coach Dara Holm notes that her team has two problems: the defence is slow and the keeper is injured.\n"
    c = only(extract(text), "two problems")
    assert c.text.endswith("the keeper is injured")


def test_subordinate_clause_with_its_own_cue_is_a_separate_claim(extract):
    text = "Lena Park said the new rules hurt small bakeries, though she noted that sales had recovered.\n"
    claims = extract(text)
    assert only(claims, "new rules").text == "the new rules hurt small bakeries"
    noted = only(claims, "sales had recovered")
    assert noted.speaker.name == "Lena Park"


def test_concession_about_the_speaker_is_the_writers_not_the_claims(extract):
    text = ("Mayor Tom Reyes claimed that the new stadium was a bargain, "
            "although he again refused to publish the costs.\n")
    c = only(extract(text), "new stadium")
    assert c.text == "the new stadium was a bargain"


def test_closing_description_of_a_name_is_the_writers_gloss(extract):
    text = "Officials say the ferry will stop at Halden, the port that lost its factory last year.\n"
    c = only(extract(text), "ferry will stop")
    assert c.text == "the ferry will stop at Halden"


def test_according_to_at_the_end_of_a_paragraph_followed_by_another(extract):
    text = ("The storm cut power to 4,000 homes overnight, according to Fire Chief Lena Hartmann.\n\n"
            "Schools stayed shut on Monday.\n")
    c = only(extract(text), "storm cut power")
    assert c.text == "The storm cut power to 4,000 homes overnight"
    assert c.speaker.name == "Lena Hartmann"


def test_as_clause_attributes_the_sentence(extract):
    claims = extract("As Greta Lund noted, the museum has lost half its visitors.\n\n"
                     "The gallery is empty on weekdays, as the curator, Omar Tell, put it in his report.\n")
    noted = only(claims, "lost half")
    assert noted.text == "the museum has lost half its visitors"
    assert noted.speaker.name == "Greta Lund"
    put = only(claims, "empty on weekdays")
    assert put.text == "The gallery is empty on weekdays" and put.speaker.name == "Omar Tell"


def test_as_clause_of_a_non_speech_verb_is_not_an_attribution(extract):
    assert extract("As he spoke, protesters shouted outside the hall.\n") == []


def test_quoted_as_saying(extract):
    c = only(extract("Finance Minister Karl Berg was quoted as saying that the budget would balance by 2027.\n"),
             "budget would balance")
    assert c.speaker.name == "Karl Berg"


def test_object_of_a_causative_verb_is_the_speaker(extract):
    text = "The committee pressed Finance Minister Ana Holt to concede that the tender had been rigged.\n"
    c = only(extract(text), "tender had been rigged")
    assert c.speaker.name == "Ana Holt"


def test_first_to_say(extract):
    text = ("Rachel Amsel, chief economist at Northgate Bank, was one of the few forecasters to warn "
            "last year that house prices would fall.\n")
    c = only(extract(text), "prices would fall")
    assert c.speaker.name == "Rachel Amsel"


def test_occasion_is_not_the_speaker(extract):
    text = '"This ends today," Commissioner Ana Ruiz said at a briefing announcing that the port would reopen.\n'
    c = only(extract(text), "port would reopen")
    assert c.speaker.name == "Ana Ruiz"


def test_exclamation_inside_a_quote_does_not_end_the_sentence(extract):
    text = 'Fans shouted "Go home!" as the team left the stadium, according to club steward Ana Cruz.\n'
    c = only(extract(text), "team left")
    assert c.text.startswith("Fans shouted")


def test_that_clause_of_a_relative_clause_is_not_the_outer_verbs(extract):
    claims = extract("The vote will reassure farmers in Ohio, who have argued that the levy hurts exports.\n")
    c = only(claims, "levy hurts exports")
    assert c.cue == "argued"


def test_an_outlet_that_has_learned_something_reports_it_weakly(extract):
    text = ("The Daily Ledger has learned that the mayor will resign.\n\n"
            "The Daily Ledger said that the mayor will resign.\n")
    learned, said = extract(text)
    assert learned.cue == "learned" and learned.speaker.name == "Daily Ledger"
    assert learned.confidence < said.confidence
