"""The answers that arrive after the demo's first mails: a reply, an out-of-office with a
return date and an opt-out, written into the local Maildir as their senders' mail clients
would write them (each quoting our mail, whose opt-out line says "unsubscribe")."""

from __future__ import annotations

import mailbox
from collections.abc import Iterable
from datetime import date, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

# Local part -> (kind, the person's own words). {back} is the out-of-office's return date.
ANSWERS = {
    "anna.berg": ("reply", "Hi Li,\n\nyes, please send the spec sheet. Do you ship to Hamburg?\n"),
    "j.devries": ("autoreply", "I am out of the office until {back} with limited access to "
                  "email.\n"),
    "m.rossi": ("optout", "Please remove me from your list.\n"),
}  # fmt: skip


def answer(original: bytes, recipient: str, kind: str, words: str, when: datetime) -> bytes:
    headers = BytesHeaderParser(policy=default_policy).parsebytes(original)
    ours = str(headers.get("Message-ID", ""))
    sender = parseaddr(str(headers.get("From", "")))[1]
    domain = recipient.rpartition("@")[2]
    auto = "Auto-Submitted: auto-replied\n" if kind == "autoreply" else ""
    subject = ("Automatic reply: " if kind == "autoreply" else "Re: ") + str(headers["Subject"])
    quoted = "".join(f"> {line}\n" for line in ["Hi,", "Not interested? Reply 'unsubscribe'."])
    text = f"""From: <{recipient}>
To: {sender}
Subject: {subject}
Date: {format_datetime(when)}
Message-ID: {make_msgid(domain=domain)}
In-Reply-To: {ours}
References: {ours}
{auto}Content-Type: text/plain; charset=utf-8

{words}
On {format_datetime(when)}, {sender} wrote:
{quoted}"""
    return text.replace("\n", "\r\n").encode("utf-8")


def write_answers(
    accepted: Iterable[tuple[str, bytes]], inbox: Path, when: datetime, back: date
) -> list[tuple[str, str]]:
    """Write the scripted answers to the messages accepted for their senders; returns
    (recipient, kind) of each."""
    box = mailbox.Maildir(inbox, create=True)
    written = []
    for recipient, data in accepted:
        script = ANSWERS.get(recipient.partition("@")[0].lower())
        if script is None:
            continue
        kind, words = script
        box.add(answer(data, recipient, kind, words.format(back=f"{back:%B %d, %Y}"), when))
        written.append((recipient, kind))
    return written


__all__ = ["ANSWERS", "answer", "write_answers"]
