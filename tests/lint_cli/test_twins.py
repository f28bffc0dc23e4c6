"""beautifulsoup4 where it is the right tool: the text twin of an HTML-only template, and the
charset of HTML whose declared charset is wrong."""

from __future__ import annotations

from pathlib import Path

from preflight.draft import Draft, read_draft
from preflight.lint.linter import lint_draft
from preflight.message import build_message
from preflight.plaintext import plain_text_twin
from preflight.templates import load_template

HTML_ONLY = """Subject: Valve castings for {{ company }}

--- html ---
<p>Hi {{ first_name }},</p>
<p>We cast <b>stainless valve bodies</b> for pump makers. See
<a href="https://hangzhou-valves.com/drawings">our drawings</a>.</p>
<ul><li>DN15 to DN100</li><li>three weeks to Sweden</li></ul>
<p>Best regards,<br>Li Wei</p>
"""


def test_an_html_only_template_is_sent_as_multipart_alternative(tmp_path: Path) -> None:
    path = tmp_path / "html-only.j2"
    path.write_text(HTML_ONLY, encoding="utf-8")
    rendered = load_template(path).render({"company": "Nordic Pumps", "first_name": "Anna"})
    assert "Hi Anna," in rendered.text and "<p>" not in rendered.text
    assert "our drawings (https://hangzhou-valves.com/drawings)" in rendered.text
    assert "- DN15 to DN100\n- three weeks to Sweden" in rendered.text
    message = build_message(
        rendered, from_addr="Li Wei <li.wei@hangzhou-valves.com>", to_addr="anna@nordic-pumps.se"
    )
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    draft = Draft.from_message(message, str(path), rendered.personalization)
    assert "STR501" not in {f.code for f in lint_draft(draft).findings}


def test_the_twin_leaves_out_hidden_preview_text_and_scripts() -> None:
    html = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        '<div style="display: none">preview line</div><script>x()</script><p>Hello</p></body>'
    )
    assert plain_text_twin(html) == "Hello\n"


def test_html_with_a_wrong_declared_charset_is_sniffed(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="windows-1252"></head><body><p>Gr\u00fc\u00dfe aus Hangzhou, '
        "wir liefern Ventilgeh\u00e4use in drei Wochen.</p></body></html>"
    ).encode("cp1252")
    data = (
        b"From: Li Wei <li.wei@hangzhou-valves.com>\r\nTo: anna@nordic-pumps.se\r\n"
        b"Subject: Ventile\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html + b"\r\n"
    )
    path = tmp_path / "wrong-charset.eml"
    path.write_bytes(data)
    draft = read_draft(path)
    assert draft.html_view is not None
    assert "Grüße aus Hangzhou" in draft.html_view.visible_text
    assert any("windows-1252" in problem for problem in draft.mime_problems)
    assert "STR513" in {f.code for f in lint_draft(draft).findings}


def test_html_in_its_declared_charset_is_not_sniffed(tmp_path: Path) -> None:
    data = (
        b"From: Li Wei <li.wei@hangzhou-valves.com>\r\nTo: anna@nordic-pumps.se\r\n"
        b"Subject: Ventile\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        + "<p>Grüße aus Hangzhou</p>".encode()
        + b"\r\n"
    )
    path = tmp_path / "right-charset.eml"
    path.write_bytes(data)
    draft = read_draft(path)
    assert draft.mime_problems == []
    assert draft.html_view is not None and "Grüße" in draft.html_view.visible_text
