"""Messages that arrive after a campaign, written the way common clients write them."""

from __future__ import annotations

import mailbox
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

OUR_LINE = "Not interested? Reply 'unsubscribe' and I won't write again."


def reply(sender: str, to: str, message_id: str, text: str, when: datetime, n: int) -> bytes:
    """A Gmail-style reply quoting our mail (whose opt-out line says "unsubscribe")."""
    return f"""From: Buyer <{sender}>
To: {to}
Subject: Re: Fittings
Date: {format_datetime(when)}
Message-ID: <reply{n}@buyer.example>
In-Reply-To: {message_id}
References: {message_id}
Content-Type: text/plain; charset=utf-8

{text}

On Mon, Jan 5, 2026 at 9:00 AM Sender <{to}> wrote:
> Hi there,
> Would a one-page spec sheet help you?
> {OUR_LINE}
""".encode()


def out_of_office(
    sender: str, to: str, message_id: str, back: str, when: datetime, n: int
) -> bytes:
    return f"""From: Buyer <{sender}>
To: {to}
Subject: Automatic reply: Fittings
Date: {format_datetime(when)}
Message-ID: <ooo{n}@buyer.example>
In-Reply-To: {message_id}
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8

I am out of the office until {back} with limited access to email.
""".encode()


def to_unsubscribe(sender: str, address: str, when: datetime, n: int) -> bytes:
    return f"""From: {sender}
To: {address}
Subject: unsubscribe
Date: {format_datetime(when)}
Message-ID: <unsub{n}@buyer.example>
Content-Type: text/plain; charset=utf-8

""".encode()


def newsletter(when: datetime, n: int) -> bytes:
    return f"""From: Fair News <news@fair.example>
To: someone@brightline.example
Subject: Register now
Date: {format_datetime(when)}
Message-ID: <news{n}@fair.example>
Precedence: bulk
List-Id: <news.fair.example>
Content-Type: text/plain; charset=utf-8

Book your booth. To unsubscribe from this newsletter, click here.
""".encode()


def dsn(recipient: str, message_id: str, when: datetime, n: int) -> bytes:
    domain = recipient.rpartition("@")[2]
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.{domain}>
To: li.wei@brightline.example
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(when)}
Message-ID: <dsn{n}@mx.{domain}>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b{n}"

--b{n}
Content-Type: text/plain

Your message could not be delivered.

--b{n}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.{domain}

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--b{n}
Content-Type: text/rfc822-headers

Message-ID: {message_id}
To: {recipient}

--b{n}--
""".encode()


def write_maildir(folder: Path, messages: list[bytes]) -> Path:
    box = mailbox.Maildir(folder, create=True)
    for data in messages:
        box.add(data)
    box.close()
    return folder
