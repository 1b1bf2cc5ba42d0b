"""The verdict rules (service/store/rules.py): which claims are the same claim, which are only
suggested, and where a verdict may travel. Property-based: whatever the words, one changed
word, number, negation, preposition or stance never lets a verdict travel automatically,
while case, whitespace, punctuation and quotation-mark style never keep the same claim apart."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from service.store import rules
from service.store.text import normalize_claim, words

VOCABULARY = ("the company will move jobs to from in on at by with for of not never no would could "
              "should must may might will shall 300 30 3 2019 ohio texas raise cut taxes rents prices spring "
              "winter delayed repaired road repairs ring mayor minister said".split())
PUNCTUATION = [",", ".", ";", ":", "!", "?", "\"", "'", "\u201c", "\u201d", "\u2018", "\u2019", "\u2014", "(", ")"]
SPACES = [" ", "  ", "\n", "\t", " \u00a0"]

phrases = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=25)
stances = st.sampled_from(("asserts", "denies", "questions"))


def claim(text: str, stance: str = "asserts", speaker: str = "spk_0000000000000001") -> dict:
    return {"speaker_id": speaker, "stance": stance, "text": text}


@given(phrases, st.data())
def test_changing_any_one_word_keeps_claims_apart(tokens: list[str], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(tokens) - 1))
    other = data.draw(st.sampled_from([w for w in VOCABULARY if w != tokens[k]]))
    changed = tokens[:k] + [other] + tokens[k + 1:]
    assert not rules.same_claim(claim(" ".join(tokens)), claim(" ".join(changed)))


@given(phrases, st.data())
def test_adding_or_removing_a_word_keeps_claims_apart(tokens: list[str], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(tokens)))
    word = data.draw(st.sampled_from(["not", "no", "never", "to", "from", "would", "3", "30"]))
    longer = tokens[:k] + [word] + tokens[k:]
    assert not rules.same_claim(claim(" ".join(tokens)), claim(" ".join(longer)))


@given(phrases, stances, stances)
def test_a_different_stance_or_speaker_keeps_claims_apart(tokens: list[str], a: str, b: str) -> None:
    text = " ".join(tokens)
    assert rules.same_claim(claim(text, a), claim(text, b)) == (a == b)
    assert not rules.same_claim(claim(text, a), claim(text, a, speaker="spk_0000000000000002"))


@settings(max_examples=200)
@given(phrases, st.data())
def test_case_whitespace_punctuation_and_quote_style_never_matter(tokens: list[str], data: st.DataObject) -> None:
    pieces = []
    for word in tokens:
        if data.draw(st.booleans()):
            word = word.upper() if data.draw(st.booleans()) else word.capitalize()
        pieces.append(data.draw(st.sampled_from(PUNCTUATION + [""])) + word + data.draw(st.sampled_from(PUNCTUATION + [""])))
        pieces.append(data.draw(st.sampled_from(SPACES)))
    restyled = data.draw(st.sampled_from(SPACES)) + "".join(pieces)
    assert rules.same_claim(claim(" ".join(tokens)), claim(restyled))


def test_the_issue_cases() -> None:
    to = "the company will move 300 jobs to Ohio next year"
    assert not rules.same_claim(claim(to), claim(to.replace(" to ", " from ")))
    repairs = "road repairs on the ring road would be delayed until the spring"
    assert not rules.same_claim(claim(repairs, "denies"), claim(repairs, "asserts"))
    assert rules.same_claim(claim("\u201cWe won\u2019t  go,\u201d"), claim('"we WON\'T go"'))
    assert normalize_claim("1.5 percent") != normalize_claim("15 percent")
    assert normalize_claim("Ça va") == normalize_claim("ca VA")


@given(st.lists(st.sampled_from(VOCABULARY), min_size=12, max_size=25), st.data())
def test_one_changed_word_in_a_long_claim_is_a_suggestion_naming_it(tokens: list[str], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(tokens) - 1))
    other = data.draw(st.sampled_from([w for w in VOCABULARY if w != tokens[k] and len(w) == len(tokens[k])]
                                      or [tokens[k] + "s"]))
    changed = tokens[:k] + [other] + tokens[k + 1:]
    found = rules.suggestion(claim(" ".join(tokens)), claim(" ".join(changed)))
    assert found is not None and found.score < 1
    assert {"this": tokens[k], "other": other} in found.differences


def test_suggestions_need_the_same_speaker_and_stance_and_similar_words() -> None:
    text = "the company will move 300 jobs to Ohio next year"
    assert rules.suggestion(claim(text), claim(text.replace("to", "from"), "denies")) is None
    assert rules.suggestion(claim(text), claim(text, speaker="spk_0000000000000002")) is None
    assert rules.suggestion(claim(text), claim("prices will rise in the winter")) is None
    same = rules.suggestion(claim(text), claim(text.upper()))
    assert same is not None and same.score == 1.0 and same.differences == []


def test_links_across_speakers_or_stances_are_refused() -> None:
    text = "rents will fall"
    assert rules.link_refusal(claim(text), claim("rents will rise")) is None
    assert "speaker" in rules.link_refusal(claim(text), claim(text, speaker="spk_0000000000000002"))
    assert "stance" in rules.link_refusal(claim(text, "denies"), claim(text))
    assert rules.link_refusal({**claim(text), "status": "not_a_claim"}, claim(text)) is not None


def test_not_a_claim_never_travels_and_is_never_overwritten() -> None:
    assert not rules.propagates("not_a_claim", "unverified")
    assert not rules.propagates("false", "not_a_claim")
    assert rules.propagates("false", "true")
    assert not rules.inherits("not_a_claim") and not rules.inherits("unverified") and rules.inherits("false")


def test_search_words_are_folded_distinct_and_skip_function_words() -> None:
    assert words("The Café and the CAFE of Zürich: 300 jobs, 5 G") == ["cafe", "zurich", "300", "jobs", "5"]
    assert words("the and of") == []
