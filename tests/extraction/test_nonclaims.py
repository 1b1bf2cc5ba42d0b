"""Things that look like claims but are not."""


def test_reporters_question_alone_is_not_a_claim(extract):
    assert extract("Asked whether the festival would be cancelled, the organizer walked away.\n") == []


def test_a_question_someone_else_put_is_not_the_answerers_claim(extract):
    claims = extract("Councillor Ines Vidal, asked whether the depot would close, said the board had not decided.\n")
    assert [(c.text, c.stance) for c in claims] == [("the board had not decided", "asserts")]
    assert extract("Councillor Ines Vidal was asked whether the depot would close.\n") == []


def test_scare_quote_is_not_a_claim(extract):
    text = 'The club, citing "tradition," kept the old crest on its shirts.\n'
    assert extract(text) == []


def test_headline_fragment_without_speaker_is_not_a_claim(extract):
    assert extract('"Winter Of Our Discontent."\n\nThe market fell sharply on Monday.\n') == []


def test_scare_quote_inside_reported_clause_makes_it_mixed(extract):
    claims = extract('Karl Berg said the plan was "reckless" and would fail within a year.\n')
    assert len(claims) == 1 and claims[0].type == "mixed"


def test_directives_are_not_claims(extract):
    assert extract("Mayor Tom Birch urged residents to back the library levy.\n") == []
    assert extract("The union called on members to stay home on Friday.\n") == []


def test_refusals_are_not_claims(extract):
    assert extract("A spokeswoman for the club declined to comment on the dispute.\n") == []
    assert extract("The coach refused to rule it out.\n") == []


def test_acts_are_not_claims(extract):
    assert extract("The city council voted to cap annual rent increases at 4 percent.\n") == []
    assert extract("Mayor Tomas Keller criticized the board's decision to close the clinic in Dover.\n") == []
    assert extract("Coach Ines Ward defended her decision to rest four starters.\n") == []


def test_a_bare_noun_phrase_is_not_a_claim(extract):
    assert extract("The nurses' union called for a one-day strike next month.\n") == []


def test_characterisations_stay_claims(extract):
    claims = extract("Senator Ruth Vance described the governor as a reckless spender.\n")
    assert [c.text for c in claims] == ["the governor as a reckless spender"]
    claims = extract("The company accused the union of walking away from the table.\n")
    assert len(claims) == 1 and "walking away from the table" in claims[0].text


def test_a_promise_stays_a_claim(extract):
    claims = extract("Governor Ada Lund vowed to cut property taxes by 10 percent.\n")
    assert [c.text for c in claims] == ["to cut property taxes by 10 percent"]
