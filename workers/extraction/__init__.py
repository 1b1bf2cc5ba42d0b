"""Claim extraction: attributed claims (direct, reported and mixed quotes) from English news.

The public surface is three functions; everything else is plain functions over plain
data in the modules beside this one.
"""
from .claims import Claim, Speaker
from .pipeline import extract_claims, extract_many, load_model

__all__ = ["Claim", "Speaker", "extract_claims", "extract_many", "load_model"]
