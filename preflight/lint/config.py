"""Load the linter's configuration and validate it before any draft is read.

The settings live in a ``[lint]`` table of ``preflight.toml``, or of ``[tool.preflight]`` in
``pyproject.toml``; the first of those found from the current folder upward is used (a
``pyproject.toml`` without ``[tool.preflight]`` is passed over), or the file ``--config``
names::

    [lint]
    threshold = 5.0
    select = ["ALL"]            # code prefixes ("LNK", "LNK2") or rule names
    ignore = ["writing-readability"]
    first-contact = true        # judge links, images and "RE:" as in a first cold email
    sender = "Li Wei <li.wei@brightline.example>"   # From used to render templates

    [lint.rules.LNK201]         # a rule by code or by name
    points = 1.5                # its points per hit
    max = 3                     # any option the rule declares (`preflight rules --format json`)

Every unknown key, unknown rule and wrongly typed value is a :class:`ConfigError` naming the
file and the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from preflight.config_file import PYPROJECT_FILE, find_config
from preflight.errors import ConfigError, UsageError
from preflight.lint.model import Rule
from preflight.lint.settings import DEFAULT_THRESHOLD, LintSettings, _matches
from preflight.message import has_line_break

# Tables of the same file that other command families read and validate themselves.
OTHER_SECTIONS = frozenset({"check", "send", "bounces", "campaign", "mailboxes", "ledger"})
DEFAULT_SENDER = "Sender <sender@example.com>"

_LINT_KEYS = ("threshold", "select", "ignore", "first-contact", "sender", "rules")


@dataclass(frozen=True)
class LintConfig:
    """The validated linter configuration and where it came from."""

    settings: LintSettings = field(default_factory=LintSettings)
    sender: str = DEFAULT_SENDER
    path: Path | None = None  # None: built-in defaults


def load_config(
    path: str | Path | None = None,
    *,
    start: Path | None = None,
    rules: Sequence[Rule] | None = None,
) -> LintConfig:
    """Load and validate the configuration at ``path``, or the one found from ``start``.

    No file found means the built-in defaults. ``rules`` defaults to every registered rule.
    """
    if path is None:
        found = find_config(start)
        if found is None:
            return LintConfig()
        path = found
    path = Path(path)
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"at line (\d+)", str(error))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise ConfigError(
            f"not valid TOML: {reason}", file=path, line=int(line.group(1)) if line else None
        ) from None
    prefix = ""
    if path.name == PYPROJECT_FILE:
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "preflight" not in tool:
            raise ConfigError("has no [tool.preflight] table", file=path)
        data = tool["preflight"]
        if not isinstance(data, dict):
            raise ConfigError("must be a table", file=path, field="tool.preflight")
        prefix = "tool.preflight."
    return _validate(data, path, text, prefix, _registered(rules))


def _registered(rules: Sequence[Rule] | None) -> Sequence[Rule]:
    if rules is not None:
        return rules
    from preflight.lint.rules import all_rules

    return all_rules()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("no such configuration file", file=path) from None
    except UnicodeDecodeError:
        raise ConfigError("the configuration file is not UTF-8", file=path) from None
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror}", file=path) from None


class _Checker:
    """Raises ConfigError for one file, naming the dotted key and, when found, its line."""

    def __init__(self, path: Path, text: str, prefix: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.prefix = prefix

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(
            message, file=self.path, line=self._line_of(key), field=self.prefix + key
        )

    def _line_of(self, dotted: str) -> int | None:
        last = re.escape(dotted.rsplit(".", 1)[-1])
        assignment = re.compile(rf"""^\s*["']?{last}["']?\s*=""")
        table = re.compile(rf"""^\s*\[\[?[^\]]*\b{last}["']?\s*\]""")
        for number, line in enumerate(self.lines, start=1):
            if assignment.match(line) or table.match(line):
                return number
        return None

    def number(self, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be a number, not {_type_name(value)}")
        return float(value)

    def boolean(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {_type_name(value)}")
        return value

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {_type_name(value)}")
        return value

    def strings(self, key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, 'must be a list of strings, e.g. ["LNK", "subject-all-caps"]')
        return tuple(value)

    def table(self, key: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, not {_type_name(value)}")
        return value


def _type_name(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


def _validate(
    data: dict[str, Any], path: Path, text: str, prefix: str, rules: Sequence[Rule]
) -> LintConfig:
    check = _Checker(path, text, prefix)
    for key in data:
        if key != "lint" and key not in OTHER_SECTIONS:
            hint = " (linter settings go in a [lint] table)" if key in _LINT_KEYS else ""
            raise check.fail(key, f"unknown key{hint}")
    lint = check.table("lint", data.get("lint", {}))
    for key in lint:
        if key not in _LINT_KEYS:
            raise check.fail(f"lint.{key}", f"unknown key (known: {', '.join(_LINT_KEYS)})")

    settings = LintSettings()
    if "threshold" in lint:
        settings = replace(settings, threshold=check.number("lint.threshold", lint["threshold"]))
    for key in ("select", "ignore"):
        if key in lint:
            selectors = check.strings(f"lint.{key}", lint[key])
            bad = unknown_selectors(selectors, rules)
            if bad:
                raise check.fail(f"lint.{key}", f"no rule matches {bad[0]!r}")
            settings = replace(settings, **{key: selectors})
    if "first-contact" in lint:
        settings = replace(
            settings, first_contact=check.boolean("lint.first-contact", lint["first-contact"])
        )
    sender = DEFAULT_SENDER
    if "sender" in lint:
        sender = check.string("lint.sender", lint["sender"]).strip()
        if "@" not in sender or has_line_break(sender):
            raise check.fail("lint.sender", "must be an address like 'Name <you@company.com>'")

    points: dict[str, float] = {}
    options: dict[str, dict[str, Any]] = {}
    by_key = {r.code: r for r in rules} | {r.name: r for r in rules}
    for rule_key, rule_table in check.table("lint.rules", lint.get("rules", {})).items():
        dotted = f"lint.rules.{rule_key}"
        rule = by_key.get(rule_key) or by_key.get(rule_key.upper())
        if rule is None:
            raise check.fail(dotted, "unknown rule (see `preflight rules`)")
        for option, value in check.table(dotted, rule_table).items():
            if option == "points":
                points[rule.code] = check.number(f"{dotted}.points", value)
            elif option in rule.defaults:
                options.setdefault(rule.code, {})[option] = _option_value(
                    check, f"{dotted}.{option}", value, rule.defaults[option]
                )
            else:
                known = ", ".join(["points", *rule.defaults]) if rule.defaults else "points"
                raise check.fail(
                    f"{dotted}.{option}", f"unknown option of {rule.code} (known: {known})"
                )
    settings = replace(settings, points=points, options=options)
    return LintConfig(settings=settings, sender=sender, path=path)


def _option_value(check: _Checker, key: str, value: Any, default: Any) -> Any:
    """``value`` if it has the type of the rule's default for the option."""
    if default is None:
        return value
    if isinstance(default, bool):
        return check.boolean(key, value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise check.fail(key, f"must be an integer, not {_type_name(value)}")
        return value
    if isinstance(default, float):
        return check.number(key, value)
    if isinstance(default, str):
        return check.string(key, value)
    if isinstance(default, list | tuple | frozenset | set):
        if not isinstance(value, list):
            raise check.fail(key, f"must be a list, not {_type_name(value)}")
        sample = next(iter(default), None)
        if sample is not None and not all(isinstance(v, type(sample)) for v in value):
            raise check.fail(key, f"must be a list of {_type_name(sample)[2:]}s")
        return type(default)(value) if not isinstance(default, list) else value
    if isinstance(default, Mapping):
        return check.table(key, value)
    return value


def unknown_selectors(selectors: Iterable[str], rules: Sequence[Rule]) -> list[str]:
    """The selectors (code prefixes or rule names) that match no rule."""
    return [
        s for s in selectors if s != "ALL" and not any(_matches(s, r.code, r.name) for r in rules)
    ]


def split_selectors(values: Iterable[str] | None) -> tuple[str, ...]:
    """``["LNK,SUB", "IMG"]`` (repeated or comma-separated options) → ``("LNK", "SUB", "IMG")``."""
    return tuple(s.strip() for v in values or () for s in v.split(",") if s.strip())


def with_overrides(
    config: LintConfig,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    threshold: float | None = None,
    rules: Sequence[Rule] | None = None,
) -> LintConfig:
    """Apply command-line options: ``--select`` replaces, ``--ignore`` adds, like ruff."""
    registered = _registered(rules)
    for option, selectors in (("--select", select), ("--ignore", ignore)):
        bad = unknown_selectors(selectors, registered)
        if bad:
            raise UsageError(f"no rule matches {bad[0]!r} (see `preflight rules`)", field=option)
    settings = config.settings
    if select:
        settings = replace(settings, select=tuple(select))
    if ignore:
        settings = replace(settings, ignore=(*settings.ignore, *ignore))
    if threshold is not None:
        settings = replace(settings, threshold=threshold)
    return replace(config, settings=settings)


__all__ = [
    "DEFAULT_SENDER",
    "DEFAULT_THRESHOLD",
    "LintConfig",
    "find_config",
    "load_config",
    "split_selectors",
    "unknown_selectors",
    "with_overrides",
]
