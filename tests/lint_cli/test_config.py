"""The configuration loader: discovery, validation before any draft is read, CLI overrides."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from preflight.draft import Draft
from preflight.errors import ConfigError, UsageError
from preflight.lint.config import (
    DEFAULT_SENDER,
    find_config,
    load_config,
    split_selectors,
    with_overrides,
)
from preflight.lint.model import Hit, Rule, Severity


def _never(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    return iter(())


RULES = [
    Rule(
        "LNK201",
        "link-count",
        "Too many links.",
        0.5,
        Severity.WARNING,
        "Fewer links.",
        _never,
        {"max": 3, "per_100_words": 2.0},
    ),
    Rule(
        "LNK203",
        "link-shortener",
        "Shorteners.",
        1.5,
        Severity.WARNING,
        "Full URLs.",
        _never,
        {"hosts": ["bit.ly"], "strict": False, "label": "x"},
    ),
    Rule("SUB001", "subject-missing", "No subject.", 1.5, Severity.ERROR, "Add one.", _never),
]


def load(path: Path) -> Any:
    return load_config(path, rules=RULES)


def test_full_preflight_toml_becomes_settings(write: Callable[..., Path]) -> None:
    path = write(
        "preflight.toml",
        """
[lint]
threshold = 4
select = ["LNK", "SUB001"]
ignore = ["link-shortener"]
first-contact = false
sender = "Li Wei <li@brightline.example>"

[lint.rules.LNK201]
points = 2.5
max = 5
per_100_words = 3

[lint.rules.link-shortener]
hosts = ["t.co"]
strict = true

[send]
anything = "is validated by the send commands"
""",
    )
    config = load(path)
    settings = config.settings
    assert config.path == path and config.sender == "Li Wei <li@brightline.example>"
    assert settings.threshold == 4.0 and settings.first_contact is False
    assert settings.select == ("LNK", "SUB001") and settings.ignore == ("link-shortener",)
    assert settings.points == {"LNK201": 2.5}
    assert settings.options == {
        "LNK201": {"max": 5, "per_100_words": 3.0},
        "LNK203": {"hosts": ["t.co"], "strict": True},
    }
    assert settings.enabled("LNK201", "link-count")
    assert not settings.enabled("LNK203", "link-shortener")


@pytest.mark.parametrize(
    ("text", "field", "line", "fragment"),
    [
        ("threshold = 3\n", "threshold", 1, "go in a [lint] table"),
        ("[lint]\nthreshhold = 3\n", "lint.threshhold", 2, "unknown key"),
        ('[lint]\nthreshold = "high"\n', "lint.threshold", 2, "must be a number"),
        ("[lint]\nthreshold = true\n", "lint.threshold", 2, "must be a number"),
        ('[lint]\nselect = "LNK"\n', "lint.select", 2, "list of strings"),
        ('[lint]\nignore = ["XYZ9"]\n', "lint.ignore", 2, "no rule matches 'XYZ9'"),
        ('[lint]\nfirst-contact = "yes"\n', "lint.first-contact", 2, "true or false"),
        ('[lint]\nsender = "nobody"\n', "lint.sender", 2, "must be an address"),
        ('[lint]\nsender = "A\u2028B <a@b.example>"\n', "lint.sender", 2, "must be an address"),
        ("[lint.rules.ABC123]\npoints = 1\n", "lint.rules.ABC123", 1, "unknown rule"),
        ("[lint.rules.LNK201]\nmaximum = 1\n", "lint.rules.LNK201.maximum", 2, "unknown option"),
        ("[lint.rules.LNK201]\nmax = 1.5\n", "lint.rules.LNK201.max", 2, "must be an integer"),
        ("[lint.rules.LNK201]\nmax = true\n", "lint.rules.LNK201.max", 2, "must be an integer"),
        ('[lint.rules.LNK201]\npoints = "2"\n', "lint.rules.LNK201.points", 2, "number"),
        ("[lint.rules.LNK203]\nhosts = [1]\n", "lint.rules.LNK203.hosts", 2, "list of strings"),
        ('[lint.rules.LNK203]\nhosts = "t.co"\n', "lint.rules.LNK203.hosts", 2, "a list"),
        ("[lint.rules.LNK203]\nstrict = 1\n", "lint.rules.LNK203.strict", 2, "true or false"),
        ("[lint.rules.LNK203]\nlabel = 1\n", "lint.rules.LNK203.label", 2, "a string"),
        ("[lint]\nrules = 3\n", "lint.rules", 2, "must be a table"),
    ],
)
def test_bad_config_names_file_key_and_line(
    write: Callable[..., Path], text: str, field: str, line: int, fragment: str
) -> None:
    path = write("preflight.toml", text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    error = caught.value
    assert (error.file, error.field, error.line) == (str(path), field, line)
    assert fragment in error.message
    assert str(error).startswith(f"{path}:{line}: {field}: ")
    assert error.exit_code == 2


def test_toml_syntax_error_names_the_line(write: Callable[..., Path]) -> None:
    path = write("preflight.toml", "[lint]\nthreshold = 4\nselect = = 3\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert (caught.value.file, caught.value.line) == (str(path), 3)
    assert caught.value.message.startswith("not valid TOML: ")
    assert "line 3" not in caught.value.message  # said once, in the prefix


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load(tmp_path / "absent.toml")


def test_pyproject_tool_preflight_and_prefixed_field(write: Callable[..., Path]) -> None:
    path = write(
        "pyproject.toml",
        "[project]\nname = 'x'\n\n[tool.preflight.lint]\nthreshold = 3.5\nbogus = 1\n",
    )
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert caught.value.field == "tool.preflight.lint.bogus" and caught.value.line == 6
    write("pyproject.toml", "[tool.preflight.lint]\nthreshold = 3.5\n")
    assert load(path).settings.threshold == 3.5
    write("pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    with pytest.raises(ConfigError, match=r"has no \[tool.preflight\] table"):
        load(path)  # chosen with --config, so a missing table is a mistake to report


def test_discovery_walks_up_and_skips_foreign_pyproject(
    write: Callable[..., Path], tmp_path: Path
) -> None:
    root_config = write("preflight.toml", "[lint]\nthreshold = 7\n")
    write("a/pyproject.toml", "[tool.ruff]\nline-length = 100\n")  # not ours: keep looking
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert find_config(deep) == root_config
    assert load_config(start=deep, rules=RULES).settings.threshold == 7.0
    ours = write("a/b/pyproject.toml", "[tool.preflight.lint]\nthreshold = 2\n")
    assert find_config(deep) == ours
    nearest = write("a/b/c/preflight.toml", "")
    assert find_config(deep) == nearest
    assert load_config(start=deep, rules=RULES).settings.threshold == 5.0


def test_no_config_anywhere_means_defaults(tmp_path: Path) -> None:
    # The machine's own folders above tmp_path must not hold a config for this to mean much.
    if find_config(tmp_path) is not None:
        pytest.fail(f"a stray config {find_config(tmp_path)} sits above the test folder")
    config = load_config(start=tmp_path, rules=RULES)
    assert config.path is None and config.sender == DEFAULT_SENDER
    assert config.settings.threshold == 5.0 and config.settings.select == ("ALL",)


def test_real_registry_validates_real_rule_options(write: Callable[..., Path]) -> None:
    good = write("preflight.toml", "[lint.rules.subject-too-long]\nmax_chars = 60\npoints = 1\n")
    settings = load_config(good).settings
    assert settings.options == {"SUB002": {"max_chars": 60}} and settings.points == {"SUB002": 1.0}
    write("preflight.toml", '[lint.rules.SUB002]\nmax_chars = "60"\n')
    with pytest.raises(ConfigError, match="must be an integer"):
        load_config(good)


def test_cli_overrides_replace_select_extend_ignore(write: Callable[..., Path]) -> None:
    config = load(write("preflight.toml", '[lint]\nselect = ["SUB"]\nignore = ["LNK203"]\n'))
    changed = with_overrides(
        config, select=("LNK",), ignore=("link-count",), threshold=2.0, rules=RULES
    )
    assert changed.settings.select == ("LNK",)
    assert changed.settings.ignore == ("LNK203", "link-count")
    assert changed.settings.threshold == 2.0
    assert with_overrides(config, rules=RULES) == config
    with pytest.raises(UsageError) as caught:
        with_overrides(config, ignore=("NOPE",), rules=RULES)
    assert caught.value.field == "--ignore" and caught.value.exit_code == 2


def test_split_selectors() -> None:
    assert split_selectors(["LNK,SUB001", " IMG ", ""]) == ("LNK", "SUB001", "IMG")
    assert split_selectors(None) == ()
