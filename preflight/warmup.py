"""Warm-up plans: how many messages a mailbox may send on each day since it started.

A plan is a TOML file (see ``warmup_plans/``)::

    name = "standard"
    description = "About four weeks to 50 a day."
    hourly_cap = 12

    [ramp]               # start + increment every N days, up to max ...
    start = 5
    increment = 2
    every_days = 1
    max = 50

    # ... or explicit steps, each from a day on (the last one holds):
    # [[steps]]
    # from_day = 1
    # daily = 5

    [weekdays]           # optional: a factor for some weekdays (0 = do not send)
    sat = 0.5
    sun = 0

Day 1 is the mailbox's start date. A user's own plan is a file in the same format.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from preflight.errors import ConfigError
from preflight.resources import shipped_dir

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TOP_KEYS = {"name", "description", "hourly_cap", "ramp", "steps", "weekdays"}
_RAMP_KEYS = {"start", "increment", "every_days", "max"}
_STEP_KEYS = {"from_day", "daily"}


@dataclass(frozen=True)
class Step:
    from_day: int
    daily: int


@dataclass(frozen=True)
class WarmupPlan:
    name: str
    hourly_cap: int
    steps: tuple[Step, ...] = ()
    ramp_start: int = 0
    ramp_increment: int = 0
    ramp_every_days: int = 1
    ramp_max: int = 0
    weekday_factors: dict[int, float] = field(default_factory=dict)  # 0 = Monday
    description: str = ""

    def base_cap(self, day: int) -> int:
        """The daily cap on plan day ``day`` (1 = the start date), before weekday rules."""
        if day < 1:
            return 0
        if self.steps:
            cap = 0
            for step in self.steps:
                if step.from_day > day:
                    break
                cap = step.daily
            return cap
        grown = self.ramp_start + self.ramp_increment * ((day - 1) // self.ramp_every_days)
        return min(grown, self.ramp_max)

    def daily_cap(self, start: date, today: date) -> int:
        """The cap for ``today`` for a mailbox that started on ``start``."""
        day = (today - start).days + 1
        cap = self.base_cap(day)
        factor = self.weekday_factors.get(today.weekday())
        if factor is not None:
            cap = math.floor(cap * factor)
        return cap

    def days_to_reach_max(self) -> int:
        """The first plan day whose base cap is the plan's highest."""
        top = self.steps[-1].daily if self.steps else self.ramp_max
        day = 1
        while self.base_cap(day) < top:
            day += 1
        return day


def shipped_plans() -> dict[str, Path]:
    """Shipped plan names and their files."""
    return {p.stem: p for p in sorted(shipped_dir("warmup_plans").glob("*.toml"))}


def resolve_plan(name_or_path: str, base: Path | None = None) -> Path:
    """A shipped plan name, or a path (relative to ``base``)."""
    plans = shipped_plans()
    if name_or_path in plans:
        return plans[name_or_path]
    path = Path(name_or_path).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.is_file():
        known = ", ".join(plans)
        raise ConfigError(
            f"no warm-up plan {name_or_path!r}: give a shipped plan ({known}) or a file path",
            field="warmup",
        )
    return path


def load_plan(name_or_path: str, base: Path | None = None) -> WarmupPlan:
    path = resolve_plan(name_or_path, base)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the warm-up plan: {error}", file=path) from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"invalid TOML: {error}", file=path) from error
    return parse_plan(data, path)


def parse_plan(data: dict[str, Any], path: Path) -> WarmupPlan:
    def fail(message: str, key: str) -> ConfigError:
        return ConfigError(message, file=path, field=key)

    for key in data:
        if key not in _TOP_KEYS:
            raise fail(f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})", key)
    hourly = data.get("hourly_cap")
    _whole(hourly, "hourly_cap", fail, minimum=1)
    name = str(data.get("name", path.stem))
    if ("ramp" in data) == ("steps" in data):
        raise fail("give exactly one of [ramp] or [[steps]]", "ramp")
    kwargs: dict[str, Any] = {}
    if "ramp" in data:
        ramp = data["ramp"]
        if not isinstance(ramp, dict):
            raise fail("must be a table", "ramp")
        for key in ramp:
            if key not in _RAMP_KEYS:
                raise fail(f"unknown key (known: {', '.join(sorted(_RAMP_KEYS))})", f"ramp.{key}")
        for key in ("start", "increment", "max"):
            _whole(ramp.get(key), f"ramp.{key}", fail, minimum=0)
        every = ramp.get("every_days", 1)
        _whole(every, "ramp.every_days", fail, minimum=1)
        kwargs.update(
            ramp_start=ramp["start"],
            ramp_increment=ramp["increment"],
            ramp_every_days=every,
            ramp_max=ramp["max"],
        )
    else:
        raw_steps = data["steps"]
        if not isinstance(raw_steps, list) or not raw_steps:
            raise fail("must be a non-empty array of tables", "steps")
        steps: list[Step] = []
        for index, raw in enumerate(raw_steps, 1):
            where = f"steps[{index}]"
            if not isinstance(raw, dict):
                raise fail("must be a table", where)
            for key in raw:
                if key not in _STEP_KEYS:
                    raise fail("unknown key (known: from_day, daily)", f"{where}.{key}")
            _whole(raw.get("from_day"), f"{where}.from_day", fail, minimum=1)
            _whole(raw.get("daily"), f"{where}.daily", fail, minimum=0)
            if steps and raw["from_day"] <= steps[-1].from_day:
                raise fail("from_day must increase from step to step", f"{where}.from_day")
            steps.append(Step(raw["from_day"], raw["daily"]))
        if steps[0].from_day != 1:
            raise fail("the first step must start on day 1", "steps[1].from_day")
        kwargs["steps"] = tuple(steps)
    factors: dict[int, float] = {}
    weekdays = data.get("weekdays", {})
    if not isinstance(weekdays, dict):
        raise fail("must be a table", "weekdays")
    for key, value in weekdays.items():
        if key not in WEEKDAYS:
            raise fail(f"unknown weekday (use {', '.join(WEEKDAYS)})", f"weekdays.{key}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise fail("must be a factor between 0 and 1", f"weekdays.{key}")
        factors[WEEKDAYS.index(key)] = float(value)
    return WarmupPlan(
        name=name,
        hourly_cap=hourly,
        weekday_factors=factors,
        description=str(data.get("description", "")).strip(),
        **kwargs,
    )


def _whole(
    value: Any, key: str, fail: Callable[[str, str], ConfigError], *, minimum: int
) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise fail(f"must be a whole number of at least {minimum}", key)


__all__ = ["WEEKDAYS", "Step", "WarmupPlan", "load_plan", "resolve_plan", "shipped_plans"]
