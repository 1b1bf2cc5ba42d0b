"""The encoder's plumbing: words to wordpieces and back, windows, and decoding that cannot
produce invalid or fragmented spans. These run on the committed tokenizer file and on
hand-set probabilities, so they check the code, not what the weights happen to predict."""
from __future__ import annotations

import numpy
import pytest

from workers.extraction.encoder import (MAX_PIECES, MODEL_DIR, SERVE_PIECES, TAGS, WordPieces, allowed_transitions, decode,
                                        doc_words, spans_of_tags, viterbi, word_probs)
from workers.extraction.pipeline import prepare


@pytest.fixture(scope="module")
def pieces():
    return WordPieces(MODEL_DIR / "tokenizer.json")


def onehot(tags: list[str], p: float = 0.9) -> numpy.ndarray:
    probs = numpy.full((len(tags), len(TAGS)), (1 - p) / (len(TAGS) - 1), dtype="float32")
    for i, t in enumerate(tags):
        probs[i, TAGS.index(t)] = p
    return probs


def test_each_word_maps_to_its_first_wordpiece(pieces):
    words = ["Councilwoman", "Okonkwo-Baptiste", "said", "unbelievably", "."]
    [w] = pieces.windows(words, [])
    assert (w.lo, w.hi) == (0, len(words))
    assert w.ids[0] == pieces.cls and w.ids[-1] == pieces.sep
    # A word's first piece is where it starts: the next word's first piece comes after all of its pieces.
    assert w.first == sorted(w.first) and w.first[0] == 1
    assert len(w.ids) - 2 > len(words)  # some words were cut into several pieces
    decoded = [pieces.tokenizer.id_to_token(w.ids[p]) for p in w.first]
    assert decoded == ["council", "ok", "said", "un", "."]


def test_a_word_the_tokenizer_drops_gets_no_piece_and_stays_outside(pieces):
    words = ["The", "\u200b", "mayor", "said"]
    [w] = pieces.windows(words, [])
    assert w.first[1] == -1 and all(p > 0 for k, p in enumerate(w.first) if k != 1)
    probs = word_probs(4, [w], [onehot(["B-SOURCE"] * len(w.ids))])
    assert probs[1, TAGS.index("O")] == 1.0 and probs[0, TAGS.index("B-SOURCE")] > 0.5


def test_windows_keep_paragraphs_whole_and_overlap_inside_a_long_one(pieces):
    para = ["word"] * 100
    long_para = ["alpha"] * 600
    words = para + para + long_para + para
    breaks = [100, 200, 800]
    windows = pieces.windows(words, breaks)
    assert all(len(w.ids) <= MAX_PIECES for w in windows)
    # Whole short paragraphs share a window; none is cut at a paragraph's middle.
    assert (windows[0].lo, windows[0].hi) == (0, 200)
    inner = [w for w in windows if 200 <= w.lo and w.hi <= 800]
    assert len(inner) >= 3 and all(a.hi > b.lo for a, b in zip(inner, inner[1:]))  # overlapping
    covered = numpy.zeros(len(words), dtype=bool)
    for w in windows:
        covered[w.lo:w.hi] = True
    assert covered.all()


def test_a_served_article_is_read_in_windows_of_the_serving_size(pieces):
    words = ["word"] * 300
    served = pieces.windows(words, [100, 200], SERVE_PIECES)
    assert SERVE_PIECES < MAX_PIECES
    assert all(len(w.ids) <= SERVE_PIECES for w in served)
    assert [(w.lo, w.hi) for w in served] == [(0, 100), (100, 200), (200, 300)]


def test_overlapping_windows_average_their_probabilities(pieces):
    words = ["alpha"] * 600
    windows = pieces.windows(words, [])
    probs = [onehot(["B-CUE" if k % 2 == 0 else "O"] * len(w.ids)) for k, w in enumerate(windows)]
    out = word_probs(len(words), windows, probs)
    both = [i for i in range(len(words)) if sum(w.lo <= i < w.hi for w in windows) == 2]
    assert both, "the windows overlap"
    assert out[both[0], TAGS.index("B-CUE")] == pytest.approx((0.9 + 0.1 / 6) / 2, abs=1e-5)


def test_viterbi_never_starts_or_continues_a_span_of_another_kind():
    # Argmax would give I-CONTENT at the start and an I-CUE inside a content span.
    tags = ["I-CONTENT", "I-CONTENT", "I-CUE", "I-CONTENT", "O"]
    probs = onehot(tags, p=0.6)
    probs[2, TAGS.index("I-CONTENT")] = 0.35
    probs[0, TAGS.index("B-CONTENT")] = 0.3
    path = viterbi(probs)
    allowed = allowed_transitions()
    assert not TAGS[path[0]].startswith("I-")
    assert all(allowed[a, b] for a, b in zip(path, path[1:]))
    assert spans_of_tags(path) == [("CONTENT", 0, 4)]


def test_decode_gives_whole_spans_with_their_mean_probability():
    probs = onehot(["B-SOURCE", "B-CUE", "B-CONTENT", "I-CONTENT", "I-CONTENT", "O"])
    spans = decode(probs)
    assert [(s.kind, s.start, s.end) for s in spans] == [("SOURCE", 0, 1), ("CUE", 1, 2), ("CONTENT", 2, 5)]
    assert spans[2].score == pytest.approx(0.9 + 0.1 / 6, abs=1e-5)  # B- and I- together


def test_doc_words_skip_whitespace_and_mark_paragraphs(nlp):
    doc = prepare("Lena Holt said so.\n\nShe left.\n", nlp)
    words, breaks, token_of = doc_words(doc)
    assert words == ["Lena", "Holt", "said", "so", ".", "She", "left", "."]
    assert breaks == [5]
    assert [doc[t].text for t in token_of] == words
