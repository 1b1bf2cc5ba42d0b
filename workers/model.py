"""The spaCy pipeline of this worker process.

Loading the model takes most of a second and a few hundred MB, so the worker entry point
loads it once, before its work loop; each job's forked work horse inherits it (copy on
write) instead of loading its own.
"""
from __future__ import annotations

from spacy.language import Language

from service.config import Config

from .extraction import load_model

_loaded: list[Language] = []


def preload(name: str | None, attribution: bool = False) -> Language:
    """Load the pipeline named `name` (None: the preferred installed English model), with
    the attribution encoder when `attribution` (CLAIMTRACK_ATTRIBUTION_MODEL)."""
    _loaded[:] = [load_model(name, attribution)]
    return _loaded[0]


def nlp(settings: Config) -> Language:
    """The preloaded pipeline, or the one `settings` (the worker's configuration) names,
    loaded now: a worker that skipped `preload`, such as a test's, pays the load on its
    first job."""
    return _loaded[0] if _loaded else preload(settings.spacy_model, settings.attribution_model)
