"""The bounces that arrive after the demo's sending: real DSN messages in a local Maildir.

Some receiving servers accept a message and only later decide it cannot be delivered; the
sender learns it from a delivery status notification (RFC 3464) in its inbox. The demo plays
that part: for the sample addresses scripted to "bounce later", it writes the DSN such a
server would send into a Maildir, which ``preflight bounces import`` then reads like any other.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterable
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from pathlib import Path

# Local parts of sample addresses whose server accepts now and bounces later.
LATE_BOUNCE_LOCAL_PARTS = ("left.company",)


def late_bounce(original: bytes, recipient: str, when: datetime) -> bytes:
    """The DSN a Postfix-like server returns when a mailbox it accepted for no longer exists."""
    headers = BytesHeaderParser(policy=default_policy).parsebytes(original)
    domain = recipient.rpartition("@")[2]
    reporting = f"mx.{domain}"
    diagnostic = f"550 5.1.1 <{recipient}>: Recipient address rejected: User unknown"
    returned = original.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    boundary = f"dsn.{int(when.timestamp())}.{domain}"
    date = format_datetime(when)
    # Written out rather than built with email.message: the stdlib cannot generate a
    # message/delivery-status part from scratch, and this is the exact shape servers send.
    text = f"""From: Mail Delivery System <MAILER-DAEMON@{reporting}>
To: {headers.get("From", "")}
Subject: Undelivered Mail Returned to Sender
Date: {date}
Message-ID: {make_msgid(domain=reporting)}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host {reporting}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host {reporting} said: {diagnostic}

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; {reporting}
Arrival-Date: {date}

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; {reporting}
Diagnostic-Code: smtp; {diagnostic}

--{boundary}
Content-Type: text/rfc822-headers

{returned}

--{boundary}--
"""
    return text.replace("\n", "\r\n").encode("utf-8")


def write_late_bounces(
    accepted: Iterable[tuple[str, bytes]], inbox: Path, when: datetime | None = None
) -> int:
    """Write one DSN per accepted (recipient, message) scripted to bounce later; return count."""
    when = when or datetime.now(UTC)
    box = mailbox.Maildir(inbox, create=True)
    written = 0
    for recipient, data in accepted:
        if recipient.partition("@")[0].lower() in LATE_BOUNCE_LOCAL_PARTS:
            box.add(late_bounce(data, recipient, when))
            written += 1
    return written


__all__ = ["LATE_BOUNCE_LOCAL_PARTS", "late_bounce", "write_late_bounces"]
