"""Speaker resolution: canonical names, pronouns, roles, unnamed sources."""
from conftest import only


def test_surname_resolves_to_fullest_name(extract):
    text = ("Governor Maria Okafor announced a new water plan on Tuesday.\n\n"
            "Okafor said the plan would cost $2 billion.\n")
    c = only(extract(text), "cost $2 billion")
    assert c.speaker.name == "Maria Okafor"
    assert c.speaker.mention == "Okafor"


def test_pronoun_follows_gender(extract):
    text = ("Mr. Daniel Brooks met Ms. Laura Chen in Geneva on Friday.\n\n"
            "She said the agreement was close.\n\n"
            "He said the agreement was far from done.\n")
    claims = extract(text)
    assert only(claims, "was close").speaker.name == "Laura Chen"
    assert only(claims, "far from done").speaker.name == "Daniel Brooks"


def test_pronoun_prefers_the_last_speaker(extract):
    text = ("Coach Pedro Alves told the board that the stadium was unsafe.\n\n"
            "He argued that the roof needed urgent repairs.\n")
    c = only(extract(text), "roof needed urgent repairs")
    assert c.speaker.name == "Pedro Alves"
    assert c.speaker.mention == "He"


def test_role_noun_resolves_to_person_with_that_title(extract):
    text = ("Health Minister Tomas Ortiz visited the hospital on Monday.\n\n"
            "The minister said the new wing would open in May.\n")
    c = only(extract(text), "new wing")
    assert c.speaker.name == "Tomas Ortiz"
    assert c.speaker.kind == "person"


def test_unnamed_source_keeps_description_without_article(extract):
    c = only(extract("A senior ministry official said the talks had stalled.\n"), "talks had stalled")
    assert c.speaker.name == "senior ministry official"
    assert c.speaker.kind == "unnamed"


def test_unnamed_source_is_not_confused_with_named_person(extract):
    text = ("Mayor Ellen Hart opened the bridge on Monday.\n\n"
            "A city official said the bridge had cost twice the estimate.\n")
    c = only(extract(text), "twice the estimate")
    assert c.speaker.kind == "unnamed"
    assert "Hart" not in c.speaker.name


def test_title_separated_from_name(extract):
    c = only(extract("Port authority spokeswoman Ingrid Solberg said the ferry would sail on Sunday.\n"), "ferry would sail")
    assert c.speaker.name == "Ingrid Solberg"
    assert c.speaker.title == "Port authority spokeswoman"


def test_apposition_names_the_speaker(extract):
    c = only(extract("The firm's lawyer, Nadia Petrova, said the contract was void.\n"), "contract was void")
    assert c.speaker.name == "Nadia Petrova"
    assert "lawyer" in (c.speaker.title or "")


def test_speaker_not_taken_from_inside_the_claim(extract):
    text = ("Historian Greta Lund said the museum had lost half its visitors.\n\n"
            "Novak, she added, has misread the ticket figures.\n")
    c = only(extract(text), "misread the ticket figures")
    assert c.speaker.name == "Greta Lund"


def test_role_noun_resolves_to_the_organisation_that_is_the_claims_subject(extract):
    claims = extract("Lumen Energy will close its plant in Dover, the company said on Tuesday.\n")
    assert [(c.speaker.name, c.speaker.mention, c.speaker.kind) for c in claims] == [
        ("Lumen Energy", "the company", "organization")]


def test_a_document_speaks_for_whoever_issued_it(extract):
    text = ("The Harbour Board met on Friday.\n\n"
            "According to a report by the Harbour Board, cargo traffic fell by a third.\n")
    c = only(extract(text), "cargo traffic fell")
    assert (c.speaker.name, c.speaker.kind) == ("Harbour Board", "organization")


def test_an_unnamed_spokesman_stays_unnamed(extract):
    c = only(extract("A ministry spokesman said the border would stay open.\n"), "border would stay open")
    assert c.speaker.kind == "unnamed" and "spokesman" in c.speaker.name
