"""Writing rules (WRT7xx): length, readability, personalization, leftovers from templates."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from preflight.draft import Draft
from preflight.lint.model import Hit, Location, Rule, Severity
from preflight.lint.readability import readability

# Merge fields of the common tools: {{ name }} (Jinja, Mailchimp's Handlebars), {% ... %},
# [First Name], %FIRSTNAME%, *|FNAME|* (Mailchimp), ${name}. A bare "}}" is code, not a field.
_PLACEHOLDER = re.compile(
    r"\{\{\s*[A-Za-z_][\w.\- ]{0,40}\s*\}\}|\{%.{0,80}?%\}|"
    r"\[\s*(?:first|last|full|company|your|recipient|contact|customer|client)[ _]?"
    r"(?:name|company)?\s*\]|%[A-Z_]{3,}%|\*\|[A-Z_]+\|\*|\$\{[A-Za-z_]+\}",
    re.I,
)
_PLACEHOLDER_MARKS = ("{", "}", "[", "%", "*|")
_EMPTY_GREETING = re.compile(r"^[ \t]*(?:(?:hi|hello|hey|dear)[ \t]+|dear)[,:]", re.I | re.M)
_GENERIC_GREETING = re.compile(
    r"^\W*(?:dear|hello|hi|greetings|attn:?)\s+(?:sirs?|madam|sir\s*(?:/|or|and)\s*madam|"
    r"friends?|customers?|valued\s+\w+|beneficiary|user|member|(?:email|internet)\s+users?|"
    r"account\s+holder|colleague|business\s+(?:owner|partner|person)|"
    r"(?:\w+\s+)?(?:owner|webmaster|homeowner)s?|shopper|consumer|investor|"
    r"(?:mr|mrs|ms)\.?\s*/\s*(?:mrs|ms)\.?)\b",
    re.I | re.M,
)
_MAX_READ = 5000  # characters judged for readability: enough, and bounded


def _length(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    count = draft.word_count
    low, high = options["min_words"], options["max_words"]
    where = Location(part=draft.body_part)
    if count < low and not (draft.images or draft.attachments):
        yield Hit(f"{count} words: too short to say who you are and why you write", where)
    elif count > high:
        scale = 2.0 if count > 3 * high else 1.0
        yield Hit(f"{count} words: over {high}; answered cold emails are short", where, scale=scale)


def _readability(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    body = draft.body[:_MAX_READ]
    if draft.word_count < options["min_words"]:
        return
    result = readability(body, draft.language)
    if result is not None and result.score < options["min_score"]:
        yield Hit(
            f"hard to read ({result.formula} {result.score:.0f}, language {draft.language})",
            Location(part=draft.body_part),
        )


def _personalization(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    info = draft.personalization
    if info is not None and not info.subject_vars and not info.first_line_vars:
        yield Hit(
            "no template variable in the subject or the first line", Location(part="template")
        )


def _placeholders(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    found: list[str] = []
    where: Location | None = None
    for part, text in (
        (Location(part="header", header="Subject"), draft.subject),
        (Location(part="text"), draft.text),
        (Location(part="html"), draft.html_view.visible_text if draft.html_view else ""),
    ):
        if not any(m in text for m in _PLACEHOLDER_MARKS):
            continue
        for match in _PLACEHOLDER.finditer(text[:200_000]):
            if where is None:
                line = draft.line_of(text, match.start()) if part.part != "header" else None
                where = Location(part=part.part, line=line, header=part.header)
            found.append(match.group(0).strip())
    if found and where is not None:
        unique = list(dict.fromkeys(found))
        listed = ", ".join(f'"{p}"' for p in unique[:20])
        yield Hit(f"leftover placeholders: {listed}", where)


def _empty_greeting(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    for part, text in ((Location(part="text"), draft.text), (Location(part="html"), draft.body)):
        match = _EMPTY_GREETING.search(text[:400])  # "Hi ," / "Dear,": the name came out empty
        if match:
            line = draft.line_of(text, match.start())
            yield Hit(
                f'greeting without a name: "{match.group(0).strip()}" (an empty merge field?)',
                Location(part=part.part, line=line),
            )
            return


def _generic_greeting(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    match = _GENERIC_GREETING.search(draft.body[:600])
    if match:
        yield Hit(f'generic greeting "{match.group(0).strip()}"', Location(part=draft.body_part))


def _sample_values(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if draft.sample_values:
        shown = ", ".join(f"{name}={value!r}" for name, value in draft.sample_values.items())
        yield Hit(f"variables filled with sample values: {shown}", Location(part="text"))


def _unknown_variables(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    for name, closest in draft.unknown_variables.items():
        guess = f" (did you mean {{{{ {closest} }}}}?)" if closest else ""
        yield Hit(
            f"{{{{ {name} }}}} is not a known variable name{guess}: filled with "
            f"{draft.sample_values.get(name, name)!r} for this preview",
            Location(part="text"),
        )


RULES = [
    Rule(
        "WRT701",
        "word-count",
        "Too short or too long for a cold email.",
        0.1,
        Severity.INFO,
        "Aim for 50 to 200 words: who you are, why them, one question.",
        _length,
        {"min_words": 20, "max_words": 300},
    ),
    Rule(
        "WRT702",
        "readability",
        "Hard to read by the language's own formula (Flesch, Amstad, Fernández Huerta, …).",
        0.2,
        Severity.INFO,
        "Use shorter sentences and plainer words.",
        _readability,
        {"min_words": 50, "min_score": 30.0},
    ),
    Rule(
        "WRT703",
        "no-personalization",
        "A template with no variable in subject or first line.",
        0.5,
        Severity.WARNING,
        "Use {{ first_name }} or {{ company }} in the subject or opening.",
        _personalization,
    ),
    Rule(
        "WRT704",
        "leftover-placeholder",
        'Leftover merge fields ("{{ name }}", "[First Name]", "%NAME%").',
        5.0,
        Severity.ERROR,
        "Fill in every placeholder before sending.",
        _placeholders,
    ),
    Rule(
        "WRT705",
        "generic-greeting",
        'A generic greeting ("Dear Sir/Madam", "Dear Friend").',
        1.5,
        Severity.WARNING,
        "Greet the person by name.",
        _generic_greeting,
    ),
    Rule(
        "WRT706",
        "empty-greeting",
        'A greeting without a name ("Hi ,"): an empty merge field.',
        1.5,
        Severity.WARNING,
        "Check the name column of every row; greet by name or with a neutral opening.",
        _empty_greeting,
    ),
    Rule(
        "WRT707",
        "sample-values",
        "A template linted without data: the variables filled with sample values.",
        0.0,
        Severity.INFO,
        "Lint with --recipients list.csv (or --data row.json) to see the real values.",
        _sample_values,
    ),
    Rule(
        "WRT708",
        "unknown-variable",
        "A template variable that no built-in sample knows: most likely a typo.",
        1.0,
        Severity.WARNING,
        "Correct the name to a column of your list, or lint with --recipients list.csv.",
        _unknown_variables,
    ),
]
