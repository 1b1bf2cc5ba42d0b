"""Claim extraction: attributed claims (direct, reported and mixed quotes) from English news.

The public surface is a few functions; everything else is plain functions over plain
data in the modules beside this one.
"""
from .claims import Claim, Speaker
from .pipeline import extract_claims, extract_many, load_model
from .version import RULES_VERSION, extractor_version, rules_version

__all__ = ["Claim", "Speaker", "RULES_VERSION", "extract_claims", "extract_many", "extractor_version", "load_model",
           "rules_version"]
