"""The inbox reader reads mail from strangers: any bytes are sorted, never a crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox.helpers import LABELED, record_sent
from preflight.inbox.importer import LedgerCorrespondence
from preflight.inbox.message import read_inbox_message
from preflight.inbox.sorters import KINDS, sort_message
from preflight.ledger import Ledger

_HEAD = st.sampled_from([
    b"", b"From: a@b.example\nTo: sales@yourco.example\n",
    b"Content-Type: text/plain; charset=x-unknown-\xff\n",
    b"Content-Type: multipart/mixed; boundary=\"b\"\nAuto-Submitted: auto-replied\n",
    b"Subject: =?utf-8?b?////?=\nIn-Reply-To: <c0001.m1@preflight.test>\n",
    b"Content-Transfer-Encoding: base64\nContent-Type: text/html\n",
])  # fmt: skip


class _Nobody:
    def answered(self, message_ids: list[str]) -> None:
        return None

    def wrote_to(self, address: str) -> None:
        return None

    def is_unsubscribe_address(self, address: str) -> bool:
        return False

    def is_ours(self, address: str) -> bool:
        return False


@settings(max_examples=300, deadline=None)
@given(head=_HEAD, body=st.binary(max_size=2000))
def test_any_bytes_are_sorted_without_a_crash(head: bytes, body: bytes) -> None:
    data = head + b"\n" + body
    verdict = sort_message(read_inbox_message(data), data, _Nobody())
    assert verdict.kind in KINDS


def test_every_labeled_message_survives_truncation(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        record_sent(ledger)
        known = LedgerCorrespondence(ledger)
        for path in sorted(LABELED.glob("*.eml")):
            data = path.read_bytes()
            for cut in range(0, len(data), max(1, len(data) // 7)):
                part = data[:cut]
                assert sort_message(read_inbox_message(part), part, known).kind in KINDS
