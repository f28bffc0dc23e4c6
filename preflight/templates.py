"""Email templates: one ``NAME.j2`` file rendered in a Jinja2 sandbox.

The file format (an optional leading ``{# comment #}`` may come first)::

    Subject: Quick question about {{ company }}
    Reply-To: sales@yourcompany.com        (optional)
    Preheader: One line shown in the inbox (optional)

    Hi {{ first_name }},
    ... the plain-text body ...
    --- html ---
    <p>Hi {{ first_name }},</p>             (optional HTML body)

The header values, the text body and the HTML body are compiled as separate Jinja2
templates, each padded so that Jinja's line numbers are the file's lines; that lets the HTML
part alone be autoescaped and lets a header value be checked for line breaks *after*
rendering (a personalization value with ``"\\r\\nBcc: x"`` must never become a header).

Resource limits. Templates run in Jinja2's immutable sandbox, which stops access to Python
internals but not work; a template is the user's own file but gets copied and shared, so
these limits keep every render bounded. Past one, rendering stops with a one-line
TemplateError naming the file and line ("refused by the template sandbox: ..."):

- Text: no rendered part (a header value, the text, the HTML), captured ``{% set %}`` block,
  macro result, ``~`` / ``+`` / filter / method result may exceed 1,000,000 characters
  (``MAX_TEXT``); output is counted as it is produced, not after.
- Repetition: ``'x' * n`` and ``[..] * n`` at most 100,000 items (``MAX_REPEAT_ITEMS``), and a
  repeated list at most 1,000,000 characters of strings.
- Numbers: ``**`` with an integer exponent over 256 (``MAX_EXPONENT``), or any ``**`` / ``*``
  result over 100,000 bits (``MAX_INT_BITS``), is refused. ``*``, ``**``, ``+`` and ``%`` are
  intercepted, so Jinja never folds them at compile time: ``{{ 9**99999999 }}`` cannot hang
  ``load_template``.
- Loops: ``range()`` items per rendered part, all ranges together, at most 100,000
  (``MAX_RANGE_ITEMS``); for-loop iterations per part at most 100,000
  (``MAX_LOOP_ITERATIONS``), whatever the loop runs over.
- Widths: padding widths and precisions at most 10,000 (``MAX_WIDTH``) in the ``center``,
  ``indent`` and ``wordwrap`` filters, ``%`` formats (and the ``format`` filter, which uses
  them; a ``*`` width is refused), ``str.format`` specs such as ``{:>N}``, and
  ``str.center/ljust/rjust/zfill/expandtabs``. ``replace``, ``indent``, ``wordwrap`` and
  ``join`` (filter or method) are refused when their result would pass ``MAX_TEXT``.
- Other arguments: ``batch``/``slice`` counts at most 100,000, ``round`` precision at most
  100, ``tojson`` indent at most 16, ``int.to_bytes`` at most 1,000,000 bytes, ``lipsum`` at
  most 20 paragraphs of 1,000 words; ``truncate`` with a length shorter than its end marker
  is an error; ``str.translate``/``maketrans`` are not available.
- Time: a part that renders for more than 2 s (``MAX_RENDER_SECONDS``) is stopped, checked at
  every loop iteration, operator, call and filter. This catches work that is quadratic in
  steps that are each within the limits (a loop re-copying a growing list).
- Compilation: Python's own refusals while compiling (an integer literal of 5,000 digits,
  expressions nested thousands deep) are TemplateErrors naming the part's first line, and a
  MemoryError or a Jinja-internal AssertionError while rendering is a TemplateError too.

The limits are per rendered part and start afresh for each render. They bound the known
ways to make a render run away; they are not a substitute for an operating-system memory
limit when rendering templates from people you do not trust.
"""

from __future__ import annotations

import codecs
import functools
import inspect
import re
import time
import traceback
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import FilterArgumentError, SecurityError
from jinja2.runtime import Context, markup_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from jinja2.utils import generate_lorem_ipsum
from markupsafe import Markup, soft_str

from preflight.draft import Personalization
from preflight.errors import HeaderInjectionError, InputError, TemplateError
from preflight.message import has_line_break
from preflight.plaintext import plain_text_twin

HTML_MARKER = "--- html ---"
REQUIRED_HEADERS = ("Subject",)
ALLOWED_HEADERS = ("Subject", "Reply-To", "Preheader")
# Headers that go into the message as mail headers (Subject and Preheader are handled apart).
MAIL_HEADERS = ("Reply-To",)

# Values used to preview a template when no data is given. Any other variable gets a
# readable value derived from its name, so every template can be previewed.
SAMPLE_VALUES: Mapping[str, str] = {
    "first_name": "Anna",
    "last_name": "Berg",
    "name": "Anna Berg",
    "full_name": "Anna Berg",
    "email": "anna.berg@example.com",
    "company": "Nordlicht Handel GmbH",
    "title": "Head of Purchasing",
    "job_title": "Head of Purchasing",
    "city": "Hamburg",
    "country": "Germany",
    "industry": "industrial supplies",
    "event": "Hannover Messe",
    "product": "stainless steel pipe fittings",
    "sender_name": "Li Wei",
    "sender_title": "Export Sales Manager",
    "sender_company": "Ningbo Brightline Industrial Co., Ltd.",
    "sender_phone": "+86 574 8700 0000",
    "sender_address": "No. 88 Jiangnan Road, Ningbo 315000, China",
}

_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]?(.*)$")


def sample_value(variable: str) -> str:
    """A plausible preview value for ``variable``: a known sample or one made from its name."""
    known = SAMPLE_VALUES.get(variable)
    if known is not None:
        return known
    words = variable.replace("_", " ").replace("-", " ").strip()
    return words.capitalize() if words else "Sample"


def unknown_samples(variables: Iterable[str]) -> dict[str, str | None]:
    """The variables no built-in sample knows, each with the closest known name (or None):
    ``{{ frist_name }}`` is most likely ``first_name`` misspelled."""
    import difflib  # only for a template linted without data

    return {
        name: next(iter(difflib.get_close_matches(name, SAMPLE_VALUES, n=1, cutoff=0.75)), None)
        for name in sorted(variables)
        if name not in SAMPLE_VALUES
    }


def sample_row(variables: frozenset[str] | set[str]) -> dict[str, str]:
    """A row that defines every variable in ``variables`` with a preview value."""
    return {name: sample_value(name) for name in sorted(variables)}


@dataclass
class RenderedMessage:
    """A template rendered for one recipient, ready for :func:`preflight.message.build_message`."""

    subject: str
    text: str
    html: str | None
    headers: dict[str, str]  # mail headers from the template, e.g. {"Reply-To": ...}
    personalization: Personalization
    preheader: str | None = None
    # Address headers as structured parts: header -> (display name, addr-spec). Built into
    # the message as they are, never rendered into a string and parsed back.
    addresses: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Part:
    """One separately compiled piece of the file (a header value, the text or the HTML body)."""

    label: str  # "Subject", "text", "html"
    line: int  # the file line the piece starts on
    template: jinja2.Template
    variables: frozenset[str]


# ---------------------------------------------------------------------------------------------
# Resource limits. The sandbox stops a template reaching Python internals but not doing work:
# these keep every render bounded in time and memory (see the module docstring).

MAX_TEXT = 1_000_000
MAX_REPEAT_ITEMS = 100_000
MAX_EXPONENT = 256
MAX_INT_BITS = 100_000
MAX_RANGE_ITEMS = 100_000
MAX_LOOP_ITERATIONS = 100_000
MAX_WIDTH = 10_000
MAX_ROUND_DIGITS = 100
MAX_JSON_INDENT = 16
MAX_LIPSUM_PARAGRAPHS = 20
MAX_LIPSUM_WORDS = 1_000
MAX_RENDER_SECONDS = 2.0
# The memory guard of one render: the characters all filters, operators and calls of a part
# may produce in total (each result is counted as it is made), so a hundred thousand
# within-limit results (``map("center", 9999)``) cannot add up to gigabytes.
MAX_PRODUCED = 20 * MAX_TEXT
# The codecs a template may encode to or decode from: real text encodings whose cost is
# linear. Others (punycode, idna, the compression codecs) can take seconds per call.
ALLOWED_CODECS = frozenset(
    {"utf-8", "ascii", "latin-1", "iso8859-1", "iso8859-15", "cp1252", "utf-16", "utf-32"}
)

# The filter every for-loop's iterable is routed through (added by _budget_loops).
_LOOP_FILTER = "preflight_loop_budget"
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
_PRINTF_FIELD = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?[A-Za-z%]")


def _refuse(message: str) -> NoReturn:
    raise SecurityError(message)


@dataclass
class _Budget:
    """Work one rendered part may do; a fresh budget is set for each part."""

    range_items: int = 0
    loop_iterations: int = 0
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_RENDER_SECONDS)
    # MAX_TEXT plus the newlines that pad a part to its file line, which are not its text.
    text_limit: int = MAX_TEXT
    produced: int = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("preflight_template_budget", default=None)


def _current_budget() -> _Budget:
    # Outside a render (a template used directly) each call gets its own budget, so the
    # per-call caps still hold.
    return _BUDGET.get() or _Budget()


def _check_time() -> None:
    """Refuse once the part has rendered for MAX_RENDER_SECONDS.

    Called from every loop iteration, operator, call and filter: the size caps bound each
    step, and this bounds how many steps add up (a loop re-copying a growing list, say).
    """
    budget = _BUDGET.get()
    if budget is not None and time.monotonic() > budget.deadline:
        _refuse(f"the part took more than {MAX_RENDER_SECONDS:g} s to render")


def _check_size(value: Any, what: str) -> Any:
    if isinstance(value, _SIZED) and len(value) > MAX_TEXT:
        _refuse(f"{what} made {len(value):,} characters or items (the limit is {MAX_TEXT:,})")
    if isinstance(value, (str, bytes)):
        budget = _BUDGET.get()
        if budget is not None:
            budget.produced += len(value)
            if budget.produced > MAX_PRODUCED:
                _refuse(
                    f"the part made more than {MAX_PRODUCED:,} characters in all (filters, "
                    "operators and calls together)"
                )
    return value


def _text_size(value: Any, depth: int = 0) -> int:
    """A lower bound on the characters ``str(value)`` or a case-folding key would make:
    strings counted once per reference, containers one level deep and capped early."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if depth > 2 or not isinstance(value, (list, tuple, set, frozenset, dict)):
        return 0
    total = 0
    items = value.items() if isinstance(value, dict) else value
    for count, item in enumerate(items):
        if isinstance(item, tuple) and isinstance(value, dict):
            total += _text_size(item[0], depth + 1) + _text_size(item[1], depth + 1)
        else:
            total += _text_size(item, depth + 1) + 2
        if total > MAX_TEXT or count > MAX_REPEAT_ITEMS:
            return max(total, MAX_TEXT + 1)
    return total


def _check_input(arguments: dict[str, Any], what: str) -> None:
    """Filters that copy or stringify their whole input: measured before they run. An
    iterator (a ``map``) is read into a list first; each of its items was counted."""
    value = arguments["value"] if "value" in arguments else arguments.get("s")
    key = "value" if "value" in arguments else "s"
    if value is not None and not isinstance(value, (str, bytes, list, tuple, dict, set)):
        try:
            value = list(_count_iterations(iter(value)))
        except TypeError:
            return
        arguments[key] = value
    if _text_size(value) > MAX_TEXT:
        _refuse(f"{what} over more than {MAX_TEXT:,} characters of input")


def _check_tojson(arguments: dict[str, Any]) -> None:
    indent = arguments["indent"]
    if indent is not None and (isinstance(indent, bool) or not isinstance(indent, int)):
        # A string indent ("  " * 99999) is repeated at every level: whole numbers only.
        _refuse("tojson's indent must be a whole number of spaces")
    _check_number(indent, "a tojson indent", MAX_JSON_INDENT)
    _check_input(arguments, "tojson")


def _check_codec(name: Any) -> None:
    try:
        codec = codecs.lookup(name).name if isinstance(name, str) else None
    except LookupError:
        codec = None
    if codec not in ALLOWED_CODECS:
        _refuse(
            f"the codec {str(name)[:40]!r} is not available in templates (allowed: "
            f"{', '.join(sorted(ALLOWED_CODECS))})"
        )


def _check_number(value: Any, what: str, limit: int) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limit:
        _refuse(f"{what} of {_short_int(value)} is over the limit of {limit:,}")


def _short_int(value: int) -> str:
    # str() of a huge int is itself slow (and refused past 4,300 digits).
    return f"{value:,}" if value.bit_length() < 64 else f"a {value.bit_length():,}-bit number"


def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        _check_number(exponent, "an exponent", MAX_EXPONENT)
        if abs(base).bit_length() * exponent > MAX_INT_BITS:
            _refuse(f"a power with more than {MAX_INT_BITS:,} bits")


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            _refuse(f"a product with more than {MAX_INT_BITS:,} bits")
        return
    sequence, times = (left, right) if isinstance(right, int) else (right, left)
    if not isinstance(sequence, (str, bytes, list, tuple)) or not isinstance(times, int):
        return
    if len(sequence) * times > MAX_REPEAT_ITEMS:
        _refuse(
            f"repeating {len(sequence):,} items {_short_int(times)} times is over the "
            f"limit of {MAX_REPEAT_ITEMS:,} items"
        )
    if isinstance(sequence, (list, tuple)):
        # Repeating a list repeats references; anything printing it copies the strings.
        characters = sum(len(item) for item in sequence if isinstance(item, str))
        if characters * times > MAX_TEXT:
            _refuse(f"repeating a list holding {characters:,} characters {times:,} times")


def _check_sum(left: Any, right: Any) -> None:
    sized = isinstance(left, _SIZED) and isinstance(right, _SIZED)
    if sized and len(left) + len(right) > MAX_TEXT:
        _refuse(
            f"joining {len(left) + len(right):,} characters or items with '+' "
            f"(the limit is {MAX_TEXT:,})"
        )


def _check_printf(template: Any) -> None:
    """Refuse a ``%`` format whose widths and precisions would build a huge string."""
    if not isinstance(template, str):
        return
    total = 0
    for field_match in _PRINTF_FIELD.finditer(template):
        for number in field_match.group(1, 2):
            if number == "*":
                _refuse("a '*' width or precision in a % format (write the number instead)")
            if number:
                width = int(number[:7])  # more than 7 digits is over the limit anyway
                if len(number) > 7 or width > MAX_WIDTH:
                    _refuse(
                        f"a % format width or precision of {number[:12]} is over the "
                        f"limit of {MAX_WIDTH:,}"
                    )
                total += width
    if total > MAX_TEXT:
        _refuse(f"the % format widths add up to more than {MAX_TEXT:,} characters")


def _check_format_spec(spec: str) -> None:
    """Refuse a ``str.format`` spec such as ``{:>999999999}``."""
    for number in re.findall(r"\d+", spec):
        if len(number) > 7 or int(number) > MAX_WIDTH:
            _refuse(
                f"a format width or precision of {number[:12]} is over the limit of {MAX_WIDTH:,}"
            )


def _check_replace(text: Any, old: Any, new: Any, count: Any) -> None:
    if not (
        isinstance(text, (str, bytes))
        and isinstance(old, type(text))
        and isinstance(new, type(text))
    ):
        return
    hits = text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new) - len(old)) > MAX_TEXT:
        _refuse(f"a replace that would make more than {MAX_TEXT:,} characters")


def _check_indent(text: Any, width: Any) -> None:
    prefix = len(width) if isinstance(width, str) else width
    if not isinstance(text, str) or not isinstance(prefix, int):
        return
    _check_number(prefix, "an indent width", MAX_WIDTH)
    if len(text) + (text.count("\n") + 1) * prefix > MAX_TEXT:
        _refuse(f"an indent that would make more than {MAX_TEXT:,} characters")


def _check_wordwrap(text: Any, width: Any, wrapstring: Any) -> None:
    _check_number(width, "a wordwrap width", MAX_WIDTH)
    if isinstance(text, str) and isinstance(width, int) and width > 0:
        # A generous bound on the number of breaks: no line is shorter than half the width
        # unless a word or a newline ends it.
        breaks = 2 * len(text) // width + text.count("\n") + 1
        if isinstance(wrapstring, str) and len(text) + breaks * len(wrapstring) > MAX_TEXT:
            _refuse(f"a wordwrap that would make more than {MAX_TEXT:,} characters")


def _check_truncate(length: Any, end: Any) -> None:
    if isinstance(end, str) and isinstance(length, int) and length < len(end):
        # Jinja asserts this; an AssertionError would read like our bug.
        raise FilterArgumentError(
            f"truncate length {_short_int(length)} is shorter than its end marker {end!r}"
        )


def _check_joined(items: list[Any], separator: Any) -> None:
    characters = sum(len(item) for item in items if isinstance(item, (str, bytes)))
    if isinstance(separator, (str, bytes)):
        characters += max(len(items) - 1, 0) * len(separator)
    if characters > MAX_TEXT:
        _refuse(f"a join that would make more than {MAX_TEXT:,} characters")


def _check_join(arguments: dict[str, Any]) -> None:
    # Made a list first, and handed on as one: an iterator can be read only once.
    arguments["value"] = list(arguments["value"])
    _check_joined(arguments["value"], arguments["d"])


# Pre-checks on the filters whose arguments can ask for unbounded work, by the filter's
# parameter names. Every filter's result is also size-checked afterwards (_limited_filter).
_FILTER_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "center": lambda a: _check_number(a["width"], "a center width", MAX_WIDTH),
    "indent": lambda a: _check_indent(a["s"], a["width"]),
    "format": lambda a: _check_printf(a["value"]),
    "wordwrap": lambda a: _check_wordwrap(a["s"], a["width"], a["wrapstring"]),
    "truncate": lambda a: _check_truncate(a["length"], a["end"]),
    "replace": lambda a: _check_replace(a["s"], a["old"], a["new"], a["count"]),
    "batch": lambda a: _check_number(a["linecount"], "a batch size", MAX_REPEAT_ITEMS),
    "slice": lambda a: _check_number(a["slices"], "a slice count", MAX_REPEAT_ITEMS),
    "round": lambda a: _check_number(a["precision"], "a round precision", MAX_ROUND_DIGITS),
    "tojson": _check_tojson,
    "join": _check_join,
    # Copying, sorting (a case-insensitive key lower-cases every item) or stringifying the
    # whole input: bounded by the input's size before they run.
    **{
        name: functools.partial(lambda what, a: _check_input(a, what), f"the {name} filter")
        for name in (
            "sort",
            "unique",
            "min",
            "max",
            "dictsort",
            "groupby",
            "list",
            "string",
            "pprint",
            "escape",
            "e",
            "forceescape",
            "safe",
            "urlencode",
            "xmlattr",
            "reverse",
            "items",
        )
    },
}


def _limited_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    check = _FILTER_CHECKS.get(name)
    target = inspect.unwrap(func)
    signature = inspect.signature(target)
    # Jinja's async-aware wrappers take an eval context their sync function does not.
    skip = int(
        getattr(func, "jinja_pass_arg", None) is not None
        and getattr(target, "jinja_pass_arg", None) is None
    )
    what = f"the {name} filter"

    @functools.wraps(func)
    def limited(*args: Any, **kwargs: Any) -> Any:
        _check_time()
        if check is not None:
            bound = signature.bind(*args[skip:], **kwargs)
            bound.apply_defaults()
            check(bound.arguments)  # may replace an argument (a join's items, made a list)
            args, kwargs = (*args[:skip], *bound.args), bound.kwargs
        return _check_size(func(*args, **kwargs), what)

    return limited


def _check_method_call(
    method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Pre-check the str/bytes/int methods a template can call with a size argument.

    Returns the arguments to call with: a join's iterable is read into a list to measure it.
    """
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    first = args[0] if args else None
    if isinstance(owner, (str, bytes)):
        if name in ("center", "ljust", "rjust", "zfill"):
            _check_number(first, f"a {name} width", MAX_WIDTH)
        elif name == "expandtabs":
            size = first if args else kwargs.get("tabsize", 8)
            _check_number(size, "a tab size", MAX_WIDTH)
            if isinstance(size, int) and len(owner) + owner.count("\t") * size > MAX_TEXT:
                _refuse(f"expandtabs would make more than {MAX_TEXT:,} characters")
        elif name == "replace" and len(args) >= 2:
            _check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else -1)
        elif name == "join" and len(args) == 1:
            items = list(first)
            _check_joined(items, owner)
            return (items,)
        elif name in ("translate", "maketrans"):
            _refuse(f"str.{name} is not available in templates")
        elif name in ("encode", "decode"):
            _check_codec(first if args else kwargs.get("encoding", "utf-8"))
    elif isinstance(owner, int) and name == "to_bytes":
        _check_number(first if args else kwargs.get("length"), "a byte length", MAX_TEXT)
    return args


def _budgeted_range(*args: int) -> range:
    """``range`` drawing on the part's budget: all ranges of one render share it."""
    items = range(*args)
    try:
        count = len(items)
    except OverflowError:
        count = MAX_RANGE_ITEMS + 1
    budget = _current_budget()
    budget.range_items += count
    if budget.range_items > MAX_RANGE_ITEMS:
        _refuse(f"the ranges in this part would make more than {MAX_RANGE_ITEMS:,} items")
    return items


@jinja2.pass_context  # never folded at compile time: the budget is counted while rendering
def _budgeted_loop(context: Context, iterable: Any) -> Iterator[Any]:
    return _count_iterations(iterable)


def _count_iterations(iterable: Any) -> Iterator[Any]:
    budget = _current_budget()
    for item in iterable:
        budget.loop_iterations += 1
        if budget.loop_iterations > MAX_LOOP_ITERATIONS:
            _refuse(f"the loops in this part ran more than {MAX_LOOP_ITERATIONS:,} times")
        _check_time()
        yield item


def _limited_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    _check_number(n, "lipsum paragraphs", MAX_LIPSUM_PARAGRAPHS)
    _check_number(max, "lipsum words", MAX_LIPSUM_WORDS)
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


def _bounded_concat(pieces: Iterable[str]) -> str:
    """Jinja's ``concat`` (output, captured blocks, macros), refusing past MAX_TEXT as it goes."""
    budget = _BUDGET.get()
    limit = budget.text_limit if budget is not None else MAX_TEXT
    collected = []
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > limit:
            _refuse(f"the template made more than {MAX_TEXT:,} characters of text")
        collected.append(piece)
    return "".join(collected)


def _bounded_str_join(operands: Iterable[Any]) -> str:
    """The ``~`` operator: a fixed, small number of operands joined after a size check."""
    operands = list(operands)
    if sum(_text_size(operand) for operand in operands) > MAX_TEXT:
        _refuse(f"a '~' that would make more than {MAX_TEXT:,} characters of text")
    return _bounded_concat([str(operand) for operand in operands])


def _bounded_markup_join(operands: Iterable[Any]) -> str:
    pieces = [soft_str(operand) for operand in operands]
    _bounded_concat(pieces)
    return markup_join(pieces)


class _BoundedFormatting:
    """``str.format`` fields with capped widths and a capped total."""

    _produced = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_format_spec(format_spec)
        text = super().format_field(value, format_spec)  # type: ignore[misc]
        self._produced += len(text)
        if self._produced > MAX_TEXT:
            _refuse(f"a str.format that would make more than {MAX_TEXT:,} characters")
        return text


class _Formatter(_BoundedFormatting, SandboxedFormatter):
    pass


class _EscapeFormatter(_BoundedFormatting, SandboxedEscapeFormatter):
    pass


class _LimitedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with the resource limits of this module."""

    # Intercepted operators are also never constant-folded at compile time, so
    # ``{{ 9**99999999 }}`` is refused while rendering instead of hanging load_template.
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _budgeted_range
        self.globals["lipsum"] = _limited_lipsum
        self.filters = {name: _limited_filter(name, func) for name, func in self.filters.items()}
        self.filters[_LOOP_FILTER] = _budgeted_loop
        self.concat = _bounded_concat  # type: ignore[method-assign,assignment]

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_time()
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_product(left, right)
        elif operator == "+":
            _check_sum(left, right)
        elif operator == "%":
            _check_printf(left)
        return _check_size(self.binop_table[operator](left, right), f"the '{operator}' operator")

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_time()
        args = _check_method_call(obj, args, kwargs)
        return _check_size(super().call(context, obj, *args, **kwargs), "a call")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # Jinja's own version, with formatters that cap field widths and the result size.
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or (
            value.__name__ not in ("format", "format_map")
        ):
            return None
        template = value.__self__
        if not isinstance(template, str):
            return None
        str_type = type(template)
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            formatter: SandboxedFormatter = (
                _EscapeFormatter(self, escape=template.escape)
                if isinstance(template, Markup)
                else _Formatter(self)
            )
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs, args = args[0], ()
            return str_type(formatter.vformat(template, args, kwargs))

        return functools.update_wrapper(wrapper, value)


def _budget_loops(tree: nodes.Template, env: SandboxedEnvironment) -> None:
    """Route every for-loop's iterable through the loop budget filter."""
    for loop in tree.find_all(nodes.For):
        budgeted = nodes.Filter(loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.lineno)
        budgeted.set_environment(env)
        loop.iter = budgeted


def _bound_joins(template: jinja2.Template) -> None:
    """Point the compiled module's ``~`` helpers at the size-checked ones."""
    namespace = template.root_render_func.__globals__
    namespace["str_join"] = _bounded_str_join
    namespace["markup_join"] = _bounded_markup_join


def _environment(autoescape: bool) -> SandboxedEnvironment:
    # Immutable: a template may not even modify the lists and dicts it is given.
    return _LimitedSandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_TEXT_ENV = _environment(autoescape=False)
_HTML_ENV = _environment(autoescape=True)


@dataclass(frozen=True)
class Template:
    """A loaded, compiled template. Load with :func:`load_template`."""

    path: Path
    headers: tuple[_Part, ...]
    text: _Part
    html: _Part | None
    first_line_vars: frozenset[str]
    variables: frozenset[str] = field(default=frozenset())

    @property
    def name(self) -> str:
        return self.path.stem

    def render(self, row: Mapping[str, str]) -> RenderedMessage:
        """Render for one recipient; raise TemplateError or HeaderInjectionError naming the line."""
        values = dict(row)
        rendered_headers: dict[str, str] = {}
        subject_vars: frozenset[str] = frozenset()
        for part in self.headers:
            value = self._render_part(part, values).strip()
            if has_line_break(value):
                raise HeaderInjectionError(
                    "the rendered value contains a line break; a header must stay on one line "
                    "(check the personalization values)",
                    file=self.path,
                    line=part.line,
                    field=part.label.removesuffix(_NAME_SUFFIX),
                )
            rendered_headers[part.label] = value
            if part.label == "Subject":
                subject_vars = part.variables
        addresses = _structured_addresses(rendered_headers, self)
        text = self._render_part(self.text, values).strip("\n") + "\n"
        html = self._render_part(self.html, values) if self.html is not None else None
        if html is not None and not text.strip():
            # An HTML-only template still goes out as multipart/alternative.
            text = plain_text_twin(html)
        return RenderedMessage(
            subject=rendered_headers.pop("Subject"),
            text=text,
            html=html,
            headers={k: v for k, v in rendered_headers.items() if k in MAIL_HEADERS},
            personalization=Personalization(
                subject_vars=subject_vars, first_line_vars=self.first_line_vars
            ),
            preheader=rendered_headers.get("Preheader") or None,
            addresses=addresses,
        )

    def _render_part(self, part: _Part, values: Mapping[str, str]) -> str:
        budget = _BUDGET.set(_Budget(text_limit=MAX_TEXT + part.line - 1))
        try:
            rendered = part.template.render(values)
        except jinja2.UndefinedError as error:
            found = _UNDEFINED_NAME.search(str(error))
            hint = f"a '{found.group(1)}' column or key" if found else str(error)
            raise TemplateError(
                f"undefined variable: give it a value in the data ({hint}) "
                "or remove it from the template",
                file=self.path,
                line=_error_line(error, self.path) or part.line,
                field=found.group(1) if found else None,
            ) from None
        except jinja2.exceptions.SecurityError as error:
            raise TemplateError(
                f"refused by the template sandbox: {error}",
                file=self.path,
                line=_error_line(error, self.path) or part.line,
            ) from None
        except jinja2.TemplateError as error:
            raise TemplateError(
                f"cannot render: {error}",
                file=self.path,
                line=_error_line(error, self.path) or part.line,
            ) from None
        except (TypeError, ValueError, ArithmeticError, LookupError, RuntimeError) as error:
            # Filters or expressions failing on the data (`{{ x|int + "a" }}`), or a
            # runaway recursive macro (RecursionError is a RuntimeError).
            raise TemplateError(
                f"cannot render: {type(error).__name__}: {error}",
                file=self.path,
                line=_error_line(error, self.path) or part.line,
            ) from None
        except (MemoryError, AssertionError) as error:
            # A work limit this module does not foresee, or an assert inside a Jinja filter:
            # still the template's fault, so still a one-line error naming the line.
            line = _error_line(error, self.path) or part.line
            del error  # drop the traceback and whatever it holds before building the error
            raise TemplateError(
                "cannot render: the template asks for more memory or work than allowed, or "
                "gives a filter an argument it cannot take",
                file=self.path,
                line=line,
            ) from None
        finally:
            _BUDGET.reset(budget)
        # Drop the newlines that padded the part to its file line.
        padding = part.line - 1
        return rendered[padding:] if rendered.startswith("\n" * padding) else rendered


def _error_line(error: BaseException, path: Path) -> int | None:
    """The template line of a render error, from the frames Jinja rewrites to the file."""
    filename = str(path)
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def _compile(
    env: SandboxedEnvironment, source: str, first_line: int, path: Path, label: str
) -> _Part:
    # Padding with newlines makes Jinja count lines the way the file does.
    padded = "\n" * (first_line - 1) + source
    try:
        tree = env.parse(padded, name=path.name, filename=str(path))
        variables = frozenset(meta.find_undeclared_variables(tree))
        _budget_loops(tree, env)
        code = env.compile(tree, name=path.name, filename=str(path))
        template = env.template_class.from_code(env, code, env.make_globals(None), None)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(
            f"template syntax error: {error.message}", file=path, line=error.lineno, field=label
        ) from None
    except (ValueError, TypeError, ArithmeticError, MemoryError, RecursionError) as error:
        # A literal Python refuses (an int of 5,000 digits), or nesting deep enough to exhaust
        # the compiler. Jinja gives no line for these, so name the part's first line.
        kind = type(error).__name__
        del error
        raise TemplateError(
            f"cannot compile the template ({kind}): simplify the expressions in this part",
            file=path,
            line=first_line,
            field=label,
        ) from None
    _bound_joins(template)
    return _Part(label, first_line, template, variables)


def _first_line_variables(body_lines: list[str]) -> frozenset[str]:
    """Variables used in the first non-blank line of the text body (the greeting)."""
    for line in body_lines:
        if line.strip() and not line.lstrip().startswith(("{%", "{#")):
            names: set[str] = set()
            for expression in re.findall(r"\{\{(.*?)\}\}", line):
                try:
                    names |= meta.find_undeclared_variables(
                        _TEXT_ENV.parse("{{" + expression + "}}")
                    )
                except jinja2.TemplateSyntaxError:
                    continue
            return frozenset(names)
    return frozenset()


def _read_source(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TemplateError("no such template file", file=path) from None
    except OSError as error:
        raise TemplateError(f"cannot read template: {error.strerror}", file=path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise TemplateError("template is not valid UTF-8", file=path, line=line) from None


def load_template(path: str | Path) -> Template:
    """Read and compile a template file; raise TemplateError naming the file and line."""
    path = Path(path)
    # Split only where Jinja counts lines: str.splitlines() would also break on U+2028 etc.
    lines = re.split(r"\r\n|\r|\n", _read_source(path))
    if lines and not lines[-1]:
        lines.pop()

    header_values: list[tuple[str, int, str]] = []  # (name, line, raw value)
    index = _skip_leading_comment(lines, path)
    while index < len(lines) and lines[index].strip():
        raw = lines[index]
        if raw[0] in " \t" and header_values:
            # A folded header line continues the previous value.
            name, line, value = header_values[-1]
            header_values[-1] = (name, line, value + " " + raw.strip())
            index += 1
            continue
        match = _HEADER_LINE.match(raw)
        if match is None:
            raise TemplateError(
                "expected a header line such as 'Subject: ...'; a template starts with its "
                "headers, then a blank line, then the body",
                file=path,
                line=index + 1,
            )
        name = _canonical_header(match.group(1), path, index + 1)
        if any(existing == name for existing, _, _ in header_values):
            raise TemplateError("header given twice", file=path, line=index + 1, field=name)
        header_values.append((name, index + 1, match.group(2)))
        index += 1
    for required in REQUIRED_HEADERS:
        if not any(name == required for name, _, _ in header_values):
            raise TemplateError(
                f"the template has no '{required}:' header line", file=path, line=1, field=required
            )
    if index >= len(lines):
        raise TemplateError(
            "the template has no body: add a blank line after the headers, then the text",
            file=path,
            line=len(lines) or 1,
        )

    body_start = index + 1  # 0-based index of the first body line
    try:
        marker = next(i for i in range(body_start, len(lines)) if lines[i].strip() == HTML_MARKER)
    except StopIteration:
        marker = None
    text_lines = lines[body_start:marker] if marker is not None else lines[body_start:]

    headers = tuple(
        _compile(_TEXT_ENV, value, line, path, name)
        for header, line, raw in header_values
        for name, value in _split_address(header, raw)
    )
    text = _compile(_TEXT_ENV, "\n".join(text_lines) + "\n", body_start + 1, path, "text")
    html = None
    if marker is not None:
        html = _compile(_HTML_ENV, "\n".join(lines[marker + 1 :]) + "\n", marker + 2, path, "html")

    parts = (*headers, text) if html is None else (*headers, text, html)
    variables = frozenset().union(*(part.variables for part in parts))
    return Template(
        path=path,
        headers=headers,
        text=text,
        html=html,
        first_line_vars=_first_line_variables(text_lines),
        variables=variables,
    )


# "Name <addr>" in a template's Reply-To: the name and the address are separate parts.
_NAME_AND_ADDRESS = re.compile(r"^(?P<name>.*?)\s*<(?P<address>[^<>]*)>\s*$", re.DOTALL)
_NAME_SUFFIX = " name"


def _split_address(header: str, raw: str) -> list[tuple[str, str]]:
    """An address header's template split into its display-name and address templates, so
    a value can only ever land in one of them (never add a second address)."""
    if header not in MAIL_HEADERS:
        return [(header, raw)]
    match = _NAME_AND_ADDRESS.match(raw.strip())
    if match is None:
        return [(header, raw)]
    name = match.group("name").strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1]  # the template's own quotes: the email package quotes as needed
    parts = [(header, match.group("address").strip())]
    if name:
        parts.insert(0, (header + _NAME_SUFFIX, name))
    return parts


def _structured_addresses(
    rendered: dict[str, str], template: Template
) -> dict[str, tuple[str, str]]:
    """The rendered name and address parts, checked; ``rendered`` keeps a display string."""
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    from preflight.message import check_display_name

    found: dict[str, tuple[str, str]] = {}
    for header in MAIL_HEADERS:
        if header not in rendered:
            continue
        name = rendered.pop(header + _NAME_SUFFIX, "")
        address = rendered[header]
        parts = {p.label: p for p in template.headers}
        part = parts[header]
        name_part = parts.get(header + _NAME_SUFFIX)
        if name_part is not None:
            try:
                check_display_name(name, field=header)
            except InputError as error:
                raise type(error)(
                    f"{_columns(name_part)}{error.message}",
                    file=template.path,
                    line=name_part.line,
                    field=header,
                ) from None
        try:
            built = Address(display_name=name, addr_spec=address)
        except (ValueError, IndexError, HeaderParseError):
            raise HeaderInjectionError(
                f"{_columns(part)}not one email address: {address[:80]!r} (the header takes "
                "exactly one)",
                file=template.path,
                line=part.line,
                field=header,
            ) from None
        found[header] = (name, built.addr_spec)
        rendered[header] = str(built)
    return found


def _columns(part: _Part) -> str:
    """"column rep: " — which personalization value to fix in the row."""
    columns = ", ".join(sorted(part.variables))
    return f"column {columns}: " if columns else ""


def _skip_leading_comment(lines: list[str], path: Path) -> int:
    """Index of the first header line, after an optional leading ``{# ... #}`` comment."""
    if not lines or not lines[0].lstrip().startswith("{#"):
        return 0
    for index, line in enumerate(lines):
        if "#}" in line:
            if line.split("#}", 1)[1].strip():
                raise TemplateError(
                    "put the headers on the lines after the closing '#}'", file=path, line=index + 1
                )
            index += 1
            while index < len(lines) and not lines[index].strip():
                index += 1
            return index
    raise TemplateError("the comment opened with '{#' is never closed by '#}'", file=path, line=1)


def _canonical_header(name: str, path: Path, line: int) -> str:
    for allowed in ALLOWED_HEADERS:
        if name.lower() == allowed.lower():
            return allowed
    raise TemplateError(
        f"unknown template header (allowed: {', '.join(ALLOWED_HEADERS)})",
        file=path,
        line=line,
        field=name,
    )
