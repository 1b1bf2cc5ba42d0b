"""Limits that keep extraction time linear in the article's length, whatever its text.

Two steps were quadratic on hostile input, and both are bounded here:

* spaCy's tokenizer strips prefixes and suffixes off a whitespace-free run one at a time,
  each strip searching the rest of the run again: `'"' * 5000 + 'hello' + '"' * 5000`
  took seconds per kilobyte. A run longer than `MAX_RUN_CHARS` is split by a simple linear
  rule instead (each run of letters or digits is a token, and each run of one other character);
  English news never has such a run (the longest in the eval sets is 39 characters), so
  normal articles are tokenized exactly as before.
* the rules compare clauses within a sentence pairwise, and the parser's cost grows with
  sentence length, so one 200,000-character "sentence" held a worker for minutes. A
  sentence is cut after `MAX_SENTENCE_TOKENS` tokens; real sentences stay far below it
  (the longest in the eval sets has 96 tokens).
"""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

MAX_RUN_CHARS = 100
MAX_SENTENCE_TOKENS = 250

_LONG_RUN = re.compile(r"\S{%d,}" % (MAX_RUN_CHARS + 1))
_RUN_PIECE = re.compile(r"[^\W_]+|(\S)\1*")


def tokenize(text: str, nlp: Language) -> Doc:
    """`nlp.make_doc(text)`, except that overlong whitespace-free runs are split linearly."""
    if _LONG_RUN.search(text) is None:
        return nlp.make_doc(text)
    docs: list[Doc] = []
    cursor = 0
    for run in _LONG_RUN.finditer(text):
        if run.start() > cursor:
            docs.append(nlp.make_doc(text[cursor:run.start()]))
        words = [piece.group() for piece in _RUN_PIECE.finditer(run.group())]
        docs.append(Doc(nlp.vocab, words=words, spaces=[False] * len(words)))
        cursor = run.end()
    if cursor < len(text):
        docs.append(nlp.make_doc(text[cursor:]))
    doc = Doc.from_docs(docs, ensure_whitespace=False)
    assert doc.text == text, "splitting long runs must keep the text and its offsets"
    return doc
