"""The encoder beside the rules: model spans become claims, one claim per attribution.

Most tests set the encoder's output by hand (`tag`), so that they check the fusion and not
what the committed weights happen to predict; the last ones run the committed model.
"""
from __future__ import annotations

import numpy
import pytest
from conftest import only

from workers.extraction import extract_claims, load_model
from workers.extraction.candidates import Candidate
from workers.extraction.fusion import fuse
from workers.extraction.pipeline import attribution_tagger, bare_sentences, claims_from_doc, prepare
from workers.extraction.encoder import COMPONENT, TAGS, decode


@pytest.fixture(scope="module")
def nlp():
    """The pipeline with the encoder (workers load it with CLAIMTRACK_ATTRIBUTION_MODEL=on)."""
    return load_model(attribution=True)


class HandTags:
    """An encoder whose output is set by hand; like the real one, it reads only the tokens it
    is asked to (the rest come back "O")."""

    def __init__(self, probs: numpy.ndarray):
        self.probs = probs
        self.asked: numpy.ndarray | None = None

    def __call__(self, doc, keep: numpy.ndarray) -> numpy.ndarray:
        self.asked = keep
        out = self.probs.copy()
        out[~keep] = 0.0
        out[~keep, 0] = 1.0
        return out


def tag(nlp, text: str, marks: dict[str, str]):
    """The parsed text and an encoder with hand-set tag probabilities for it: each key of
    `marks` is a phrase of the text (its first occurrence) and its value the kind (SOURCE,
    CUE or CONTENT). Pass both to `claims_from_doc`."""
    doc = nlp(prepare(text, nlp))
    probs = numpy.zeros((len(doc), len(TAGS)), dtype="float32")
    probs[:, 0] = 1.0
    for phrase, kind in marks.items():
        start = text.index(phrase)
        toks = [t.i for t in doc if start <= t.idx < start + len(phrase)]
        for n, i in enumerate(toks):
            probs[i] = 0.0
            probs[i, TAGS.index(("B-" if n == 0 else "I-") + kind)] = 0.95
            probs[i, 0] = 0.05
    return doc, HandTags(probs)


def cand(start: int, end: int, source: str = "clause", weight: float = 1.0) -> Candidate:
    return Candidate(start=start, end=end, type="indirect", cue="said", source=source, subject=0,
                     cue_token=1, cue_lemma="say", cue_weight=weight)


def test_a_model_candidate_over_a_rule_candidates_words_is_dropped():
    rule, model = cand(10, 60), cand(8, 58, source="model", weight=0.9)
    assert fuse([rule], [model]) == [rule]


def test_a_model_candidate_over_new_words_is_added_in_article_order():
    rule, model = cand(100, 160), cand(10, 60, source="model", weight=0.9)
    assert fuse([rule], [model]) == [model, rule]


def test_overlapping_model_candidates_keep_the_more_probable():
    weak, strong = cand(10, 60, source="model", weight=0.7), cand(20, 70, source="model", weight=0.9)
    assert fuse([], [weak, strong]) == [strong]


def test_decode_opens_a_span_at_each_begin_tag():
    probs = numpy.zeros((6, len(TAGS)), dtype="float32")
    for i, t in enumerate(["B-SOURCE", "B-CUE", "B-CONTENT", "I-CONTENT", "B-CONTENT", "O"]):
        probs[i, TAGS.index(t)] = 1.0
    assert [(s.kind, s.start, s.end) for s in decode(probs)] == [
        ("SOURCE", 0, 1), ("CUE", 1, 2), ("CONTENT", 2, 4), ("CONTENT", 4, 5)]


def test_rule_and_model_claim_over_the_same_words_are_one_claim(nlp):
    text = "Mayor Ana Silva said the bridge would reopen in June after the repairs.\n"
    doc, tagger = tag(nlp, text, {"Mayor Ana Silva": "SOURCE", "said": "CUE",
                          "the bridge would reopen in June after the repairs": "CONTENT"})
    claims = claims_from_doc(doc, tagger)
    assert len(claims) == 1
    assert claims[0].text == "the bridge would reopen in June after the repairs"
    assert claims[0].speaker.name == "Ana Silva"


def test_model_only_reported_clause_gets_a_resolved_speaker(nlp):
    text = ("Mayor Ana Silva opened the new bridge in Porto on Monday.\n"
            "She toasted the wisdom of the state transport budget for the coming year.\n")
    without = claims_from_doc(nlp(prepare(text, nlp)).copy())
    assert not [c for c in without if "wisdom" in c.text], "the rules alone should miss this claim"
    doc, tagger = tag(nlp, text, {"She": "SOURCE", "toasted": "CUE",
                          "the wisdom of the state transport budget for the coming year": "CONTENT"})
    c = only(claims_from_doc(doc, tagger), "wisdom")
    assert c.text == "the wisdom of the state transport budget for the coming year"
    assert c.type == "indirect"
    assert c.cue == "toasted"
    assert c.speaker.name == "Ana Silva"
    assert c.speaker.mention == "She"


def test_model_claim_confidence_stays_below_a_rule_clause(nlp):
    text = ("Mayor Ana Silva opened the new bridge in Porto on Monday.\n"
            "She toasted the wisdom of the state transport budget for the coming year.\n"
            "She said the bridge would carry 40,000 cars a day.\n")
    doc, tagger = tag(nlp, text, {"She": "SOURCE", "toasted": "CUE",
                          "the wisdom of the state transport budget for the coming year": "CONTENT"})
    claims = claims_from_doc(doc, tagger)
    model, rule = only(claims, "wisdom"), only(claims, "40,000 cars")
    assert model.confidence < rule.confidence


def test_model_content_inside_a_quotation_is_left_to_the_rules(nlp):
    text = "\"The bridge will reopen in June after the repairs,\" Mayor Ana Silva said.\n"
    doc, tagger = tag(nlp, text, {"The bridge will reopen in June": "CONTENT", "Mayor Ana Silva": "SOURCE",
                          "said": "CUE"})
    claims = claims_from_doc(doc, tagger)
    assert len(claims) == 1
    assert claims[0].type == "direct"
    assert claims[0].text.startswith("The bridge will reopen in June after the repairs")


def test_without_a_source_span_the_cue_verbs_subject_speaks(nlp):
    text = "Officials toasted the wisdom of the state transport budget for the coming year.\n"
    doc, tagger = tag(nlp, text, {"toasted": "CUE",
                          "the wisdom of the state transport budget for the coming year": "CONTENT"})
    c = only(claims_from_doc(doc, tagger), "wisdom")
    assert c.speaker.mention == "Officials"


def test_model_claim_with_no_speaker_is_left_out(nlp):
    text = "In a surprise announcement on Monday, the agency is reviewing more evidence about the crash.\n"
    doc, tagger = tag(nlp, text, {"announcement": "CUE",
                          "the agency is reviewing more evidence about the crash": "CONTENT"})
    assert claims_from_doc(doc, tagger) == []


def test_model_reported_question_is_not_an_assertion(nlp):
    text = "Mayor Ana Silva asked whether the state would pay for the bridge repairs.\n"
    doc, tagger = tag(nlp, text, {"Mayor Ana Silva": "SOURCE", "asked": "CUE",
                          "whether the state would pay for the bridge repairs": "CONTENT"})
    # The rules report the question with its stance; the encoder adds no assertion beside it.
    assert [c.stance for c in claims_from_doc(doc, tagger)] == [c.stance for c in claims_from_doc(nlp(prepare(text, nlp)))]
    assert all(c.stance == "questions" for c in claims_from_doc(doc, tagger))


def test_pipeline_carries_the_committed_model_without_running_it(nlp):
    assert COMPONENT in nlp.component_names and COMPONENT not in nlp.pipe_names
    doc = nlp(prepare("Mayor Ana Silva said the bridge would reopen in June.\nShe left.\n", nlp))
    keep = numpy.array([t.i >= 12 for t in doc])
    probs = attribution_tagger(nlp)(doc, keep)
    assert probs.shape == (len(doc), len(TAGS))
    assert numpy.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert (probs[~keep, 0] == 1.0).all()  # tokens it was not asked to read are "O"


def test_the_encoder_reads_only_sentences_the_rules_left_mostly_bare(nlp):
    text = ("Mayor Ana Silva said the bridge would reopen in June after the repairs.\n"
            "Fans toasted the wisdom of the state transport budget for the coming year.\n")
    doc, tagger = tag(nlp, text, {"Fans": "SOURCE", "toasted": "CUE",
                                  "the wisdom of the state transport budget for the coming year": "CONTENT"})
    claims = claims_from_doc(doc, tagger)
    assert [c.speaker.name for c in claims] == ["Ana Silva", "Fans"]
    first, second = list(doc.sents)[:2]
    assert not tagger.asked[first.start:first.end].any()  # a rule claim covers most of it
    assert tagger.asked[second.start:second.end].all()


def test_a_sentence_at_most_half_covered_by_claims_is_read(nlp):
    text = "Ana Silva said it would pass, though the council delayed the vote for several long months.\n"
    doc = nlp(prepare(text, nlp))
    short = text.index("it would pass")
    assert bare_sentences(doc, [cand(short, short + len("it would pass"))]).all()
    assert not bare_sentences(doc, [cand(0, len(text) - 2)]).any()


@pytest.mark.parametrize("text, fragment, speaker", [
    ("Coach Pedro Alves met the players on Monday.\n"
     "Some fans have said they will no longer attend home games this season.\n",
     "no longer attend", "Some fans"),
])
def test_committed_model_finds_what_the_rules_miss(nlp, text, fragment, speaker):
    c = only(extract_claims(text, nlp), fragment)
    assert c.speaker.mention == speaker


def test_contents_either_side_of_a_sentence_break_stay_two_claims(nlp):
    text = ("The campaign has said families would qualify for the new tax breaks. "
            "The candidate proposes letting parents deduct the cost of child care.\n")
    doc, tagger = tag(nlp, text, {"The campaign": "SOURCE", "has said": "CUE",
                          "families would qualify for the new tax breaks": "CONTENT",
                          "The candidate": "SOURCE", "proposes": "CUE",
                          "letting parents deduct the cost of child care": "CONTENT"})
    texts = [c.text for c in claims_from_doc(doc, tagger)]
    assert "letting parents deduct the cost of child care" in texts
    assert not [t for t in texts if "tax breaks" in t and "child care" in t]


def test_a_content_split_by_its_source_and_cue_is_one_claim(nlp):
    text = "The new bridge, the engineers told the council, would carry 40,000 cars every single day.\n"
    doc, tagger = tag(nlp, text, {"The new bridge": "CONTENT", "the engineers": "SOURCE", "told": "CUE",
                          "would carry 40,000 cars every single day": "CONTENT"})
    c = only(claims_from_doc(doc, tagger), "40,000 cars")
    assert c.text.startswith("The new bridge")


def test_the_subject_of_a_passive_cue_is_not_its_speaker(nlp):
    text = "Derek Hale, a former trader, is expected to testify against the bank next week.\n"
    doc, tagger = tag(nlp, text, {"Derek Hale": "SOURCE", "expected": "CUE",
                          "to testify against the bank next week": "CONTENT"})
    assert claims_from_doc(doc, tagger) == []


def test_with_the_encoder_the_learned_cue_table_is_not_consulted(nlp):
    # "questioned the integrity of ..." is a learned-table claim (tests/extraction/test_learned.py);
    # with the encoder on, the encoder is the one learned path, so only its spans can add it.
    text = "Senator Lee Park questioned the integrity of the state election board on Tuesday.\n"
    assert only(extract_claims(text, load_model()), "integrity").cue == "questioned"
    doc, tagger = tag(nlp, text, {})  # the encoder saw no attribution here
    assert not [c for c in claims_from_doc(doc, tagger) if "integrity" in c.text]
