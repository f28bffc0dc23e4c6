"""The explicit, ordered registry of lint rules: one module per rule family.

Families and their code prefixes (ruff style, grouped by hundreds):
SUB0xx subject, TXT1xx text, LNK2xx links, IMG3xx images, ATT4xx attachments,
STR5xx structure, SND6xx sender and compliance, WRT7xx writing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from preflight.lint.model import Rule
from preflight.lint.rules import (
    attachments,
    images,
    links,
    sender,
    structure,
    subject,
    text,
    writing,
)

_FAMILIES = (subject, text, links, images, attachments, structure, sender, writing)
_CODE = re.compile(r"^[A-Z]{3}\d{3}$")
_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@lru_cache(maxsize=1)
def _registry() -> tuple[Rule, ...]:
    rules = sorted((rule for family in _FAMILIES for rule in family.RULES), key=lambda r: r.code)
    codes = [r.code for r in rules]
    names = [r.name for r in rules]
    # A clash or a malformed code is a bug in preflight: fail at first use, not mid-report.
    problems = [
        *(f"duplicate rule code {c}" for c in set(codes) if codes.count(c) > 1),
        *(f"duplicate rule name {n}" for n in set(names) if names.count(n) > 1),
        *(f"rule code {c} is not PREFIX + 3 digits" for c in codes if not _CODE.match(c)),
        *(f"rule name {n} is not kebab-case" for n in names if not _NAME.match(n)),
    ]
    if problems:
        raise RuntimeError("; ".join(problems))
    return tuple(rules)


def all_rules() -> list[Rule]:
    """Every rule, ordered by code."""
    return list(_registry())


def rule_by_code_or_name(key: str) -> Rule | None:
    for rule in _registry():
        if key in (rule.code, rule.name):
            return rule
    return None
