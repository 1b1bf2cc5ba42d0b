"""Direct quotations and their attribution."""
from conftest import only


def test_quote_before_attribution(extract):
    claims = extract('"The budget is balanced for the first time in a decade," Mayor Tom Baxter said.\n')
    c = only(claims, "budget is balanced")
    assert c.type == "direct"
    assert c.cue == "said"
    assert c.speaker.name == "Tom Baxter"
    assert c.speaker.title == "Mayor"
    assert not c.text.startswith('"')


def test_attribution_before_quote_with_colon(extract):
    claims = extract('Senator Joan Park told reporters: "This bill will not pass the Senate this year."\n')
    c = only(claims, "This bill will not pass")
    assert c.type == "direct"
    assert c.speaker.name == "Joan Park"
    assert c.cue.startswith("told")


def test_split_quote_gives_two_claims_with_same_speaker(extract):
    text = '"We played well in the first half," coach Maria Lopez said, "but the second half was a disaster."\n'
    claims = extract(text)
    assert [c.type for c in claims] == ["direct", "direct"]
    assert claims[0].text.startswith("We played well")
    assert claims[1].text.startswith("but the second half")
    assert {c.speaker.name for c in claims} == {"Maria Lopez"}


def test_speaker_named_after_the_verb_with_role(extract):
    text = "“Our margins will recover next year,” said Priya Raman, Lumen's chief executive.\n"
    c = only(extract(text), "margins will recover")
    assert c.speaker.name == "Priya Raman"
    assert c.speaker.title and "chief executive" in c.speaker.title


def test_multi_sentence_quote_is_one_claim(extract):
    text = '"The pumps failed at dawn. Water reached the second floor. Who pays for that?" Ivan Petrov said.\n'
    c = only(extract(text), "The pumps failed")
    assert c.text.endswith("Who pays for that?")
    assert c.speaker.name == "Ivan Petrov"


def test_paragraph_quote_without_attribution_inherits_previous_speaker(extract):
    text = ('"The plant will close in March," factory owner Helen Cho said.\n\n'
            '"We tried everything to keep it open, and nothing worked."\n')
    claims = extract(text)
    second = only(claims, "We tried everything")
    assert second.speaker.name == "Helen Cho"
    assert second.confidence < only(claims, "plant will close").confidence


def test_multi_paragraph_quote_keeps_its_speaker(extract):
    text = ('Union leader Omar Haddad said: "Our members have waited three years for a raise.\n\n'
            '"They will not wait any longer, and the strike starts on Monday," he added.\n')
    claims = extract(text)
    assert len(claims) == 2
    assert all(c.speaker.name == "Omar Haddad" for c in claims)


def test_nested_single_quotes_stay_inside_the_claim(extract):
    text = "\"The guide kept shouting 'Stay on the path, always,' until we reached the hut,\" Sara Klein said.\n"
    c = only(extract(text), "The guide kept shouting")
    assert "'Stay on the path, always,'" in c.text
    assert c.speaker.name == "Sara Klein"


def test_dash_attribution(extract):
    text = "“The new park changed how our whole street lives together.” ― Dana Whitfield\n"
    c = only(extract(text), "new park")
    assert c.speaker.name == "Dana Whitfield"


def test_speaker_outside_the_quote_when_the_parser_finds_a_subject_inside(extract):
    text = ('Judge Ralph Norris spoke first.\n\n"Not good, great. One of the finest judges in the state," '
            'Rep. Elijah Cole said in a phone interview.\n')
    assert only(extract(text), "finest judges").speaker.name == "Elijah Cole"


def test_attribution_after_a_finished_sentence_must_be_the_next_sentences_main_verb(extract):
    text = ('Coach Ana Silva spoke after the final.\n\n'
            '"We won the title again." Fans who said they had waited for hours cheered.\n')
    c = only(extract(text), "won the title")
    assert c.speaker.name == "Ana Silva"


def test_footage_of_a_person_speaking(extract):
    c = only(extract('The ad uses footage of Maria Lopez asking, "Where did the money go?"\n'), "money go")
    assert c.speaker.name == "Maria Lopez"


def test_stage_direction_in_a_quoted_run_is_not_a_claim(extract):
    text = ('Mayor Ana Ruiz said: "We will rebuild the bridge this year.\n\n'
            '"And we will finish it by June.\n\n'
            '"(CROSSTALK.)\n\n'
            '"Follow Ana Ruiz on Twitter."\n')
    claims = extract(text)
    assert [c.text for c in claims] == ["We will rebuild the bridge this year.", "And we will finish it by June."]
