"""Values of a row that must not reach a mail: empty or formula-like.

A row whose greeting would read "Hi ," or carry ``=HYPERLINK(...)`` is blocked whatever its
lint score: the message would embarrass the sender. A variable the template guards itself
(``{{ first_name or "there" }}``, ``{{ first_name | default("there", true) }}``, inside an
``{% if %}``) may be empty. A leading apostrophe before a formula character is how a
spreadsheet (and ``preflight check --fix``) marks a value as text: it is not part of the value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2 import nodes

from preflight.recipients import visible_start

# OWASP's CSV-injection starters, found the way the CSV guard finds them (past invisible
# characters, full-width folded). "+" and "-" start a formula unless what follows is a number
# or a phone number, so "+49 30 1234" and a lone "-" stay plain text.
_NUMBER = re.compile(r"[+-][\d\s().\-/]*")


def is_formula(value: str) -> bool:
    start = visible_start(value)
    if start is None or start[0] not in "=@+-":
        return False
    if start[0] in "=@":
        return True
    shown = "".join(ch for ch in value[:1000] if visible_start(ch) is not None)
    return not _NUMBER.fullmatch(unicodedata.normalize("NFKC", shown))


def spreadsheet_value(value: str) -> str:
    """The value as a spreadsheet reads it: a guard apostrophe before a formula is not kept."""
    if value.startswith("'") and is_formula(value[1:]):
        return value[1:]
    return value


def formula_columns(fields: Mapping[str, str], columns: Iterable[str] | None) -> list[str]:
    """The columns among ``columns`` (every column when None) whose value is formula-like."""
    names = fields if columns is None else [name for name in columns if name in fields]
    return [name for name in names if is_formula(spreadsheet_value(fields[name]))]


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


__all__ = ["bare_variables", "formula_columns", "is_formula", "row_problems", "spreadsheet_value"]
