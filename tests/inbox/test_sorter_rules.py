"""The sorter's rules on cases that are not in the labeled set: general rules, not files."""

from __future__ import annotations

import pytest

from preflight.inbox.message import own_words, read_inbox_message
from preflight.inbox.sorters import SentRef, sort_message

OURS = "<c1@brightline.example>"
PERSON = "buyer@dach.example"


class _Known:
    """We wrote to PERSON once, with Message-ID OURS."""

    def answered(self, message_ids: list[str]) -> SentRef | None:
        return SentRef(1, "spring", PERSON, OURS) if OURS in message_ids else None

    def wrote_to(self, address: str) -> SentRef | None:
        return SentRef(1, "spring", PERSON, OURS) if address == PERSON else None

    def is_unsubscribe_address(self, address: str) -> bool:
        return address == "unsub@brightline.example"

    def is_ours(self, address: str) -> bool:
        return address.endswith("@brightline.example")


def mail(body: str, *, sender: str = PERSON, headers: str = "", subject: str = "Re: Fittings",
         reply_to_ours: bool = True) -> bytes:  # fmt: skip
    threading = f"In-Reply-To: {OURS}\n" if reply_to_ours else ""
    return (
        f"From: {sender}\nTo: li@brightline.example\nSubject: {subject}\n"
        f"Date: Tue, 06 Jan 2026 10:00:00 +0100\n{threading}{headers}"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}"
    ).encode()


def kind(data: bytes) -> str:
    return sort_message(read_inbox_message(data), data, _Known()).kind


@pytest.mark.parametrize(
    "body",
    [
        "Please take me off your list.",
        "Kindly remove us\nfrom your mailing list.",  # wrapped over two lines
        "STOP",
        "Bitte tragen Sie mich aus, danke.",
        "Не пишите мне больше.",
        "请勿再发此类邮件。",
        "Merci de me désabonner.",
    ],
)
def test_own_words_that_ask_to_stop_are_an_opt_out(body: str) -> None:
    assert kind(mail(body)) == "optout"


@pytest.mark.parametrize(
    "body",
    [
        "Not now, thanks. Try again in autumn.",
        "Sure, send prices.\n\n-- \nACME GmbH | To unsubscribe from our newsletter click here",
        "Yes please.\nOur newsletter: https://dach.example/news (unsubscribe any time)",
        "Yes.\n\nOn Mon, Jan 5, 2026 at 9:00 AM Li <li@brightline.example> wrote:\n"
        "Reply 'unsubscribe' and I won't write again.",
        "Gerne.\n\nVon: Li <li@brightline.example>\nGesendet: Montag\n"
        "Antworten Sie mit 'abmelden'.",
    ],
)
def test_footers_quotes_and_not_now_are_a_reply(body: str) -> None:
    assert kind(mail(body)) == "reply"


def test_a_colleague_answering_our_message_is_about_the_person_we_wrote_to() -> None:
    data = mail("I handle imports here: send the catalogue to me.", sender="cto@dach.example")
    verdict = sort_message(read_inbox_message(data), data, _Known())
    assert (verdict.kind, verdict.person) == ("reply", PERSON)


def test_a_machine_answering_our_message_is_an_auto_reply_and_a_notification_is_not() -> None:
    ticket = mail("Your request #12 was received.", headers="Auto-Submitted: auto-generated\n")
    assert kind(ticket) == "autoreply"
    notice = mail("You have 3 new followers.", headers="Auto-Submitted: auto-generated\n",
                  reply_to_ours=False)  # fmt: skip
    assert kind(notice) == "other"


def test_bulk_mail_and_strangers_are_other_even_when_they_say_unsubscribe() -> None:
    newsletter = mail("Unsubscribe", headers="List-Unsubscribe: <mailto:x@news.example>\n",
                      reply_to_ours=False, sender="news@news.example")  # fmt: skip
    assert kind(newsletter) == "other"
    assert kind(mail("Please remove me.", sender="who@else.example", reply_to_ours=False)) == (
        "other"
    )


def test_a_mail_to_the_unsubscribe_address_is_an_opt_out_whoever_writes_it() -> None:
    data = mail("", sender="someone@else.example", reply_to_ours=False, subject="unsubscribe")
    data = data.replace(b"To: li@brightline.example", b"To: unsub@brightline.example")
    assert kind(data) == "optout"


def test_the_signature_delimiter_ends_the_own_words() -> None:
    assert own_words("Thanks!\n-- \nACME, unsubscribe: reply STOP") == "Thanks!"
