"""Fixtures of the reliability tests: campaign folders exactly as in the send tests."""

from send.conftest import campaign_dir

__all__ = ["campaign_dir"]
