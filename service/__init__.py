"""Claimtrack's HTTP API (Flask). `create_app` is the entry point."""
from .app import create_app

__all__ = ["create_app"]
