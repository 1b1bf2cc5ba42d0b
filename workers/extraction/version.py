"""Which extractor found a claim: recorded on every article and claim, so that articles can be
extracted again when the extractor improves (`flask --app service.app reextract`)."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from spacy.language import Language

#: Bump when the rules change what they extract (not for refactorings that keep the output).
RULES_VERSION = 9


# Each pipeline's version string, worked out once: spaCy's `Language.meta` lists every
# component's labels on each access, which cost about 4% of a short article's job.
_KNOWN: "WeakKeyDictionary[Language, str]" = WeakKeyDictionary()


def extractor_version(nlp: "Language") -> str:
    """"claimtrack 0.1.0; en_core_web_sm 3.8.0; rules 2": package, model, rules."""
    known = _KNOWN.get(nlp)
    if known is None:
        known = _KNOWN[nlp] = _describe(nlp)
    return known


def _describe(nlp: "Language") -> str:
    try:
        package = version("claimtrack")
    except PackageNotFoundError:
        package = "unknown"
    from .encoder import COMPONENT

    encoder = "; encoder" if COMPONENT in nlp.component_names else ""
    meta = nlp.meta
    return f"claimtrack {package}; {meta.get('lang', 'en')}_{meta.get('name', '?')} " \
           f"{meta.get('version', '?')}{encoder}; rules {RULES_VERSION}"


def rules_version(extractor: str | None) -> int:
    """The rules version in an `extractor_version` string; 0 for none or an unknown form
    (articles extracted before versions were recorded)."""
    if not extractor:
        return 0
    tail = extractor.rpartition("rules ")[2]
    return int(tail) if tail.isdigit() else 0
