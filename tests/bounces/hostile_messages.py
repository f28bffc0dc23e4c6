"""The hostile bounce messages of issue 13, built in memory (each stalled the reader)."""

from __future__ import annotations

from collections.abc import Callable

_HEAD = (
    b"From: MAILER-DAEMON@mx.example\nTo: sales@sender.example\n"
    b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
)
_REPORT = b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'


def _flat(content_type: bytes, body: bytes, subject: bytes | None = None) -> bytes:
    head = _HEAD if subject is None else _HEAD.replace(
        b"Subject: Undelivered Mail Returned to Sender", b"Subject: " + subject)
    return head + b"Content-Type: " + content_type + b"\n\n" + body


def _report(fields: bytes) -> bytes:
    return (_HEAD + _REPORT + b"--B\nContent-Type: text/plain\n\nDelivery failed.\n\n"
            b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
            + fields + b"\n--B--\n")


# name -> (what it was, how to build it); the timings are from before the fix.
HOSTILE: dict[str, tuple[str, Callable[[], bytes]]] = {
    "one-line-body": ("a 100 KB one-line body (16-18 s)",
                      lambda: _flat(b"text/plain", b"x" * 100_000 + b"\n")),
    "scripts": ("20k '<script ' (29 s)", lambda: _flat(b"text/html", b"<script " * 20_000)),
    "dash-line": ("a 200 KB line of '-' (64 s)",
                  lambda: _flat(b"text/plain", b"-" * 200_000 + b"\n")),
    "punycode": ("a 300 KB part with charset=punycode (over 60 s)",
                 lambda: _flat(b"text/plain; charset=punycode", b"a" * 300_000 + b"\n")),
    "encoded-subject": ("a 1.1 MB Subject of encoded words (10 s)",
                        lambda: _flat(b"text/plain", b"x\n", b"=?utf-8?q?a?= " * 80_000)),
    "boundary-lines": ("20 MB of '--B' lines (over 60 s, 1.8 GB)",
                       lambda: _HEAD + _REPORT + b"--B\n" * 5_000_000),
    "final-recipients": ("200k Final-Recipient blocks (18 s)", lambda: _report(b"".join(
        b"Final-Recipient: rfc822; u%d@victim.example\nAction: failed\nStatus: 5.1.1\n\n" % i
        for i in range(200_000)))),
}
