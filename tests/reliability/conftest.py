"""Fixtures of the reliability tests (campaign folders as in the send tests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from send.helpers import FAST_PLAN, TEMPLATE, write_recipients


@pytest.fixture
def campaign_dir(tmp_path: Path) -> Callable[..., Path]:
    """Write a campaign (template, fast plan, recipients); returns the campaign.toml path."""

    def make(rows: Sequence[Sequence[str]], mailboxes: Sequence[str], *, head: str = "") -> Path:
        (tmp_path / "fast.toml").write_text(FAST_PLAN, encoding="utf-8")
        (tmp_path / "t.j2").write_text(TEMPLATE, encoding="utf-8")
        write_recipients(tmp_path / "r.csv", rows)
        body = (
            '[campaign]\nname = "test"\ntemplate = "t.j2"\nrecipients = "r.csv"\n'
            + head
            + "".join(mailboxes)
        )
        path = tmp_path / "campaign.toml"
        path.write_text(body, encoding="utf-8")
        return path

    return make
