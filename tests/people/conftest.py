"""Fixtures of the people tests: the send tests' campaign folder helper."""

from __future__ import annotations

from send.conftest import campaign_dir

__all__ = ["campaign_dir"]
