"""Templates: the file format, the sandbox, StrictUndefined errors and header injection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from preflight.errors import HeaderInjectionError, TemplateError
from preflight.templates import load_template, sample_row, sample_value

from .conftest import TEMPLATE

ROW = {"first_name": "Anna", "company": "Nordlicht"}


def test_renders_subject_text_and_personalization(write: Callable[..., Path]) -> None:
    template = load_template(write("t.j2", TEMPLATE))
    assert template.variables == {"first_name", "company"}
    rendered = template.render(ROW)
    assert rendered.subject == "Pipe fittings for Nordlicht"
    assert rendered.text.startswith("Hi Anna,\n\nI'm Li Wei")
    assert "that Nordlicht supplies" in rendered.text
    assert rendered.text.endswith("write again.\n")
    assert rendered.html is None
    assert rendered.headers == {}
    assert rendered.personalization.subject_vars == {"company"}
    assert rendered.personalization.first_line_vars == {"first_name"}


def test_html_part_is_autoescaped_and_text_is_not(write: Callable[..., Path]) -> None:
    source = (
        "Subject: Hello {{ company }}\n\n"
        "Hi {{ first_name }},\n"
        "--- html ---\n"
        "<p>Hi {{ first_name }},</p>\n"
    )
    rendered = load_template(write("t.j2", source)).render(
        {"first_name": "<b>Tom & Jerry</b>", "company": "A&B"}
    )
    assert rendered.subject == "Hello A&B"
    assert rendered.text == "Hi <b>Tom & Jerry</b>,\n"
    assert rendered.html is not None
    assert rendered.html.strip() == "<p>Hi &lt;b&gt;Tom &amp; Jerry&lt;/b&gt;,</p>"


def test_reply_to_and_preheader(write: Callable[..., Path]) -> None:
    source = (
        "Subject: Hi\nReply-To: {{ rep }}@brightline.example\nPreheader: For {{ first_name }}\n\n"
        "Body\n"
    )
    rendered = load_template(write("t.j2", source)).render({"rep": "sales", "first_name": "Ann"})
    assert rendered.headers == {"Reply-To": "sales@brightline.example"}
    assert rendered.preheader == "For Ann"


def test_undefined_variable_names_the_variable_and_line(write: Callable[..., Path]) -> None:
    path = write("t.j2", "Subject: Hi\n\nHello,\n\nWe ship {{ product }} fast.\n")
    with pytest.raises(TemplateError) as caught:
        load_template(path).render({})
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), 5, "product")
    assert str(error).startswith(f"{path}:5: product: undefined variable")


def test_undefined_variable_in_html_part_names_the_file_line(write: Callable[..., Path]) -> None:
    source = "Subject: Hi\n\nHello\n--- html ---\n<p>Hello</p>\n<p>{{ city }}</p>\n"
    path = write("t.j2", source)
    with pytest.raises(TemplateError) as caught:
        load_template(path).render({})
    assert (caught.value.line, caught.value.field) == (6, "city")


def test_syntax_error_names_the_line(write: Callable[..., Path]) -> None:
    path = write("t.j2", "Subject: Hi\n\nline 3\nline 4 {% if x %}\nline 5\n")
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert caught.value.file == str(path)
    assert caught.value.line is not None and caught.value.line >= 4
    assert "syntax error" in caught.value.message


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ first_name.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_sandbox_escapes_fail_cleanly(write: Callable[..., Path], expression: str) -> None:
    path = write("t.j2", f"Subject: Hi\n\nHello\n{expression}\n")
    with pytest.raises(TemplateError) as caught:
        load_template(path).render({"first_name": "Anna"})
    assert caught.value.line == 4
    assert "\n" not in str(caught.value)


def test_sandbox_refuses_unsafe_method_calls(write: Callable[..., Path]) -> None:
    path = write("t.j2", "Subject: Hi\n\n{{ items.append(1) or items }}\n")
    with pytest.raises(TemplateError, match="sandbox"):
        load_template(path).render({"items": []})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("Nordlicht\r\nBcc: victim@example.com", "Subject"),
        ("Nordlicht\nBcc: victim@example.com", "Subject"),
        ("Nordlicht\rX-Evil: 1", "Subject"),
    ],
)
def test_line_break_in_a_subject_value_is_refused(
    write: Callable[..., Path], value: str, field: str
) -> None:
    path = write("t.j2", TEMPLATE)
    with pytest.raises(HeaderInjectionError) as caught:
        load_template(path).render({"first_name": "Anna", "company": value})
    assert (caught.value.field, caught.value.line, caught.value.file) == (field, 1, str(path))


def test_line_break_in_reply_to_value_is_refused(write: Callable[..., Path]) -> None:
    path = write("t.j2", "Subject: Hi\nReply-To: {{ rep }}\n\nBody\n")
    with pytest.raises(HeaderInjectionError) as caught:
        load_template(path).render({"rep": "a@b.example\r\nBcc: c@d.example"})
    assert (caught.value.field, caught.value.line) == ("Reply-To", 2)


def test_a_line_break_in_the_body_is_fine(write: Callable[..., Path]) -> None:
    rendered = load_template(write("t.j2", TEMPLATE)).render(
        {"first_name": "Anna\nBcc: x", "company": "N"}
    )
    assert "Anna\nBcc: x" in rendered.text


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("Hello there\n\nBody\n", 1, "expected a header line"),
        ("Subject: a\nX-Mailer: me\n\nBody\n", 2, "unknown template header"),
        ("Reply-To: a@b.example\n\nBody\n", 1, "no 'Subject:' header"),
        ("Subject: a\nSubject: b\n\nBody\n", 2, "given twice"),
        ("Subject: a\n", 1, "has no body"),
        ("{# never closed\nSubject: a\n\nBody\n", 1, "never closed"),
    ],
)
def test_malformed_files_name_the_line(
    write: Callable[..., Path], source: str, line: int, fragment: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        load_template(write("t.j2", source))
    assert caught.value.line == line
    assert fragment in caught.value.message


def test_leading_comment_keeps_file_line_numbers(write: Callable[..., Path]) -> None:
    source = "{#\n  notes\n#}\n\nSubject: Hi\n\nHello\n{{ missing }}\n"
    template = load_template(write("t.j2", source))
    with pytest.raises(TemplateError) as caught:
        template.render({})
    assert caught.value.line == 8


def test_bom_crlf_and_header_case_are_accepted(write: Callable[..., Path]) -> None:
    source = "\ufeffsubject: Hi {{ first_name }}\r\n\r\nHello {{ first_name }}\r\n"
    rendered = load_template(write("t.j2", source.encode("utf-8"))).render({"first_name": "Jo"})
    assert rendered.subject == "Hi Jo"
    assert rendered.text == "Hello Jo\n"


def test_non_utf8_file_names_the_line(write: Callable[..., Path]) -> None:
    path = write("t.j2", b"Subject: Hi\n\nline 3\ncaf\xe9\n")
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert caught.value.line == 4
    assert "UTF-8" in caught.value.message


def test_missing_template_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as caught:
        load_template(tmp_path / "nope.j2")
    assert caught.value.file == str(tmp_path / "nope.j2")


def test_sample_values_cover_any_variable() -> None:
    row = sample_row({"first_name", "company", "favourite_colour"})
    assert row["first_name"] == "Anna"
    assert row["company"] == "Nordlicht Handel GmbH"
    assert row["favourite_colour"] == "Favourite colour"
    assert sample_value("x") == "X"


def test_shipped_templates_render_with_sample_values() -> None:
    from preflight.resources import shipped_dir

    paths = sorted(shipped_dir("templates").glob("*.j2"))
    assert {p.name for p in paths} >= {"first-contact.j2"}
    assert len(paths) >= 2
    first = load_template(shipped_dir("templates") / "first-contact.j2")
    assert first.variables == {"first_name", "company"}
    for path in paths:
        template = load_template(path)
        rendered = template.render(sample_row(template.variables))
        assert rendered.subject and "{{" not in rendered.text
        assert rendered.html is not None and "<p>" in rendered.html
        assert rendered.personalization.first_line_vars == {"first_name"}


def test_unicode_line_separators_stay_in_the_body_and_lines_match_jinja(
    write: Callable[..., Path],
) -> None:
    path = write("t.j2", "Subject: Hi\n\nOne\u2028two\x0cthree\n{{ missing }}\n")
    template = load_template(path)
    with pytest.raises(TemplateError) as caught:
        template.render({})
    assert caught.value.line == 4
    rendered = template.render({"missing": "x"})
    assert rendered.text == "One\u2028two\x0cthree\nx\n"


def test_unicode_line_separator_in_a_subject_value_is_refused(write: Callable[..., Path]) -> None:
    template = load_template(write("t.j2", "Subject: Hi {{ v }}\n\nBody\n"))
    for value in ("a\u2028Bcc: x", "a\x85Bcc: x", "a\x0bb"):
        with pytest.raises(HeaderInjectionError):
            template.render({"v": value})
