"""The template limits the security review bypassed, one case each: every one refused by
the sandbox's own limit (not by running out of memory) within 5 s and under 1 GB."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostile.helpers import in_child
from preflight.templates import load_template

# Nested references: each list is small, but as text it is 99 x 99 x 99 x 9,999 characters.
NESTED = (
    "{% set s = 'x' * 9999 %}{% set l = [s] * 99 %}{% set m = [l] * 99 %}{% set n = [m] * 99 %}"
)
CENTERS = "range(99999)|map('center', 9999)"
BYPASSES = {
    "tojson string indent": "{{ {'a': [1, [2, [3]]]}|tojson(indent=' ' * 99999) }}",
    "sort over 100k long strings": "{{ " + CENTERS + "|sort|first|length }}",
    "unique over 100k long strings": "{{ " + CENTERS + "|unique|list|length }}",
    "punycode decode": (
        "{{ (('a' * 200000) ~ '-' ~ ('b' * 200000)).encode('ascii')"
        ".decode('punycode', 'replace')|length }}"
    ),
    "idna encode": "{{ ('a.' * 100000).encode('idna')|length }}",
    "map center four times": (
        "{% set l = ['x'] * 99999 %}"
        "{% for _ in range(4) %}{{ l|map('center', 9999)|list|length }}{% endfor %}"
    ),
    "string of nested lists": NESTED + "{{ n|string|length }}",
    "tilde of nested lists": NESTED + "{{ (n ~ '')|length }}",
    "pprint of nested lists": NESTED + "{{ n|pprint|length }}",
    "sort of nested lists": NESTED + "{{ n|sort|string|length }}",
}


@pytest.mark.parametrize("name", list(BYPASSES))
def test_each_bypass_is_refused_fast_and_small(tmp_path: Path, name: str) -> None:
    path = tmp_path / "t.j2"
    path.write_text(f"Subject: Hi\n\n{BYPASSES[name]}\n", encoding="utf-8")
    template = load_template(path)

    def render() -> object:
        return template.render({})

    outcome = in_child(render, timeout=5.0, memory_mb=1000)
    assert outcome.kind == "raised" and outcome.preflight_error, outcome
    # Our limit said no, before the work: not a MemoryError turned into an error line.
    assert "refused by the template sandbox" in outcome.message, outcome
    assert outcome.seconds < 5.0, outcome


def test_ordinary_uses_of_the_same_filters_still_work(tmp_path: Path) -> None:
    path = tmp_path / "t.j2"
    path.write_text(
        "Subject: Hi\n\n{{ names|sort|join(', ') }} {{ {'a': 1}|tojson(indent=2)|length }} "
        "{{ 'Müller'.encode('utf-8').decode('latin-1')|length }} "
        "{{ names|map('upper')|list|string }}\n",
        encoding="utf-8",
    )
    text = load_template(path).render({"names": ["li", "anna"]}).text
    assert text.startswith("anna, li 12 7 ['LI', 'ANNA']")
