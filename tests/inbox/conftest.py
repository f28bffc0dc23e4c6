"""Fixtures of the people tests: the send tests' campaign folder helper."""

from __future__ import annotations

from bounces.imap_server import imap_server
from send.conftest import campaign_dir

__all__ = ["campaign_dir", "imap_server"]
