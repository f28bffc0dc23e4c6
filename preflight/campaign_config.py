"""A campaign file (TOML) read into validated dataclasses.

Every key is checked before anything is read or sent: an unknown key, a wrong type or a bad
value is a :class:`ConfigError` naming the file, the line (when it can be found) and the key.
Relative paths are relative to the campaign file. See the README for every key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from preflight.errors import ConfigError, MailboxError, PreflightError
from preflight.lint.settings import DEFAULT_THRESHOLD, LintSettings
from preflight.policy import BouncePolicy
from preflight.provider_limits import SendLimits, resolve_limits
from preflight.resources import shipped_dir
from preflight.schedule import SendWindow
from preflight.warmup import WEEKDAYS, WarmupPlan, load_plan

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_SECTIONS = {"campaign", "lint", "unsubscribe", "policy", "mailbox", "follow_up"}
_FOLLOW_UP_KEYS = {"template", "after_days"}
_CAMPAIGN_KEYS = {
    "name",
    "template",
    "recipients",
    "domain_cap",
    "domain_cap_hours",
    "recontact_after_days",
}
_LINT_KEYS = {"threshold", "select", "ignore"}
_UNSUBSCRIBE_KEYS = {"mailto", "url"}
_POLICY_KEYS = {
    "soft_retry_hours",
    "suppress_after_soft",
    "hard_bounce_rate",
    "hard_bounce_window",
    "hard_bounce_min_sends",
    "pause_on_reasons",
    "slow_down_factor",
    "slow_down_retry_minutes",
}
_MAILBOX_KEYS = {
    "from",
    "host",
    "port",
    "security",
    "allow_plaintext_auth",
    "username",
    "password_env",
    "ca_file",
    "warmup",
    "warmup_start",
    "send_days",
    "send_hours",
    "timezone",
    "delay_seconds",
    "timeout",
    "provider",
    "limits",
}
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class MailboxConfig:
    from_header: str  # "Li Wei <li.wei@example.com>"
    address: str  # "li.wei@example.com"
    host: str
    port: int
    security: str
    username: str | None
    password_env: str | None
    ca_file: Path | None
    plan: WarmupPlan
    warmup_start: date
    window: SendWindow
    delay_seconds: tuple[float, float]
    timeout: float
    # Dangerous: AUTH over a connection without TLS (the password readable on the wire).
    allow_plaintext_auth: bool = False
    # The provider's documented limits with the mailbox's overrides (none by default).
    limits: SendLimits = field(default_factory=SendLimits)

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]

    def password(self) -> str | None:
        """The password from the environment; never stored or logged."""
        if self.username is None:
            return None
        assert self.password_env is not None  # checked when the file is read
        value = os.environ.get(self.password_env)
        if not value:
            raise MailboxError(
                f"the environment variable {self.password_env} (password of {self.address}) "
                "is not set",
                field="password_env",
            )
        return value

    def __repr__(self) -> str:  # keep reprs short; there is no secret here to hide anyway
        return f"MailboxConfig({self.address} via {self.host}:{self.port} {self.security})"


@dataclass(frozen=True)
class Unsubscribe:
    mailto: str | None = None  # an address, or a "mailto:" URL
    url: str | None = None  # https; "{email}" is replaced by the URL-encoded recipient

    def headers(self, recipient: str) -> dict[str, str]:
        parts: list[str] = []
        if self.mailto:
            target = self.mailto if self.mailto.startswith("mailto:") else f"mailto:{self.mailto}"
            if "?" not in target:
                target += "?subject=unsubscribe"
            parts.append(f"<{target}>")
        if self.url:
            parts.append(f"<{self.url.replace('{email}', quote(recipient, safe=''))}>")
        if not parts:
            return {}
        headers = {"List-Unsubscribe": ", ".join(parts)}
        if self.url:
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return headers


@dataclass(frozen=True)
class FollowUpConfig:
    """One ``[[follow_up]]`` table: step ``number`` (1 = the first follow-up)."""

    number: int
    template: Path
    after_days: int  # counted in the mailbox's send days after the previous step


@dataclass(frozen=True)
class CampaignConfig:
    path: Path
    name: str
    template: Path
    recipients: Path
    mailboxes: tuple[MailboxConfig, ...]
    lint: LintSettings = field(default_factory=LintSettings)
    unsubscribe: Unsubscribe = field(default_factory=Unsubscribe)
    policy: BouncePolicy = field(default_factory=BouncePolicy)
    domain_cap: int | None = 20
    domain_cap_hours: float = 1.0
    # Skip a person another campaign wrote to within this many days (0: off).
    recontact_after_days: int = 90
    follow_ups: tuple[FollowUpConfig, ...] = ()

    def mailbox(self, address: str) -> MailboxConfig:
        for mailbox in self.mailboxes:
            if mailbox.address == address:
                return mailbox
        raise KeyError(address)


def load_campaign(path: str | Path) -> CampaignConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise ConfigError("campaign file not found", file=path) from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the campaign file: {error}", file=path) from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise ConfigError(
            f"invalid TOML: {error}", file=path, line=int(line.group(1)) if line else None
        ) from error
    return _Reader(path, text).campaign(data)


def campaign_sender(template: Path) -> str | None:
    """The From of the first mailbox of a campaign file beside ``template`` that sends it:
    what a lone ``preflight lint template.j2`` renders From with. None when no campaign there
    names the template, or the one that does cannot be read (lint then needs no campaign)."""
    wanted = template.resolve()
    for candidate in sorted(template.parent.glob("*.toml")):
        try:
            head = tomllib.loads(candidate.read_text(encoding="utf-8-sig")).get("campaign")
            if not isinstance(head, dict) or not isinstance(head.get("template"), str):
                continue
            if (candidate.parent / head["template"]).resolve() != wanted:
                continue
            mailboxes = load_campaign(candidate).mailboxes
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, PreflightError):
            continue
        if mailboxes:
            return mailboxes[0].from_header
    return None


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.base = path.resolve().parent
        self.lines = text.splitlines()

    def fail(self, message: str, key: str) -> ConfigError:
        return ConfigError(message, file=self.path, line=self._line_of(key), field=key)

    def _line_of(self, key: str) -> int | None:
        # tomllib keeps no positions; the key's own name on the left of "=" (or as a table
        # header) is a good enough pointer for a human.
        leaf = re.sub(r"\[\d+\]", "", key).split(".")[-1]
        pattern = re.compile(rf"^\s*(\[+\s*)?\"?{re.escape(leaf)}\"?\s*(=|\]|\.)")
        for number, line in enumerate(self.lines, 1):
            if pattern.match(line):
                return number
        return None

    def table(self, data: Any, key: str, known: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail("must be a table", key)
        for name in data:
            if name not in known:
                where = f"{key}.{name}" if key else name
                raise self.fail(f"unknown key (known: {', '.join(sorted(known))})", where)
        return data

    def string(self, data: dict[str, Any], key: str, where: str, default: Any = ...) -> Any:
        if key not in data:
            if default is ...:
                raise self.fail("is required", f"{where}.{key}")
            return default
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail("must be a non-empty string", f"{where}.{key}")
        return value.strip()

    def number(
        self,
        data: dict[str, Any],
        key: str,
        where: str,
        default: Any,
        *,
        low: float,
        high: float = float("inf"),
        whole: bool = False,
    ) -> Any:
        value = data.get(key, default)
        kind = "a whole number" if whole else "a number"
        ok = isinstance(value, int) if whole else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or not low <= value <= high:
            bound = f"between {low:g} and {high:g}" if high != float("inf") else f">= {low:g}"
            raise self.fail(f"must be {kind} {bound}", f"{where}.{key}")
        return value

    def campaign(self, data: dict[str, Any]) -> CampaignConfig:
        self.table(data, "", _SECTIONS)
        section = self.table(data.get("campaign", {}), "campaign", _CAMPAIGN_KEYS)
        name = self.string(section, "name", "campaign", self.path.stem)
        template = self._template(self.string(section, "template", "campaign"))
        recipients = self._path(
            self.string(section, "recipients", "campaign"), "campaign.recipients"
        )
        domain_cap = section.get("domain_cap", 20)
        if domain_cap is not False:
            domain_cap = self.number(section, "domain_cap", "campaign", 20, low=1, whole=True)
        hours = self.number(section, "domain_cap_hours", "campaign", 1.0, low=0.01)
        recontact = self.number(
            section, "recontact_after_days", "campaign", 90, low=0, high=3650, whole=True
        )
        raw_mailboxes = data.get("mailbox")
        if not isinstance(raw_mailboxes, list) or not raw_mailboxes:
            raise self.fail("give at least one [[mailbox]] table", "mailbox")
        mailboxes = tuple(self.mailbox(raw, i) for i, raw in enumerate(raw_mailboxes, 1))
        seen: set[str] = set()
        for index, mailbox in enumerate(mailboxes, 1):
            if mailbox.address in seen:
                raise self.fail(f"{mailbox.address} is listed twice", f"mailbox[{index}].from")
            seen.add(mailbox.address)
        return CampaignConfig(
            path=self.path,
            name=name,
            template=template,
            recipients=recipients,
            mailboxes=mailboxes,
            lint=self.lint(data.get("lint", {})),
            unsubscribe=self.unsubscribe(data.get("unsubscribe", {})),
            policy=self.policy(data.get("policy", {})),
            domain_cap=None if domain_cap is False else domain_cap,
            domain_cap_hours=float(hours),
            recontact_after_days=recontact,
            follow_ups=self.follow_ups(data.get("follow_up", [])),
        )

    def follow_ups(self, raw: Any) -> tuple[FollowUpConfig, ...]:
        if not isinstance(raw, list):
            raise self.fail("must be [[follow_up]] tables", "follow_up")
        steps = []
        for number, item in enumerate(raw, 1):
            where = f"follow_up[{number}]"
            section = self.table(item, where, _FOLLOW_UP_KEYS)
            template = self.string(section, "template", where)
            try:
                path = self._template(template)
            except ConfigError as error:
                raise self.fail(error.message, f"{where}.template") from error
            if "after_days" not in section:
                raise self.fail("is required (days after the previous step; 0 allowed)",
                                f"{where}.after_days")  # fmt: skip
            days = self.number(section, "after_days", where, 0, low=0, high=365, whole=True)
            steps.append(FollowUpConfig(number, path, days))
        return tuple(steps)

    def _path(self, value: str, key: str) -> Path:
        path = Path(value).expanduser()
        path = path if path.is_absolute() else self.base / path
        if not path.is_file():
            raise self.fail(f"file not found: {path}", key)
        return path

    def _template(self, value: str) -> Path:
        path = Path(value).expanduser()
        local = path if path.is_absolute() else self.base / path
        if local.is_file():
            return local
        # A shipped template by name ("first-contact" or "first-contact.j2").
        shipped = shipped_dir("templates") / (value if value.endswith(".j2") else f"{value}.j2")
        if shipped.is_file():
            return shipped
        raise self.fail(f"file not found: {local} (nor a shipped template)", "campaign.template")

    def lint(self, raw: Any) -> LintSettings:
        section = self.table(raw, "lint", _LINT_KEYS)
        threshold = self.number(section, "threshold", "lint", DEFAULT_THRESHOLD, low=0)
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("select", "ignore"):
            value = section.get(key, ["ALL"] if key == "select" else [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail("must be a list of rule codes or names", f"lint.{key}")
            lists[key] = tuple(value)
        return LintSettings(threshold=float(threshold), **lists)

    def unsubscribe(self, raw: Any) -> Unsubscribe:
        section = self.table(raw, "unsubscribe", _UNSUBSCRIBE_KEYS)
        mailto = self.string(section, "mailto", "unsubscribe", None)
        url = self.string(section, "url", "unsubscribe", None)
        if mailto is not None and "@" not in mailto:
            raise self.fail("must be an address or a mailto: URL", "unsubscribe.mailto")
        if url is not None and not url.startswith("https://"):
            raise self.fail("must be an https:// URL (one-click unsubscribe)", "unsubscribe.url")
        for key, value in (("mailto", mailto), ("url", url)):
            if value is not None and any(c in value for c in "\r\n<>, "):
                raise self.fail(
                    "must not contain spaces, commas, < > or line breaks", f"unsubscribe.{key}"
                )
        return Unsubscribe(mailto=mailto, url=url)

    def policy(self, raw: Any) -> BouncePolicy:
        section = self.table(raw, "policy", _POLICY_KEYS)
        defaults = BouncePolicy()
        kwargs: dict[str, Any] = {}
        if "soft_retry_hours" in section:
            hours = section["soft_retry_hours"]
            if (
                not isinstance(hours, list)
                or not hours
                or not all(
                    isinstance(h, int | float) and not isinstance(h, bool) and h > 0 for h in hours
                )
            ):
                raise self.fail(
                    "must be a list of positive hours, e.g. [24, 48]", "policy.soft_retry_hours"
                )
            kwargs["soft_retry_after"] = tuple(timedelta(hours=h) for h in hours)
        def setting(key: str, default: float, **bounds: Any) -> Any:
            return self.number(section, key, "policy", default, **bounds)

        kwargs["suppress_after_soft"] = setting(
            "suppress_after_soft", defaults.suppress_after_soft, low=1, whole=True
        )
        kwargs["hard_bounce_rate"] = float(
            setting("hard_bounce_rate", defaults.hard_bounce_rate, low=0, high=1)
        )
        kwargs["hard_bounce_window"] = setting(
            "hard_bounce_window", defaults.hard_bounce_window, low=1, whole=True
        )
        kwargs["hard_bounce_min_sends"] = setting(
            "hard_bounce_min_sends", defaults.hard_bounce_min_sends, low=1, whole=True
        )
        kwargs["slow_down_factor"] = float(
            setting("slow_down_factor", defaults.slow_down_factor, low=1)
        )
        minutes = setting(
            "slow_down_retry_minutes", defaults.slow_down_retry_after.total_seconds() / 60, low=0
        )
        kwargs["slow_down_retry_after"] = timedelta(minutes=minutes)
        if "pause_on_reasons" in section:
            reasons = section["pause_on_reasons"]
            if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
                raise self.fail("must be a list of reason names", "policy.pause_on_reasons")
            kwargs["pause_on_reasons"] = frozenset(reasons)
        return BouncePolicy(**kwargs)

    def mailbox(self, raw: Any, index: int) -> MailboxConfig:
        where = f"mailbox[{index}]"
        section = self.table(raw, where, _MAILBOX_KEYS)
        from_header = self.string(section, "from", where)
        if "\r" in from_header or "\n" in from_header:
            raise self.fail("must stay on one line", f"{where}.from")
        _, address = parseaddr(from_header)
        if "@" not in address or " " in address:
            raise self.fail(f"not an address: {from_header!r}", f"{where}.from")
        local, domain = address.rsplit("@", 1)
        address = f"{local}@{domain.lower()}"
        host = self.string(section, "host", where)
        security = self.string(section, "security", where, "starttls")
        if security not in SECURITY:
            raise self.fail(f"must be one of {', '.join(SECURITY)}", f"{where}.security")
        port = self.number(
            section, "port", where, DEFAULT_PORTS[security], low=1, high=65535, whole=True
        )
        username = self.string(section, "username", where, None)
        password_env = self.string(section, "password_env", where, None)
        if username is not None and password_env is None:
            raise self.fail(
                "a mailbox with a username needs password_env (the NAME of the "
                "environment variable holding the password)",
                f"{where}.password_env",
            )
        if password_env is not None and not _ENV_NAME.match(password_env):
            raise self.fail(
                "must be an environment variable NAME such as SMTP_PASSWORD, "
                "never the password itself",
                f"{where}.password_env",
            )
        plaintext = section.get("allow_plaintext_auth", False)
        if not isinstance(plaintext, bool):
            raise self.fail("must be true or false", f"{where}.allow_plaintext_auth")
        if username is not None and security == "none" and not plaintext:
            raise self.fail(
                'security = "none" with a username would send the password unencrypted to '
                f"{host}: use starttls or tls, or set allow_plaintext_auth = true (dangerous: "
                "anyone on the path reads the password)",
                f"{where}.security",
            )
        ca_file = section.get("ca_file")
        ca_path = (
            self._path(self.string(section, "ca_file", where), f"{where}.ca_file")
            if ca_file is not None
            else None
        )
        warmup_name = self.string(section, "warmup", where, "standard")
        try:
            plan = load_plan(warmup_name, self.base)
        except ConfigError as error:
            if error.file:
                raise
            raise self.fail(error.message, f"{where}.warmup") from error
        start = section.get("warmup_start")
        if isinstance(start, datetime) or not isinstance(start, date):
            raise self.fail(
                "must be a date such as 2026-11-02 (day 1 of the warm-up plan)",
                f"{where}.warmup_start",
            )
        return MailboxConfig(
            from_header=from_header,
            address=address,
            host=host,
            port=port,
            security=security,
            username=username,
            password_env=password_env,
            ca_file=ca_path,
            plan=plan,
            warmup_start=start,
            window=self.window(section, where),
            delay_seconds=self.delay(section, where),
            timeout=float(self.number(section, "timeout", where, 30.0, low=0.1)),
            allow_plaintext_auth=plaintext,
            limits=resolve_limits(
                self.string(section, "provider", where, None),
                section.get("limits"),
                lambda message, key: self.fail(message, f"{where}.{key}"),
            ),
        )

    def window(self, section: dict[str, Any], where: str) -> SendWindow:
        days = section.get("send_days", ["mon", "tue", "wed", "thu", "fri"])
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, str) and d.lower() in WEEKDAYS for d in days)
        ):
            raise self.fail(
                f"must be a list of days from {', '.join(WEEKDAYS)}", f"{where}.send_days"
            )
        hours = section.get("send_hours", "09:00-17:00")
        match = _HOURS.match(hours) if isinstance(hours, str) else None
        start = end = None
        if match:
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 < 24 and m1 < 60 and m2 < 60 and (h2 < 24 or (h2 == 24 and m2 == 0)):
                start = time(h1, m1)
                end = None if h2 == 24 else time(h2, m2)
                if end is not None and end <= start:
                    start = None
        if start is None:
            raise self.fail(
                'must be a range such as "09:00-17:00" (end after start; "24:00" for midnight)',
                f"{where}.send_hours",
            )
        zone = section.get("timezone", "UTC")
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise self.fail(
                f"unknown time zone {zone!r} (use a name such as Asia/Shanghai)",
                f"{where}.timezone",
            ) from error
        return SendWindow(frozenset(WEEKDAYS.index(d.lower()) for d in days), start, end, tz)

    def delay(self, section: dict[str, Any], where: str) -> tuple[float, float]:
        value = section.get("delay_seconds", [60, 180])
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value
            )
            or value[0] > value[1]
        ):
            raise self.fail(
                "must be [minimum, maximum] seconds, e.g. [60, 180]", f"{where}.delay_seconds"
            )
        return (float(value[0]), float(value[1]))


__all__ = ["CampaignConfig", "FollowUpConfig", "MailboxConfig", "Unsubscribe", "load_campaign"]
