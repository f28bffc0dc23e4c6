"""Templates run in Jinja2's sandbox: no way to Python internals, the file system, or a hang.

A template is the user's own file, but rows are third-party data and templates get shared;
either way a template must fail as a one-line TemplateError naming the file and line, and
rendering must stay bounded. Cases that may truly hang run in a forked child (``in_child``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hostile.helpers import in_child
from preflight.errors import PreflightError, TemplateError
from preflight.templates import load_template

ESCAPES = {
    "str-class": "{{ ''.__class__.__mro__ }}",
    "cycler-globals": "{{ cycler.__init__.__globals__ }}",
    "joiner-os": "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "lipsum-globals": "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "namespace-init": "{{ namespace.__init__.__globals__ }}",
    "self-globals": "{{ self.__init__.__globals__ }}",
    "attr-filter": "{{ ''|attr('__class__') }}",
    "format-method": "{{ '{0.__class__}'.format('') }}",
    "format-filter": "{{ '%s'|format(''.__class__) }}",
    "subclasses": "{{ ().__class__.__base__.__subclasses__() }}",
    "dunder-len": "{{ 'a'.__len__() }}",
    "dict-update": "{% set d = {} %}{{ d.update({'a': 1}) }}",
    "list-append": "{% set l = [] %}{{ l.append(1) }}",
    "include-file": "{% include '/etc/passwd' %}",
    "import-file": "{% import '/etc/passwd' as p %}",
    "extends-file": "{% extends '../../../../etc/passwd' %}",
    "range-huge": "{{ range(10**9)|list|length }}",
    "recursive-macro": "{% macro f(x) %}{{ f(x) }}{% endmacro %}{{ f(1) }}",
    "row-class": "{{ first_name.__class__ }}",
    "row-mro": "{{ first_name.__class__.__mro__[1].__subclasses__() }}",
}


def _write(tmp_path: Path, body: str, name: str = "t.j2") -> Path:
    path = tmp_path / name
    path.write_text("Subject: Hello {{ first_name }}\n\n" + body + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("body", ESCAPES.values(), ids=ESCAPES.keys())
def test_sandbox_escape_fails_cleanly(tmp_path: Path, body: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(TemplateError) as caught:
        load_template(path).render({"first_name": "Anna"})
    error = caught.value
    assert error.file == str(path)
    assert error.line == 3  # the body line, as the file counts it
    assert "\n" not in str(error)
    assert "root:" not in str(error) and "uid=" not in str(error)  # nothing was read or run


def test_row_values_are_data_never_template_code(tmp_path: Path) -> None:
    path = _write(tmp_path, "Hi {{ first_name }}, {{ company }}")
    rendered = load_template(path).render(
        {"first_name": "{{ ''.__class__.__mro__ }}", "company": "{% include '/etc/passwd' %}"}
    )
    assert "{{ ''.__class__.__mro__ }}" in rendered.text
    assert "{% include '/etc/passwd' %}" in rendered.text
    assert "root:" not in rendered.text


def test_html_part_escapes_row_values(tmp_path: Path) -> None:
    path = tmp_path / "h.j2"
    path.write_text("Subject: Hi\n\nHi {{ n }}\n--- html ---\n<p>Hi {{ n }}</p>\n")
    rendered = load_template(path).render({"n": '<script>alert(1)</script><a href="x">'})
    assert rendered.html is not None
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html


# Templates that try to exhaust CPU or memory. Each must end, inside the bound, in a rendered
# result or a TemplateError; the child has a 1.5 GB memory ceiling, so a MemoryError there is
# what an attempt to allocate gigabytes looks like.
RUNAWAYS = {
    "pow-fold": "{{ 9**99999999 }}",  # folded at compile time by Jinja's optimizer
    "pow-runtime": "{% set n = 99999999 %}{{ 9**n }}",
    "str-times": "{{ 'a' * 10**12 }}",
    "list-times": "{{ ([1] * 10**10)|length }}",
    "format-width": "{{ '%0999999999d'|format(1) }}",
    "center-width": "{{ 'a'|center(10**10)|length }}",
    "nested-loops": "{% for a in range(100000) %}{% for b in range(100000) %}"
    "{% endfor %}{% endfor %}",
    "int-to-str": "{{ (10**5000)|string }}",
    "truncate-negative": "{{ 'abc'|truncate(-5) }}",
}


@pytest.mark.parametrize("body", RUNAWAYS.values(), ids=RUNAWAYS.keys())
def test_template_resource_limits_stop_runaways(tmp_path: Path, body: str) -> None:
    """Fails until fixed (several cases): the sandbox blocks attribute access but not work.
    ``9**99999999`` hangs load_template (constant folding), ``'a' * 10**12`` and the format
    widths escape as MemoryError, nested ranges loop 10^10 times, ``truncate(-5)`` escapes as
    AssertionError and ``(10**5000)|string`` as ValueError from compile()."""
    path = _write(tmp_path, body)

    def render() -> int:
        return len(load_template(path).render({"first_name": "Anna"}).text)

    # A tiny template renders in milliseconds: 5 s is generous and keeps a failure cheap.
    outcome = in_child(render, timeout=5.0)
    assert outcome.kind != "timeout", "the template ran away (> 5 s)"
    assert outcome.kind != "died", outcome.message
    assert outcome.clean, f"{outcome.error_type}: {outcome.message}"
    if outcome.kind == "returned":
        assert isinstance(outcome.value, int) and outcome.value < 10_000_000


def test_error_messages_from_templates_are_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "{% if %}\n{{ broken")
    with pytest.raises(PreflightError) as caught:
        load_template(path)
    assert caught.value.file == str(path) and caught.value.line is not None
    assert "\n" not in str(caught.value)
