"""Quotation-mark pairing on raw text (no model needed)."""
from workers.extraction.quotes import find_quotes, is_title_like


def contents(text):
    return [text[q.content_start:q.content_end] for q in find_quotes(text)]


def test_straight_and_curly_marks_pair():
    text = 'He said "first one" and “second one” today.'
    assert contents(text) == ["first one", "second one"]


def test_misoriented_curly_mark_opens_a_quote():
    text = "”Wrong mark opens this,” she wrote."
    assert contents(text) == ["Wrong mark opens this"]


def test_single_quotes_nest_inside_double():
    text = "\"The sign read 'Closed for winter,' and that was it,\" he said."
    (q,) = find_quotes(text)
    assert text[q.content_start:q.content_end].startswith("The sign read 'Closed")
    assert text[q.content_start:q.content_end].endswith("that was it")


def test_quote_runs_over_paragraphs_when_reopened():
    text = "\"We will rebuild the bridge.\n\n\"And we will do it this year,\" the mayor said.\n"
    first, second = find_quotes(text)
    assert first.continues and not first.closed is False
    assert second.continued
    assert text[first.content_start:first.content_end] == "We will rebuild the bridge."


def test_unclosed_quote_without_reopening_stops_at_paragraph_end():
    text = "She said \"this never closes\n\nNext paragraph has no quote.\n"
    (q,) = find_quotes(text)
    assert not q.continues and not q.closed
    assert text[q.content_start:q.content_end] == "this never closes"


def test_title_like_fragment():
    assert is_title_like("Into The Long Night.")
    assert not is_title_like("we will not stop until the job is done")


def test_comma_before_the_attribution_is_not_part_of_the_quote():
    text = '"We played well," she said, "but not well enough."'
    assert contents(text) == ["We played well", "but not well enough."]
