"""Address headers from structured parts; control bytes and over-long headers refused; a
server's complaint about our own message is our failure, never the recipient's."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from pathlib import Path

import pytest
from send.conftest import campaign_dir
from send.helpers import mailbox_toml, run_campaign, sample_rows, states
from typer.testing import CliRunner

from preflight.cli import app
from preflight.errors import InputError
from preflight.ledger import Ledger
from preflight.message import MAX_LINE_OCTETS, build_message
from preflight.sink import Reply, Sink
from preflight.templates import load_template

__all__ = ["campaign_dir"]
BOX = "li.wei@brightline.example"

# Every display-name value of the issue that gave a Reply-To with two addresses.
HOSTILE_NAMES = [
    "thief@attacker.example, Li Wei",
    "X\tBcc: v@evil.example",
    "X\x00Bcc: v@evil.example",
    "g: thief@attacker.example;",
    "(x) thief@attacker.example,",
    '"x" <thief@attacker.example>, "y"',
]


def _build(tmp_path: Path, template: str, **values: str) -> email.message.EmailMessage:
    path = tmp_path / "t.j2"
    path.write_text(template, encoding="utf-8")
    rendered = load_template(path).render(values)
    return build_message(rendered, from_addr=f"Li Wei <{BOX}>", to_addr="anna@nordlicht.example")


def _reply_to(message: email.message.EmailMessage) -> list[str]:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    return [a.addr_spec for a in parsed["Reply-To"].addresses]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_display_name_never_adds_an_address(tmp_path: Path, name: str) -> None:
    template = "Subject: Hi\nReply-To: {{ rep }} <sales@brightline.example>\n\nHello\n"
    try:
        message = _build(tmp_path, template, rep=name)
    except InputError as error:
        line = str(error)
        assert "\n" not in line and "column rep" in line and error.field == "Reply-To"
        return
    assert _reply_to(message) == ["sales@brightline.example"]


def test_a_name_with_commas_and_quotes_is_quoted_into_one_address(tmp_path: Path) -> None:
    template = 'Subject: Hi\nReply-To: "{{ rep }}" <sales@brightline.example>\n\nHello\n'
    message = _build(tmp_path, template, rep='Wei, Li "Sales"; (export)')
    assert _reply_to(message) == ["sales@brightline.example"]
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Reply-To"].addresses[0].display_name == 'Wei, Li "Sales"; (export)'


@pytest.mark.parametrize("value", ["a@x.example, b@y.example", "g: a@x.example;", ""])
def test_the_address_part_takes_exactly_one_address(tmp_path: Path, value: str) -> None:
    with pytest.raises(InputError, match="column addr"):
        _build(tmp_path, "Subject: Hi\nReply-To: {{ addr }}\n\nHello\n", addr=value)


@pytest.mark.parametrize(
    "value", ["two a@x.example, b@y.example", 'x" <a@x.example>, "y" <b@y.example>']
)
def test_from_and_to_take_exactly_one_address(value: str) -> None:
    from preflight.templates import RenderedMessage

    rendered = RenderedMessage("Hi", "Hello\n", None, {}, personalization=None)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        build_message(rendered, from_addr=value, to_addr="anna@nordlicht.example")
    with pytest.raises(InputError):
        build_message(rendered, from_addr=BOX, to_addr=value)


def test_a_row_with_a_hostile_name_is_refused_naming_row_and_column(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    template = (
        "Subject: Fittings for {{ company }}\n"
        "Reply-To: {{ first_name }} <sales@brightline.example>\n\n"
        "Hi, a short note about fittings for {{ company }}. A reply is enough.\n\nLi Wei\n"
    )
    rows = [["anna@nordlicht.example", "thief@attacker.example, Li Wei", "Nordlicht"]]
    rows += sample_rows(2)
    path = campaign_dir(rows, [mailbox_toml(BOX, 2525)], template=template)
    out = tmp_path / "dry"
    result = CliRunner().invoke(
        app, ["send", str(path), "--ledger", str(tmp_path / "l.db"), "--dry-run", str(out)]
    )
    assert result.exit_code == 0, result.output
    refused = [
        line for line in result.stdout.splitlines() if "skipped" in line and "line 2" in line
    ]
    assert len(refused) == 1 and "column first_name" in refused[0], result.stdout
    assert len(list(out.glob("*.eml"))) == 2


@pytest.mark.parametrize("value", ["a\x00b", "a\x1b[31mb", "a\x7fb", "a\x9bb"])
def test_control_characters_in_a_subject_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(InputError, match="control character"):
        _build(tmp_path, "Subject: Hi {{ v }}\n\nHello\n", v=value)


def test_an_encoded_word_that_decodes_to_a_control_character_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="control character"):
        _build(tmp_path, "Subject: {{ v }}\n\nHello\n", v="=?utf-8?q?X=00Y?=")


def test_long_headers_are_folded_or_refused(tmp_path: Path) -> None:
    # A long subject of words is folded within the line limit.
    message = _build(tmp_path, "Subject: {{ v }}\n\nHello\n", v=" ".join(["fittings"] * 95))
    head = message.as_bytes().split(b"\n\n", 1)[0]
    assert max(len(line) for line in head.split(b"\n")) <= MAX_LINE_OCTETS
    # A 100,000-character display name: refused with one line, not a 100,001-octet line.
    template = "Subject: Hi\nReply-To: {{ rep }} <sales@brightline.example>\n\nHello\n"
    with pytest.raises(InputError, match="at most") as refused:
        _build(tmp_path, template, rep="x" * 100_000)
    assert "\n" not in str(refused.value)


@pytest.mark.looptime
async def test_a_complaint_about_our_syntax_fails_the_message_not_the_address(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    fault = Reply("person1@*", "500 5.5.2 Line too long", stage="data")
    async with Sink([fault]) as sink:
        path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, sink.port)])
        for _ in range(3):  # three runs: the address would be suppressed as soft-failing
            await run_campaign(path, tmp_path / "l.db")
            with Ledger(tmp_path / "l.db") as ledger:
                ledger.db.execute("UPDATE messages SET state = 'queued' WHERE state = 'failed'")
    current = states(tmp_path / "l.db")
    assert current["person1@buyer1.example"] == "queued"
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.suppression("person1@buyer1.example") is None
        soft = ledger.db.execute(
            "SELECT soft_failures, detail FROM messages WHERE recipient = 'person1@buyer1.example'"
        ).fetchone()
    assert soft[0] == 0 and "not charged" in soft[1]
    assert sorted(sink.recipients()) == ["person0@buyer0.example", "person2@buyer2.example"]
