"""Fixtures of the bounce tests (defined with the helpers in bounces/helpers.py)."""

from __future__ import annotations

from bounces.helpers import corpus, ledger

__all__ = ["corpus", "ledger"]
