"""How the store compares claim texts (clusters) and picks search words."""
from __future__ import annotations

from service.store.text import best_match, content_key, normalize_claim, words


def match(text: str, *known: str) -> str | None:
    """The index of the known text that `text` says the same thing as, the way the store
    finds it: among the texts filed under the claim's content key."""
    normalized = normalize_claim(text)
    filed = {str(i): other for i, other in enumerate(known)
             if content_key(normalize_claim(other)) == content_key(normalized)}
    return best_match(normalized, len(text), filed)


def test_normalisation_ignores_case_accents_quotes_and_punctuation():
    assert normalize_claim("“Ça VA,” she — said!") == normalize_claim('"ca va" she said')
    assert normalize_claim("We won’t go") == normalize_claim("we wo nt go")


def test_near_identical_texts_match_and_different_ones_do_not():
    base = "We will cut the fuel tax by ten percent before the winter"
    assert match(base + ".", base) == "0"
    assert match(base, "Something else entirely", base.upper()) == "1"
    assert match("we will cut the fuel tax by ten percent, before winter", base) == "0"
    for different in ("We will raise the fuel tax by ten percent before the winter",
                      "We will cut the fuel tax by twenty percent before the winter",
                      "We will cut the fuel tax by 10 percent before the winter",
                      "We will not cut the fuel tax by ten percent before the winter",
                      "We won't cut the fuel tax by ten percent before the winter",
                      "They will cut the fuel tax by ten percent before the spring"):
        assert match(different, base) is None, different


def test_short_claims_must_have_the_same_words():
    assert match("Prices will rise", "prices will rise!") == "0"
    assert match("Prices will fall", "Prices will rise") is None


def test_long_texts_that_share_a_beginning_do_not_match():
    opening = "The committee reviewed every contract signed by the ministry over the last decade and " * 3
    assert match(opening + "found nothing wrong.", opening + "found nothing wrong.") == "0"
    assert match(opening + "found nothing wrong.", opening + "found something wrong.") is None
    assert match(opening + "found nothing.", opening + "found that a third of the contracts were "
                 "awarded without any tender, in breach of the procurement law, and that two firms owned "
                 "by relatives of officials won most of them.") is None


def test_search_words_are_folded_distinct_and_skip_function_words():
    assert words("The Café and the CAFE of Zürich: 300 jobs, 5 G") == ["cafe", "zurich", "300", "jobs", "5"]
    assert words("the and of") == []
