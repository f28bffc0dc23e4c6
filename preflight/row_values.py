"""Values of a row that must not reach a mail: empty or formula-like.

A row whose greeting would read "Hi ," or carry ``=HYPERLINK(...)`` is blocked whatever its
lint score: the message would embarrass the sender. A variable the template guards itself
(``{{ first_name or "there" }}``, ``{{ first_name | default("there", true) }}``, inside an
``{% if %}``) may be empty. A leading apostrophe before a formula character is how a
spreadsheet (and ``preflight check --fix``) marks a value as text: it is not part of the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2 import nodes

# OWASP's CSV-injection starters; "+" and "-" only before a function call or a reference, so
# "+49 30 1234" and "-" stay plain text.
_FORMULA = re.compile(r"^\s*(?:[=@]|[+-]\s*[A-Za-z(])")


def spreadsheet_value(value: str) -> str:
    """The value as a spreadsheet reads it: a guard apostrophe before a formula is not kept."""
    if value.startswith("'") and _FORMULA.match(value[1:]):
        return value[1:]
    return value


def is_formula(value: str) -> bool:
    return bool(_FORMULA.match(value))


@lru_cache(maxsize=64)
def bare_variables(path: Path, mtime: float) -> frozenset[str] | None:
    """Variables the template prints as they are, unguarded (None when it cannot tell)."""
    try:
        tree = jinja2.Environment().parse(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeError, jinja2.TemplateSyntaxError):
        return None
    bare: set[str] = set()
    for output in tree.find_all(nodes.Output):
        for child in output.nodes:
            node = child
            while isinstance(node, nodes.Filter) and node.name not in ("default", "d"):
                node = node.node
            if isinstance(node, nodes.Name):
                bare.add(node.name)
    return frozenset(bare)


def row_problems(template_path: Path, used: frozenset[str],
                 fields: Mapping[str, str]) -> list[str]:
    """Why this row's values must not go out (empty or formula-like), one phrase each."""
    try:
        printed = bare_variables(template_path, template_path.stat().st_mtime)
    except OSError:
        printed = None
    problems = []
    for name in sorted(used):
        if name not in fields:
            continue
        value = fields[name]
        if not value.strip() and (printed is None or name in printed):
            problems.append(
                f'empty {name} (give it a value, or write {{{{ {name} or "there" }}}} in the '
                "template)"
            )
        elif is_formula(value):
            problems.append(f"{name} looks like a spreadsheet formula ({value[:40]!r})")
    return problems


__all__ = ["bare_variables", "is_formula", "row_problems", "spreadsheet_value"]
