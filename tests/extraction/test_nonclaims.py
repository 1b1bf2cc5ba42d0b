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
