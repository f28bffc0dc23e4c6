"""Header injection through every value that reaches a mail header.

Subject, display names, personalization values (a CSV cell is third-party data), Reply-To,
the unsubscribe URL and the mailbox's From line: a line break (CR, LF, or any character
``str.splitlines`` breaks on) or an RFC 2047 word that decodes to one must be refused with
HeaderInjectionError naming the field (ConfigError for the campaign file), and no value may add
a header or change an address.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from preflight.campaign_config import load_campaign
from preflight.cli import app
from preflight.draft import Personalization
from preflight.errors import ConfigError, HeaderInjectionError, InputError
from preflight.message import build_message
from preflight.templates import RenderedMessage, load_template

# Line breaks the email package (or a mail client) may act on.
BREAKS = ["\r\n", "\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]
INJECTED = "Bcc: victim@evil.example"
# "\r\nBcc: x@evil.example" as RFC 2047 words: the line break only appears once decoded.
ENCODED = [
    "=?utf-8?b?DQpCY2M6IHhAZXZpbC5leGFtcGxl?=",
    "=?utf-8?q?=0D=0ABcc=3A_x=40evil=2Eexample?=",
    "=?iso-8859-1?q?=0ABcc=3A_x=40evil=2Eexample?=",
]
BASE_HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version", "content-type"}
BASE_HEADERS |= {"content-transfer-encoding"}


def _rendered(subject: str = "Hello", headers: dict[str, str] | None = None) -> RenderedMessage:
    return RenderedMessage(
        subject=subject,
        text="Hello Anna,\n",
        html=None,
        headers=headers or {},
        personalization=Personalization(frozenset(), frozenset()),
    )


def _headers_of(message: EmailMessage) -> tuple[list[str], email.message.EmailMessage]:
    """Header names as a receiver reads them from the bytes that would go on the wire."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return [name.lower() for name in parsed], parsed


def _assert_untouched(message: EmailMessage, extra: frozenset[str] = frozenset()) -> None:
    names, _ = _headers_of(message)
    assert set(names) == BASE_HEADERS | extra, names
    assert len(names) == len(set(names)), f"a header appears twice: {names}"
    assert "bcc" not in names


# -- subject -------------------------------------------------------------------------------------


@pytest.mark.parametrize("brk", BREAKS, ids=[repr(b) for b in BREAKS])
def test_subject_with_a_line_break_is_refused(brk: str) -> None:
    with pytest.raises(HeaderInjectionError) as caught:
        build_message(
            _rendered(subject=f"Hello{brk}{INJECTED}"),
            from_addr="a@b.example",
            to_addr="c@d.example",
        )
    assert caught.value.field == "Subject"
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("word", ENCODED)
def test_subject_with_an_encoded_line_break_is_refused(word: str) -> None:
    with pytest.raises(HeaderInjectionError) as caught:
        build_message(
            _rendered(subject=f"Hello {word}"), from_addr="a@b.example", to_addr="c@d.example"
        )
    assert caught.value.field == "Subject"


@pytest.mark.parametrize("brk", BREAKS, ids=[repr(b) for b in BREAKS])
def test_personalization_value_in_subject_is_refused(tmp_path: Path, brk: str) -> None:
    path = tmp_path / "t.j2"
    path.write_text("Subject: Fittings for {{ company }}\n\nHi {{ first_name }},\n")
    template = load_template(path)
    with pytest.raises(HeaderInjectionError) as caught:
        template.render({"company": f"ACME{brk}{INJECTED}", "first_name": "Anna"})
    assert caught.value.field == "Subject"
    assert caught.value.file == str(path) and caught.value.line == 1


# -- display names and addresses ---------------------------------------------------------------


@pytest.mark.parametrize("brk", BREAKS, ids=[repr(b) for b in BREAKS])
@pytest.mark.parametrize("field", ["From", "To"])
def test_display_name_with_a_line_break_is_refused(field: str, brk: str) -> None:
    hostile = f"Li Wei{brk}{INJECTED} <li@b.example>"
    addrs = {"from_addr": "a@b.example", "to_addr": "c@d.example"}
    addrs["from_addr" if field == "From" else "to_addr"] = hostile
    with pytest.raises(HeaderInjectionError) as caught:
        build_message(_rendered(), **addrs)
    assert caught.value.field == field


@pytest.mark.parametrize("field", ["From", "To"])
@pytest.mark.parametrize("word", ENCODED)
def test_encoded_display_name_cannot_inject(field: str, word: str) -> None:
    """Fails until fixed: an RFC 2047 word in a display name that decodes to CR LF comes out
    of build_message as a real header line (``Bcc:``), or re-parses into another address."""
    hostile = f"Li {word} <li@b.example>"
    addrs = {"from_addr": "a@b.example", "to_addr": "c@d.example"}
    addrs["from_addr" if field == "From" else "to_addr"] = hostile
    try:
        message = build_message(_rendered(), **addrs)
    except HeaderInjectionError as error:
        assert error.field == field
        return
    _assert_untouched(message)
    _, parsed = _headers_of(message)
    assert [a.addr_spec for a in parsed[field].addresses] == ["li@b.example"]


def test_address_with_a_line_break_is_refused() -> None:
    with pytest.raises(HeaderInjectionError) as caught:
        build_message(_rendered(), from_addr="a@b.example", to_addr=f"c@d.example\r\n{INJECTED}")
    assert caught.value.field == "To"


# -- Reply-To and personalization values -------------------------------------------------------


def _reply_to_template(tmp_path: Path) -> Path:
    path = tmp_path / "reply.j2"
    path.write_text(
        "Subject: Fittings\nReply-To: {{ sender_name }} <sales@b.example>\n\nHi {{ first_name }},\n"
    )
    return path


@pytest.mark.parametrize("brk", BREAKS, ids=[repr(b) for b in BREAKS])
def test_personalization_value_in_reply_to_is_refused(tmp_path: Path, brk: str) -> None:
    template = load_template(_reply_to_template(tmp_path))
    with pytest.raises(HeaderInjectionError) as caught:
        template.render({"sender_name": f"Li{brk}{INJECTED}", "first_name": "Anna"})
    assert caught.value.field == "Reply-To"
    assert caught.value.line == 2


@pytest.mark.parametrize("word", ENCODED)
def test_encoded_personalization_value_in_reply_to_cannot_inject(
    tmp_path: Path, word: str
) -> None:
    """Fails until fixed: a CSV cell ``=?utf-8?b?DQpCY2M6IHhAZXZpbC5leGFtcGxl?=`` used as the
    Reply-To display name adds a ``Bcc:`` header to the sent message, and the q-encoded form
    turns Reply-To into ``_x@evil.example?=`` — replies go to the attacker."""
    template = load_template(_reply_to_template(tmp_path))
    try:
        rendered = template.render({"sender_name": word, "first_name": "Anna"})
        message = build_message(rendered, from_addr="a@b.example", to_addr="c@d.example")
    except HeaderInjectionError as error:
        assert error.field == "Reply-To"
        return
    _assert_untouched(message, frozenset({"reply-to"}))
    _, parsed = _headers_of(message)
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["sales@b.example"]


def test_extra_header_name_cannot_smuggle_a_header() -> None:
    with pytest.raises(HeaderInjectionError) as caught:
        build_message(
            _rendered(),
            from_addr="a@b.example",
            to_addr="c@d.example",
            extra_headers={f"X-Tag\r\n{INJECTED}": "1"},
        )
    assert "X-Tag" in str(caught.value.field)


@pytest.mark.parametrize("name", ["To", "From", "Subject", "Message-ID", "Content-Type"])
def test_extra_headers_cannot_replace_our_own(name: str) -> None:
    with pytest.raises(InputError) as caught:
        build_message(
            _rendered(), from_addr="a@b.example", to_addr="c@d.example", extra_headers={name: "x"}
        )
    assert caught.value.field == name


# Values a CSV cell could hold: words, line breaks of every kind, encoded words, quotes, commas.
_hostile_text = st.lists(
    st.one_of(
        st.sampled_from([*BREAKS, *ENCODED, '"', ",", "<", ">", ":", ";", "@", "\\", "=?", "?="]),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    ),
    max_size=6,
).map("".join)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=_hostile_text)
@example(value="x\r\nBcc: victim@evil.example")
@example(value="=?utf-8?b?DQpCY2M6IHhAZXZpbC5leGFtcGxl?=")
def test_no_value_adds_a_header_or_changes_an_address(
    tmp_path: Path, value: str
) -> None:
    """Property, fails until the encoded-word hole is fixed: whatever a personalization value
    holds, the message either is refused with our error or has exactly the headers the
    template declares, with the addresses the user wrote."""
    path = tmp_path / "p.j2"
    if not path.exists():
        path.write_text(
            # Not in the subject: its own check would catch the value before Reply-To is built.
            "Subject: Hi\nReply-To: {{ v }} <sales@b.example>\n\nHello {{ v }}\n"
        )
    template = load_template(path)
    try:
        rendered = template.render({"v": value})
        message = build_message(
            rendered, from_addr="Li Wei <li@b.example>", to_addr="anna@d.example"
        )
    except HeaderInjectionError as error:
        assert error.field == "Reply-To"
        return
    except InputError as error:  # a value the address parser cannot read: ours, one line
        assert error.field == "Reply-To"
        return
    _assert_untouched(message, frozenset({"reply-to"}))
    _, parsed = _headers_of(message)
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["sales@b.example"]
    assert [a.addr_spec for a in parsed["From"].addresses] == ["li@b.example"]
    assert [a.addr_spec for a in parsed["To"].addresses] == ["anna@d.example"]


# -- the campaign file: unsubscribe URL and the mailbox's From line ----------------------------

CAMPAIGN = """\
[campaign]
name = "hostile"
template = "t.j2"
recipients = "r.csv"

[unsubscribe]
{unsubscribe}

[[mailbox]]
from = "{sender}"
host = "127.0.0.1"
port = 2525
security = "none"
warmup = "standard"
warmup_start = 2026-01-05
"""
TEMPLATE = """Subject: Fittings for {{ company }}

Hi {{ first_name }},

I am Li Wei from Ningbo Brightline. We machine stainless steel pipe fittings for
distributors in Europe, and I saw that {{ company }} supplies dairy plants.

Would a one-page spec sheet with our lead times help you? A short reply is enough.

Best regards,
Li Wei
"""


def _campaign(
    folder: Path,
    *,
    unsubscribe: str = 'url = "https://b.example/u?e={email}"',
    sender: str = "Li Wei <li@b.example>",
    rows: str = "email,first_name,company\nanna@d.example,Anna,Nordlicht\n",
) -> Path:
    (folder / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    (folder / "r.csv").write_text(rows, encoding="utf-8")
    path = folder / "campaign.toml"
    path.write_text(CAMPAIGN.format(unsubscribe=unsubscribe, sender=sender), encoding="utf-8")
    return path


@pytest.mark.parametrize("key", ["url", "mailto"])
@pytest.mark.parametrize("brk", ["\\r\\n", "\\n", "\\r"])
def test_unsubscribe_with_a_line_break_is_refused_by_the_config(
    tmp_path: Path, key: str, brk: str
) -> None:
    value = "https://b.example/u" if key == "url" else "u@b.example"
    path = _campaign(tmp_path, unsubscribe=f'{key} = "{value}{brk}Bcc: x@evil.example"')
    with pytest.raises(ConfigError) as caught:
        load_campaign(path)
    assert caught.value.field == f"unsubscribe.{key}"
    assert caught.value.file == str(path)


@pytest.mark.parametrize("brk", ["\\r\\n", "\\n"])
def test_mailbox_from_with_a_line_break_is_refused_by_the_config(tmp_path: Path, brk: str) -> None:
    path = _campaign(tmp_path, sender=f"Li Wei{brk}Bcc: x@evil.example <li@b.example>")
    with pytest.raises(ConfigError) as caught:
        load_campaign(path)
    assert caught.value.field == "mailbox[1].from"


def _dry_run(campaign: Path, tmp_path: Path) -> tuple[int, str, list[Path]]:
    out = tmp_path / "dry"
    result = CliRunner().invoke(
        app,
        [
            "send",
            str(campaign),
            "--ledger",
            str(tmp_path / "ledger.sqlite3"),
            "--dry-run",
            str(out),
            "--yes",
            "--offline",
        ],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.output, sorted(out.glob("*.eml")) if out.exists() else []


@pytest.mark.parametrize("brk", ["\\u2028", "\\u0085", "\\u000b"])
def test_unicode_line_break_in_unsubscribe_url_never_reaches_a_message(
    tmp_path: Path, brk: str
) -> None:
    """The config passes it (only CR/LF/space are checked there); the message builder must
    then refuse it, so no .eml is written with a broken List-Unsubscribe."""
    campaign = _campaign(tmp_path, unsubscribe=f'url = "https://b.example/u{brk}Bcc:x@evil.example"')
    try:
        load_campaign(campaign)
    except ConfigError as error:
        assert error.field == "unsubscribe.url"
        return
    code, output, written = _dry_run(campaign, tmp_path)
    for path in written:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert "bcc" not in {k.lower() for k in parsed}, path.read_text()
    assert written == [] or code != 0, output


def test_dry_run_of_hostile_rows_writes_only_clean_messages(tmp_path: Path) -> None:
    """End to end: CSV cells carrying CR/LF in a personalization value are skipped; the
    messages written are exactly what would be sent, each with the expected headers only."""
    rows = (
        "email,first_name,company\n"
        "anna@nordlicht.example,Anna,Nordlicht Handel\n"
        '"jan@holland.example",Jan,"Holland\r\nBcc: victim@evil.example"\n'
        '"marco@rossi.example","Marco\nBcc: victim@evil.example",Rossi Impianti\n'
        "claire@inox.example,Claire,\"Inox\u2028Bcc: victim@evil.example\"\n"
        'lea@weber.example,Lea,"=?utf-8?b?DQpCY2M6IHhAZXZpbC5leGFtcGxl?="\n'
    )
    campaign = _campaign(tmp_path, rows=rows)
    _, output, written = _dry_run(campaign, tmp_path)
    assert written, output
    names_written = {p.name.split("-", 1)[1] for p in written}
    assert "anna@nordlicht.example.eml" in names_written
    assert not {"jan@holland.example.eml", "claire@inox.example.eml"} & names_written
    for path in written:
        raw = path.read_bytes()
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        names = [k.lower() for k in parsed]
        assert "bcc" not in names, raw[:600]
        assert len(names) == len(set(names)), names
        assert len(parsed.get_all("List-Unsubscribe") or []) == 1
        assert "Bcc:" not in str(parsed["Subject"])


def test_recipient_in_unsubscribe_url_is_percent_encoded() -> None:
    from preflight.campaign_config import Unsubscribe

    headers = Unsubscribe(url="https://b.example/u?e={email}").headers(
        "anna@d.example\r\nBcc: x@evil.example"
    )
    value = headers["List-Unsubscribe"]
    assert "\r" not in value and "\n" not in value and " " not in value
    assert "%0D%0ABcc%3A" in value
