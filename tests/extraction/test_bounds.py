"""Extraction work stays linear in the text on hostile input (issue 11, item 2).

No timings here (bench/extraction.py reports ms per 1,000 characters): these tests check
the two bounds that remove the quadratic steps, by the size of what reaches the parser.
"""
from __future__ import annotations

import re

from workers.extraction import bounds
from workers.extraction.pipeline import prepare

QUOTE_RUN = '"' * 5000 + "hello" + '"' * 5000 + " he said."


def test_a_run_of_quotation_marks_is_a_handful_of_tokens_with_the_text_unchanged(nlp, extract):
    doc = prepare(QUOTE_RUN, nlp)
    assert doc.text == QUOTE_RUN
    # spaCy's affix stripping made one token per mark, searching the rest of the run for each.
    assert len(doc) < 20, [t.text[:10] for t in doc][:30]
    extract(QUOTE_RUN)


def test_long_runs_split_on_every_kind_of_character_keep_offsets(nlp, extract):
    text = 'Intro. "' + "\u201c'x" * 3000 + '" ' + "a" * 5000 + ", Okafor said.\n" + ("-" * 300) + "\nEnd."
    doc = prepare(text, nlp)
    assert doc.text == text
    assert "".join(t.text_with_ws for t in doc) == text
    extract(text)


def test_one_giant_sentence_reaches_the_parser_in_bounded_pieces(nlp, extract):
    text = "Officials said " + "the council said that the plan would cost more than expected and " * 400 + "so on."
    doc = nlp(prepare(text, nlp))
    longest = max(len(s) for s in doc.sents)
    assert longest <= bounds.MAX_SENTENCE_TOKENS + 1, longest
    extract(text)


def test_many_short_quote_lines_are_each_a_claim(extract):
    # bench/extraction.py times 10,000 of them; the pairing of clauses with quotes no longer
    # looks at every later quote for each clause.
    claims = extract('"We will win," she said.\n' * 1000)
    assert len(claims) == 1000


def test_normal_news_is_tokenized_exactly_as_spacy_does(nlp):
    text = ('"We have no other choice," said Priya Raman, Lumen\'s chief executive, on '
            "https://news.example.org/2026/03/01/lumen-energy-closes-coal-plant-in-dover.\n"
            "Raman said that about 300 jobs would be lost; the union disagreed.\n")
    assert max(len(run) for run in re.findall(r"\S+", text)) <= bounds.MAX_RUN_CHARS
    assert [t.text for t in prepare(text, nlp)] == [t.text for t in nlp.make_doc(text)]
