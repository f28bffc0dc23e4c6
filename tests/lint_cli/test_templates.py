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


# Resource limits (module docstring of preflight.templates). Each runaway runs in a forked
# child with a wall-clock bound and a memory ceiling, so a regressed limit fails the test
# instead of hanging or exhausting the machine; the message must name the limit that fired.
LIMITS = {
    "pow-folded": ("{{ 9**99999999 }}", "exponent of 99,999,999"),
    "pow-chain": ("{{ ((10**200)**256)**256 }}", "100,000 bits"),
    "int-product": ("{% set n = 10**250 %}" + "{% set n = n * n %}" * 12, "100,000 bits"),
    "str-repeat": ("{{ 'a' * 10**12 }}", "100,000 items"),
    "list-repeat": ("{{ ([1] * 10**10)|length }}", "100,000 items"),
    "list-of-text": ("{% set s = 'a'*100000 %}{{ ([s]*100)|string }}", "repeating a list"),
    "plus": ("{% set s = 'a'*100000 %}{% set s = s+s+s+s+s+s+s+s+s+s+s %}", "with '+'"),
    "tilde": ("{% set s = 'a'*100000 %}" + "{% set s = s ~ s %}" * 5, "characters of text"),
    "percent": ("{{ '%0999999999d' % 1 }}", "width or precision of 999999999"),
    "percent-star": ("{{ '%*d' % (10**9, 1) }}", "'*' width"),
    "format-filter": ("{{ '%0999999999d'|format(1) }}", "width or precision of 999999999"),
    "str-format": ("{{ '{:>999999999}'.format(1) }}", "width or precision of 999999999"),
    "str-format-nested": ("{{ '{:>{w}}'.format(1, w=10**9) }}", "1000000000"),
    "str-format-total": ("{{ ('{0:9999}' * 1000).format(1) }}", "str.format"),
    "center": ("{{ 'a'|center(10**10) }}", "center width"),
    "ljust": ("{{ 'a'.ljust(10**9) }}", "ljust width"),
    "indent": ("{% set s = '\\n' * 100000 %}{{ s|indent(100) }}", "an indent"),
    "wordwrap": ("{{ ('a ' * 1000)|wordwrap(1, wrapstring='x' * 10000) }}", "a wordwrap"),
    "replace": ("{% set s = 'a' * 10000 %}{{ s|replace('', s) }}", "a replace"),
    "str-replace": ("{% set s = 'a' * 10000 %}{{ s.replace('', s) }}", "a replace"),
    "join": ("{% set s = 'a' * 100000 %}{{ [s, s, s, s, s, s, s, s, s, s, s]|join }}", "a join"),
    "str-join": ("{{ ('x' * 100000).join(['a'] * 100000) }}", "a join"),
    "batch": ("{{ [1]|batch(10**9, 0)|list }}", "batch size"),
    "round": ("{{ 5|round(-999999999) }}", "round precision"),
    "tojson": ("{{ [[1]]|tojson(indent=10**8) }}", "tojson indent"),
    "to-bytes": ("{{ (1).to_bytes(10**9, 'big') }}", "byte length"),
    "lipsum": ("{{ lipsum(10**6) }}", "lipsum paragraphs"),
    "range": ("{{ range(10**9)|list|length }}", "more than 100,000 items"),
    "ranges-add-up": (
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "more than 100,000 items",
    ),
    "loops-add-up": (
        "{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}{% endfor %}",
        "ran more than 100,000 times",
    ),
    "output": (
        "{% set s = 'a' * 100000 %}{% for i in range(100000) %}{{ s }}{% endfor %}",
        "characters of text",
    ),
    "captured-block": (
        "{% set s = 'a' * 100000 %}{% set x %}{% for i in range(20) %}{{ s }}{% endfor %}"
        "{% endset %}",
        "characters of text",
    ),
    "macro": (
        "{% macro m(s) %}{{ s }}{{ s }}{% endmacro %}{% set s = 'a' * 100000 %}"
        + "{% set s = m(s) %}" * 5,
        "characters of text",
    ),
    "truncate-negative": ("{{ 'abc'|truncate(-5) }}", "shorter than its end marker"),
}


@pytest.mark.parametrize(("body", "fragment"), LIMITS.values(), ids=LIMITS.keys())
def test_resource_limits_refuse_runaways_naming_the_line(
    write: Callable[..., Path], body: str, fragment: str
) -> None:
    from hostile.helpers import in_child

    path = write("t.j2", "Subject: Hi {{ first_name }}\n\n" + body + "\n")
    outcome = in_child(lambda: load_template(path).render({"first_name": "Anna"}), timeout=10)
    assert outcome.kind == "raised", f"{outcome.kind}: {outcome.value!r}"
    assert outcome.error_type == "TemplateError", outcome.message
    assert outcome.message.startswith(f"{path}:3: "), outcome.message
    assert fragment in outcome.message


def test_render_time_limit(write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from hostile.helpers import in_child

    import preflight.templates

    # Each step is small, but re-copying a growing list is quadratic: only the clock stops it.
    monkeypatch.setattr(preflight.templates, "MAX_RENDER_SECONDS", 0.2)
    body = (
        "{% set ns = namespace(items=[]) %}{% for i in range(100000) %}"
        "{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.items|length }}"
    )
    path = write("t.j2", "Subject: Hi\n\n" + body + "\n")
    outcome = in_child(lambda: load_template(path).render({}), timeout=10)
    assert (outcome.kind, outcome.error_type) == ("raised", "TemplateError")
    assert "took more than 0.2 s" in outcome.message
    assert outcome.seconds < 5


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("{{ " + "9" * 5000 + " }}", "ValueError"),
        ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", ""),
    ],
)
def test_compile_failures_are_template_errors(
    write: Callable[..., Path], body: str, kind: str
) -> None:
    path = write("t.j2", "Subject: Hi\n\nHello\n" + body + "\n")
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert (caught.value.file, caught.value.field) == (str(path), "text")
    assert caught.value.line == 3  # the part's first line: Jinja gives none for these
    assert "cannot compile" in caught.value.message and kind in caught.value.message


def test_limits_leave_ordinary_templates_alone(write: Callable[..., Path]) -> None:
    body = (
        "{{ '-' * 12 }}|{{ 2 ** 10 }}|{{ 3 * 4 }}|{{ 'a' + 'b' }}|{{ [1] + [2] }}|{{ 7 % 3 }}\n"
        "{{ '%05d'|format(42) }}|{{ '%-6s|' % 'ab' }}{{ '{:>6}'.format('x') }}|"
        "{{ 'ab'|center(6) }}|{{ 'a b c d'|wordwrap(3) }}|"
        "{{ 'hello world'|truncate(8, leeway=0) }}\n"
        "{{ 'x\ny'|indent(2) }}|{{ 'a-b'|replace('-', '+') }}|{{ ['a', 'b']|join(', ') }}\n"
        "{% for x in items %}{{ loop.index }}/{{ loop.length }}{{ x }}"
        "{% if not loop.last %},{% endif %}{% else %}none{% endfor %};\n"
        "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}|{{ 3.14159|round(2) }}\n"
        "{% macro hi(n) %}Hi {{ n ~ '!' }}{% endmacro %}{{ hi(first_name) }}\n"
        "{% for n in tree recursive %}{{ n.name }}{% if n.kids %}({{ loop(n.kids) }}){% endif %}"
        "{% endfor %};\n"
    )
    path = write("t.j2", "Subject: Hi\n\n" + body)
    tree = [{"name": "a", "kids": [{"name": "b", "kids": []}]}]
    rendered = load_template(path).render(
        {"first_name": "Anna", "items": ["p", "q"], "tree": tree}  # type: ignore[dict-item]
    )
    assert rendered.text.splitlines() == [
        "------------|1024|12|ab|[1, 2]|1",
        "00042|ab    |     x|  ab  |a b",
        "c d|hello...",
        "x",
        "  y|a+b|a, b",
        "1/2p,2/2q;",
        "empty|3.14",
        "Hi Anna!",
        "a(b);",
    ]


def test_budgets_are_per_part_and_per_render(write: Callable[..., Path]) -> None:
    # 60,000 range items in the subject and 60,000 + 40,000 in the body: each part has its
    # own 100,000 (the body uses all of it), and each render starts afresh.
    loop = "{% for i in range(60000) %}{% endfor %}"
    path = write(
        "t.j2", f"Subject: Hi{loop}\n\n{loop}Body {{{{ '{{:,}}'.format(range(40000)|length) }}}}\n"
    )
    template = load_template(path)
    for _ in range(3):
        rendered = template.render({})
        assert (rendered.subject, rendered.text) == ("Hi", "Body 40,000\n")


def test_text_limit_is_exactly_one_million_characters(write: Callable[..., Path]) -> None:
    # The body is the text, then the newline ending the file: 999,999 + 1 fits, one more not.
    fits = write("fits.j2", "Subject: Hi\n\n{{ 'a' * 99999 }}" + "{{ 'a' * 100000 }}" * 9 + "\n")
    assert len(load_template(fits).render({}).text) == 1_000_000
    over = write("over.j2", "Subject: Hi\n\n" + "{{ 'a' * 100000 }}" * 10 + "\n")
    with pytest.raises(TemplateError, match="more than 1,000,000 characters"):
        load_template(over).render({})
