"""Fixtures of the bounce tests (defined with the helpers in bounces/helpers.py)."""

from __future__ import annotations

from bounces.helpers import corpus, ledger
from bounces.imap_server import imap_server

__all__ = ["corpus", "imap_server", "ledger"]
