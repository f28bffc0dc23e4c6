"""Reading bounce sources: an mbox file yields each message's bytes and its envelope date."""

from __future__ import annotations

import mailbox
import time
from datetime import UTC, datetime
from pathlib import Path

from preflight.bounces.sources import iter_mbox


def test_mbox_messages_keep_their_bytes_and_from_line_date(corpus: Path, tmp_path: Path) -> None:
    names = ["lhost-postfix-33.eml", "arf-01.eml"]
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(path)
    dated = mailbox.mboxMessage((corpus / names[0]).read_bytes())
    dated.set_from("MAILER-DAEMON", time.gmtime(1_763_632_805))  # Thu Nov 20 10:00:05 2025
    box.add(dated)
    undated = mailbox.mboxMessage((corpus / names[1]).read_bytes())
    undated.set_from("MAILER-DAEMON")  # a "From " line without a date
    box.add(undated)
    box.flush()
    box.close()

    read = list(iter_mbox(path))

    assert [raw.location for raw in read] == [f"{path}#0", f"{path}#1"]
    assert read[0].received_at == datetime(2025, 11, 20, 10, 0, 5, tzinfo=UTC)
    assert read[1].received_at is None
    reference = mailbox.mbox(path)
    try:
        assert [raw.data for raw in read] == [reference.get_bytes(k) for k in reference.iterkeys()]
    finally:
        reference.close()
    assert not read[0].data.startswith(b"From ")  # the envelope line is not the message
