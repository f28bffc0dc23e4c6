"""Property: no personalization value can add a header to a built message."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from preflight.errors import HeaderInjectionError, InputError
from preflight.message import build_message
from preflight.templates import load_template

EXPECTED_HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(max_size=60))
@example(value="x\r\nBcc: victim@example.com")
@example(value="x\nBcc: victim@example.com")
@example(value="x\u2028Bcc: victim@example.com")
@example(value="x\x85Bcc: victim@example.com")
@example(value="=?utf-8?q?x=0D=0ABcc=3A_v@example.com?=")
def test_values_never_create_headers(tmp_path_factory, value: str) -> None:  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("t")
    path = folder / "t.j2"
    path.write_text("Subject: Hi {{ v }}\nReply-To: {{ v }} <r@b.example>\n\nHello {{ v }}\n")
    template = load_template(path)
    try:
        rendered = template.render({"v": value})
        message = build_message(rendered, from_addr="a@b.example", to_addr="c@d.example")
    except HeaderInjectionError as error:
        assert error.field in {"Subject", "Reply-To"}
        # Refused only for a line break, an encoded word, a control character, or a name
        # that holds an address (or angle brackets).
        assert (
            len(f"x{value}x".splitlines()) > 1
            or "=?" in value
            or re.search("[\x00-\x1f\x7f-\x9f@<>]", value)
        )
        return
    except InputError as error:
        # A display name the address parser cannot read: our one-line error, not a crash.
        assert error.field == "Reply-To"
        return
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert [name for name in parsed if name not in EXPECTED_HEADERS] == []
    assert len(parsed.get_all("Subject")) == 1
    assert "bcc" not in {k.lower() for k in parsed}
    # The Reply-To holds exactly one address, whatever the name was.
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["r@b.example"]
