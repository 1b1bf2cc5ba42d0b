"""Attribution through the learned lexicon: noun-phrase, infinitive and noun-headed contents.

Every sentence here is invented for the tests; none comes from the corpus the lexicon was
learned from.
"""
import pytest
from conftest import only

from workers.extraction import learned
from workers.extraction.cues import verb_forms


def test_the_committed_table_loads_and_is_usable():
    table = learned.load_table()
    assert len(table) > 100
    shapes, forms = learned.lexicon()
    assert shapes and forms
    assert all(e.seen >= learned.MIN_SEEN and e.precision >= learned.MIN_PRECISION
               for entries in shapes.values() for e in entries.values())
    assert forms[("V", "urged")] == "urge"


def test_verb_forms_double_a_final_consonant_too():
    assert {"commits", "committed", "committing"} <= set(verb_forms("commit"))
    assert {"urges", "urged", "urging"} <= set(verb_forms("urge"))


@pytest.mark.parametrize("text, content, cue", [
    ("Senator Ana Ruiz questioned the integrity of the state's new voting machines.\n",
     "the integrity of the state's new voting machines", "questioned"),
    ("Governor Lena Ford pledged to veto any bill that raises the fuel tax.\n",
     "to veto any bill that raises the fuel tax", "pledged"),
])
def test_noun_phrase_and_infinitive_contents(extract, text, content, cue):
    # "the integrity of ..." is a characterisation (the speaker says something of the
    # machines); "criticized the board's decision to close the clinic" names an act, and is
    # no claim (test_nonclaims.py).
    c = only(extract(text), content.split()[1])
    assert c.text == content
    assert c.cue == cue
    assert c.type == "indirect"


def test_questioning_a_noun_phrase_has_the_stance_questions(extract):
    c = only(extract("Senator Ana Ruiz questioned the integrity of the state's new voting machines.\n"), "integrity")
    assert c.stance == "questions"
    assert c.speaker.name == "Ana Ruiz"


def test_described_as(extract):
    c = only(extract("Marta Lind described the harbour project as a waste of public money.\n"), "harbour")
    assert c.text == "the harbour project as a waste of public money"
    assert c.speaker.name == "Marta Lind"


@pytest.mark.parametrize("text, content, speaker", [
    ("Senator Marta Lind spoke on Monday. Her claim that the harbour was losing money drew protests.\n",
     "the harbour was losing money", "Marta Lind"),
    ("The prosecutor's assertion that the files had been destroyed was not disputed by the defence.\n",
     "the files had been destroyed", "prosecutor"),
])
def test_noun_headed_attribution(extract, text, content, speaker):
    c = only(extract(text), content)
    assert c.text == content
    assert c.speaker.name == speaker
    assert c.cue in ("claim", "assertion")
    assert c.stance == "asserts"


def test_a_rejected_claim_stays_the_rejecters_denial(extract):
    c = only(extract("The board rejected the claim that the harbour was losing money.\n"), "harbour")
    assert c.text == "the harbour was losing money"
    assert c.speaker.name.lower().endswith("board")
    assert c.stance == "denies"


def test_relative_which_speaks_for_its_noun(extract):
    c = only(extract("The Halden Institute, which found that rents rose 9 percent last year, is funded by the city.\n"),
             "rents rose")
    assert c.text == "rents rose 9 percent last year"
    assert c.speaker.name == "Halden Institute"


@pytest.mark.parametrize("text", [
    "The coach declined to comment on Monday.\n",
    "Karl Berg opened the new bridge in Porto on Monday.\n",
    "Mayor Elena Vasquez proposed the measure in June.\n",
    "The striker scored twice in the second half.\n",
    "The ministry published its annual report on Friday.\n",
])
def test_acts_without_checkable_content_are_not_claims(extract, text):
    assert extract(text) == []


def test_noun_stance(extract):
    text = "Senator Ana Ruiz spoke on Monday. Her doubts about whether the bridge was safe went unanswered.\n"
    c = only(extract(text), "safe")
    assert c.speaker.name == "Ana Ruiz"
    assert c.stance == "questions"


def test_a_question_about_a_bare_noun_phrase_is_no_claim(extract):
    # "questions about the bridge's safety" names a topic, not a proposition (propositions.py).
    text = "Senator Ana Ruiz spoke on Monday. Her questions about the bridge's safety went unanswered.\n"
    assert [c for c in extract(text) if "safety" in c.text] == []


def test_learned_claims_sit_below_a_plain_said(extract):
    text = ("Senator Ana Ruiz questioned the integrity of the state's new voting machines.\n"
            "Ruiz said the machines had failed twice in the spring.\n")
    claims = extract(text)
    assert only(claims, "integrity").confidence < only(claims, "failed twice").confidence


def test_a_name_the_writer_glosses_at_the_end_is_not_part_of_the_claim(extract):
    c = only(extract("Karl Berg said he would not pardon Dana Holt, who has not been charged with any crime.\n"),
             "pardon")
    assert c.text == "he would not pardon Dana Holt"


def test_a_relative_clause_on_a_thing_stays_in_the_claim(extract):
    c = only(extract("The engineers said the leak came from a valve, which the crew had replaced in May.\n"),
             "leak")
    assert c.text.endswith("which the crew had replaced in May")


def test_a_coordinated_reply_with_its_own_speaker_is_a_claim_of_its_own(extract):
    text = ("Karl Berg said the port would lose money this year, and when asked why the board had waited, "
            "the chairman replied that nobody had seen the figures.\n")
    claims = extract(text)
    assert only(claims, "lose money").text == "the port would lose money this year"
    assert only(claims, "nobody").text == "nobody had seen the figures"


def _learn_cues():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "learn_cues.py"
    spec = importlib.util.spec_from_file_location("learn_cues", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_learning_counts_an_annotated_content_as_a_hit(tmp_path):
    import spacy

    from workers.extraction.pipeline import installed_model, prepare

    learn = _learn_cues()
    text = "Mayor Tomas Keller urged the council to rebuild the old harbour wall.\n"
    cue = text.index("urged")
    content = text.index("the council")
    ann = tmp_path / "a_x.ann"
    ann.write_text(f"T1\tSource 0 18\tMayor Tomas Keller\nT2\tCue {cue} {cue + 5}\turged\n"
                   f"T3\tContent {content} {len(text) - 2}\t{text[content:-2]}\n"
                   "E1\tAttribution:T2 Content:T3 Cue:T2 Source:T1\n", encoding="utf-8")
    assert learn.read_attributions(ann) == [([(cue, cue + 5)], [(content, len(text) - 2)])]
    nlp = spacy.load(installed_model(), exclude=["senter"])
    seen, hits = learn.count([(nlp(prepare(text, nlp)), ann)])
    assert seen[("V", "urge", "dobj+xcomp")] == 1
    assert hits[("V", "urge", "dobj+xcomp")] == 1
