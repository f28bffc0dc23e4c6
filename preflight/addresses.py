"""Offline checks of one recipient address: is it worth sending to, and if not, why.

:class:`AddressChecker` looks at one address at a time and remembers the mailboxes it has
seen, so a list is checked in one streaming pass. Each finding is a :class:`Reason` with a
code, a message, a fix and a severity; the worst severity is the address's verdict:

* ``reject`` — do not send (bad syntax, typo'd domain, duplicate, disposable, suppressed);
* ``warn``   — sendable, but look (role mailbox, stray spaces, non-ASCII mailbox);
* ``info``   — a fact that does not change the verdict (free-mail rather than a company).

DNS checks (``--dns``) live in :mod:`preflight.dns.mailhost` and add reasons with
:meth:`AddressVerdict.with_reasons`.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

import disposable_email_domains
from email_validator import EmailNotValidError, validate_email

from preflight import address_data
from preflight.ledger.suppression import Suppression

Severity = Literal["info", "warn", "reject"]
VerdictName = Literal["ok", "warn", "reject"]

# How bad each severity is; the worst reason decides the verdict, and reports list it first.
SEVERITY_RANK: dict[str, int] = {"info": 0, "warn": 1, "reject": 2}

# Reasons the checker can repair on its own; with ``fix=True`` the repaired address is used.
FIXABLE = frozenset(
    {"whitespace", "wrapped", "fullwidth", "comma-for-dot", "spaces-inside", "syntax",
     "domain-typo", "tld-typo"}
)  # fmt: skip

# Invisible characters spreadsheets and web forms leave around a pasted address.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# What a Chinese or Japanese input method types instead of "@", "." and ",".
_FULLWIDTH = str.maketrans({"＠": "@", "。": ".", "．": ".", "｡": ".", "，": ",", "；": ";"})
# One wording for the "fullwidth" reason, whether the address was repaired or accepted as is.
_FULLWIDTH_MESSAGE = "full-width punctuation (＠ 。 ，) from an input method"
_WRAPPED = re.compile(r"^(?:[^<>]*)<([^<>]+)>$")
_SEPARATORS = re.compile(r"[\s,;/|]+")
_SPACE_AROUND_PUNCT = re.compile(r"\s*([@.])\s*")

# Providers that deliver name+anything@ to name@ (documented sub-addressing).
_PLUS_TAGS = frozenset(
    {
        "gmail.com", "googlemail.com",
        "outlook.com", "hotmail.com", "live.com", "msn.com",
        "fastmail.com", "fastmail.fm",
        "protonmail.com", "protonmail.ch", "proton.me", "pm.me",
        "yandex.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua", "ya.ru",
    }
)  # fmt: skip
# Providers that ignore dots in the local part.
_DOTLESS = frozenset({"gmail.com", "googlemail.com"})
# Domains that are one mailbox under several names.
_DOMAIN_ALIASES = {
    "googlemail.com": "gmail.com",
    "yandex.com": "yandex.ru",
    "yandex.by": "yandex.ru",
    "yandex.kz": "yandex.ru",
    "yandex.ua": "yandex.ru",
    "ya.ru": "yandex.ru",
}


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding about an address: a stable code, what is wrong, how to fix it."""

    code: str
    message: str
    fix: str
    severity: Severity = "reject"


@dataclass(frozen=True, slots=True)
class AddressVerdict:
    """What the checker concluded about one address.

    ``normalized`` is the address to send to (``None`` when there is none); after an
    automatic fix it is the corrected address and ``corrected`` is true. ``domain`` is the
    ASCII (IDNA) domain, for DNS.
    """

    address: str
    verdict: VerdictName
    reasons: tuple[Reason, ...] = ()
    normalized: str | None = None
    suggestion: str | None = None
    domain: str | None = None
    corrected: bool = False

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]

    def with_reasons(self, extra: Iterable[Reason]) -> AddressVerdict:
        """A copy with more reasons and the verdict they imply."""
        reasons = self.reasons + tuple(extra)
        return replace(self, reasons=reasons, verdict=_verdict_of(reasons))


def _verdict_of(reasons: Iterable[Reason]) -> VerdictName:
    worst = max((SEVERITY_RANK[reason.severity] for reason in reasons), default=0)
    return "reject" if worst == 2 else "warn" if worst == 1 else "ok"


def mailbox_key(local_part: str, ascii_domain: str) -> str:
    """One spelling per mailbox: case folded, provider aliases and sub-addressing removed.

    Gmail ignores dots and ``+tags`` and is also ``googlemail.com``; Outlook.com/Hotmail,
    Fastmail, Proton and Yandex deliver ``+tags`` to the base mailbox; Yandex's domains are
    one mailbox. Other providers are compared case-insensitively only.
    """
    domain = ascii_domain.lower()
    local = local_part.casefold()
    if domain in _PLUS_TAGS:
        local = local.split("+", 1)[0]
    if domain in _DOTLESS:
        local = local.replace(".", "")
    return f"{local}@{_DOMAIN_ALIASES.get(domain, domain)}"


@dataclass
class _Draft:
    """Reasons gathered while one address is examined."""

    reasons: list[Reason] = field(default_factory=list)

    def add(self, code: str, message: str, fix: str, severity: Severity = "reject") -> None:
        self.reasons.append(Reason(code, message, fix, severity))


@dataclass(frozen=True, slots=True)
class _Valid:
    """The parts of email-validator's result the checks use."""

    local_part: str
    domain: str
    ascii_domain: str
    smtputf8: bool

    @property
    def normalized(self) -> str:
        return f"{self.local_part}@{self.domain}"

    @property
    def ascii_email(self) -> str | None:
        return None if self.smtputf8 else f"{self.local_part}@{self.ascii_domain}"


class SeenMailboxes:
    """The mailboxes seen so far, exact, in memory that does not grow with the list.

    Keys are 64-bit hashes of mailbox keys; each maps to a small int (where it was first
    seen). Up to ``memory_limit`` new keys are held in a dict; when it fills, they are moved
    to a private temporary SQLite database on disk (SQLite deletes the file itself when the
    connection closes, and the file is already unlinked, so even a killed process leaves
    nothing behind). Lookups try the dict, then the disk. The answers are the same as one
    big dict's; the cost is one indexed read per address once a list passes the limit.
    """

    MEMORY_LIMIT = 50_000
    # SQLite's page cache for the spill; its pages are the only memory the spill costs.
    _CACHE_KIB = 2048

    def __init__(self, memory_limit: int = MEMORY_LIMIT) -> None:
        if memory_limit < 1:
            raise ValueError("memory_limit must be at least 1")
        self.memory_limit = memory_limit
        self._recent: dict[int, int] = {}
        self._disk: sqlite3.Connection | None = None
        self._on_disk = 0

    @property
    def spilled(self) -> bool:
        """Whether keys have moved to disk (the list outgrew ``memory_limit``)."""
        return self._disk is not None

    def __len__(self) -> int:
        return len(self._recent) + self._on_disk

    def first(self, key: int) -> int | None:
        """The value stored with ``key`` when it was first added, or None if never added."""
        value = self._recent.get(key)
        if value is not None or self._disk is None:
            return value
        row = self._disk.execute("SELECT first FROM seen WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def add(self, key: int, value: int) -> None:
        """Remember ``key`` unless it is known already (the first value always wins)."""
        if self.first(key) is None:
            self.add_new(key, value)

    def add_new(self, key: int, value: int) -> None:
        """Remember ``key``, which the caller just looked up with :meth:`first` in vain."""
        self._recent[key] = value
        if len(self._recent) >= self.memory_limit:
            self._spill()

    def _spill(self) -> None:
        if self._disk is None:
            # "" is SQLite's private temporary on-disk database, removed on close.
            self._disk = sqlite3.connect("", isolation_level=None)
            self._disk.execute(f"PRAGMA cache_size = -{self._CACHE_KIB}")
            self._disk.execute("PRAGMA journal_mode = OFF")
            self._disk.execute("PRAGMA synchronous = OFF")
            # The hash is the rowid: one compact B-tree, no second index.
            self._disk.execute("CREATE TABLE seen (key INTEGER PRIMARY KEY, first INTEGER)")
        with self._disk:
            self._disk.execute("BEGIN")
            cursor = self._disk.executemany(
                "INSERT OR IGNORE INTO seen (key, first) VALUES (?, ?)", self._recent.items()
            )
        self._on_disk += cursor.rowcount
        # A new dict, not clear(): a cleared dict keeps its grown table.
        self._recent = {}

    def close(self) -> None:
        """Drop everything, the spill file included."""
        self._recent = {}
        self._on_disk = 0
        if self._disk is not None:
            self._disk.close()
            self._disk = None


class _Validator:
    """email-validator, with each distinct domain validated only once.

    Validating the domain (IDNA/UTS #46, character by character) is two thirds of
    email-validator's time, and a list repeats its domains. A known-good domain is therefore
    not validated again: the local part is validated beside a short stand-in domain and the
    cached domain is put back. Long addresses always take the full path, so the overall
    length limit is still enforced by email-validator itself. The cache is capped so memory
    stays flat; when it fills it starts afresh, which keeps the domains a list repeats now.
    """

    _STAND_IN = "a.io"
    _MAX_DOMAINS = 20_000
    _SHORT_ENOUGH = 200  # well under the 254-octet limit, even with the stand-in swapped

    def __init__(self) -> None:
        self._domains: dict[str, tuple[str, str]] = {}

    def __call__(self, address: str) -> _Valid:
        local, at, domain = address.rpartition("@")
        known = self._domains.get(domain) if at else None
        if known is None or len(address) > self._SHORT_ENOUGH:
            full = validate_email(address, check_deliverability=False)
            if at:
                if len(self._domains) >= self._MAX_DOMAINS:
                    self._domains = {}
                self._domains[domain] = (full.domain, full.ascii_domain)
            return _Valid(full.local_part, full.domain, full.ascii_domain, bool(full.smtputf8))
        probe = validate_email(f"{local}@{self._STAND_IN}", check_deliverability=False)
        return _Valid(probe.local_part, known[0], known[1], bool(probe.smtputf8))


class AddressChecker:
    """Checks addresses one at a time, remembering mailboxes to flag duplicates.

    ``suppressed`` looks a lower-case address up on the suppression list (for example
    ``Ledger(path).suppression``). With ``fix=True`` an address rejected only for something
    the checker can repair (spaces, a comma for a dot, a misspelled provider) is checked again
    in its corrected form, and that form becomes ``normalized``.

    Memory stays flat however long the list: past ``memory_limit`` distinct mailboxes the
    duplicate memory moves to a temporary file (see :class:`SeenMailboxes`). :meth:`close`
    (or ``with``) removes it at once; otherwise it goes with the checker.
    """

    def __init__(
        self,
        suppressed: Callable[[str], Suppression | None] | None = None,
        *,
        fix: bool = False,
        memory_limit: int = SeenMailboxes.MEMORY_LIMIT,
    ) -> None:
        self._suppressed = suppressed
        self._fix = fix
        # hash of the mailbox key -> (line of its first appearance << 1) | 1 if that spelling
        # differed from the key. Ints, not strings, keep the entries small; a 64-bit hash
        # collision among a million keys is a 1-in-10^7 chance.
        self._seen = SeenMailboxes(memory_limit)
        self._roles = address_data.role_local_parts()
        self._free = address_data.free_mail_domains()
        self._disposable = disposable_email_domains.blocklist
        self._validate = _Validator()

    @property
    def distinct_mailboxes(self) -> int:
        return len(self._seen)

    @property
    def spilled(self) -> bool:
        """Whether the duplicate memory outgrew ``memory_limit`` and moved to disk."""
        return self._seen.spilled

    def close(self) -> None:
        """Forget the mailboxes seen and remove the temporary file, if any."""
        self._seen.close()

    def __enter__(self) -> AddressChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check(self, address: str, *, line: int | None = None) -> AddressVerdict:
        """The verdict on ``address``; ``line`` names where it came from in messages."""
        verdict, key = self._evaluate(address)
        if self._fix and verdict.verdict == "reject" and verdict.suggestion:
            verdict, key = self._apply_fix(verdict, key)
        if key is not None and verdict.normalized is not None and "duplicate" not in verdict.codes:
            # Not a duplicate, so _examine just looked the key up and did not find it.
            respelled = key != verdict.normalized.casefold()
            self._seen.add_new(hash(key), ((line or 0) << 1) | respelled)
        return verdict

    def _apply_fix(
        self, verdict: AddressVerdict, key: str | None
    ) -> tuple[AddressVerdict, str | None]:
        rejects = [r for r in verdict.reasons if r.severity == "reject"]
        if not all(r.code in FIXABLE for r in rejects) or verdict.suggestion is None:
            return verdict, key
        again, again_key = self._evaluate(verdict.suggestion)
        if again.normalized is None:
            return verdict, key
        fixed = tuple(
            replace(r, severity="warn", message=f"{r.message} (corrected to {again.normalized})")
            if r.code in FIXABLE
            else r
            for r in verdict.reasons
        )
        reasons = fixed + again.reasons
        return (
            replace(
                again,
                address=verdict.address,
                reasons=reasons,
                verdict=_verdict_of(reasons),
                corrected=True,
            ),
            again_key,
        )

    def _evaluate(self, address: str) -> tuple[AddressVerdict, str | None]:
        found = _Draft()
        candidate = address.strip().strip(_INVISIBLE).strip()
        if not candidate:
            found.add("empty", "the email cell is empty", "fill in an address or delete the row")
            return self._done(address, found), None
        if candidate != address:
            found.add(
                "whitespace",
                "spaces or invisible characters around the address",
                "trim the cell",
                "warn",
            )
        unwrapped = _unwrap(candidate)
        if unwrapped != candidate:
            found.add(
                "wrapped",
                f"the cell holds more than the address ({candidate!r})",
                f"keep only {unwrapped}",
                "warn",
            )
            candidate = unwrapped
        if _holds_two_addresses(candidate):
            found.add(
                "two-addresses",
                "two or more addresses in one cell",
                "put each address on its own row",
            )
            return self._done(address, found), None
        try:
            valid = self._validate(candidate)
        except EmailNotValidError as error:
            return self._repair(address, candidate, str(error), found), None
        return self._examine(address, candidate, valid, found)

    def _repair(self, address: str, candidate: str, problem: str, found: _Draft) -> AddressVerdict:
        """Explain an invalid address, and suggest the address meant when a repair is sure."""
        repaired = candidate
        steps: list[tuple[str, str]] = []
        widened = unicodedata.normalize("NFKC", repaired.translate(_FULLWIDTH))
        if widened != repaired:
            steps.append(("fullwidth", _FULLWIDTH_MESSAGE))
            repaired = widened
        local, at, domain = repaired.rpartition("@")
        if at and re.search(r"[,;]", domain + local):
            steps.append(("comma-for-dot", "a comma or semicolon where a dot belongs"))
            domain = re.sub(r"[,;]", ".", domain)
            local = re.sub(r"[,;]", ".", local)
            repaired = f"{local}@{domain}"
        if re.search(r"\s", repaired):
            # Spaces next to "@" or "." are slips; a space inside a name is a guess we don't make.
            squeezed = _SPACE_AROUND_PUNCT.sub(r"\1", repaired)
            local, _, domain = squeezed.rpartition("@")
            squeezed = local + "@" + re.sub(r"\s+", "", domain)
            if not re.search(r"\s", squeezed):
                steps.append(("spaces-inside", "spaces inside the address"))
                repaired = squeezed
        tidy = re.sub(r"\.{2,}", ".", repaired).rstrip(".")
        if tidy != repaired:
            steps.append(("syntax", "doubled or trailing dots"))
            repaired = tidy
        suggestion = None
        if steps:
            try:
                valid = self._validate(repaired)
            except EmailNotValidError:
                pass
            else:
                suggestion = valid.normalized
                typo = address_data.suggest_domain(valid.ascii_domain.lower())
                if typo:
                    suggestion = f"{valid.local_part}@{typo[0]}"
        if suggestion is None:
            found.add("syntax", problem.rstrip("."), "correct the address or delete the row")
        else:
            for code, message in steps:
                found.add(code, message, f"use {suggestion}")
        return self._done(address, found, suggestion=suggestion)

    def _examine(
        self, address: str, candidate: str, valid: _Valid, found: _Draft
    ) -> tuple[AddressVerdict, str]:
        local = valid.local_part
        domain = valid.ascii_domain.lower()
        normalized = valid.normalized
        suggestion = None
        if candidate.translate(_FULLWIDTH) != candidate:
            found.add(
                "fullwidth",
                _FULLWIDTH_MESSAGE,
                f"write it as {normalized}",
                "warn",
            )
        if valid.smtputf8:
            found.add(
                "smtputf8",
                "the mailbox name is not ASCII; only servers with SMTPUTF8 accept it",
                "ask the recipient for an ASCII address if mail to it bounces",
                "warn",
            )
        typo = address_data.suggest_domain(domain)
        if typo:
            suggestion = f"{local}@{typo[0]}"
            what = "the domain" if typo[1] == "domain-typo" else "the top-level domain"
            found.add(typo[1], f"{what} looks misspelled ({domain})", f"use {suggestion}")
        key = mailbox_key(local, domain)
        first = self._seen.first(hash(key))
        if first is not None:
            where = f"line {first >> 1}" if first >> 1 else "an earlier row"
            respelled = first & 1 or key != normalized.casefold()
            same = " (the provider treats them as one)" if respelled else ""
            found.add(
                "duplicate", f"same mailbox as {where}{same}", "delete this row; keep the first"
            )
        base = local.casefold().split("+", 1)[0]
        if base in self._roles:
            found.add(
                "role",
                f"{base}@ is a role mailbox, read by a team or a filter, not a person",
                "find the name of the person you want to reach",
                "warn",
            )
        if self._is_disposable(domain):
            found.add(
                "disposable",
                f"{domain} hands out throwaway mailboxes",
                "delete the row; the mailbox will not be read",
            )
        if domain in self._free:
            found.add(
                "free-mail",
                f"{domain} is a free-mail provider, not a company domain",
                "none needed; for business outreach prefer the company address",
                "info",
            )
        entry = self._lookup_suppressed(normalized, valid.ascii_email, key)
        if entry is not None:
            since = entry.created_at[:10]
            detail = f": {entry.detail}" if entry.detail else ""
            found.add(
                "suppressed",
                f"on the suppression list since {since} ({entry.reason}, from {entry.source}"
                f"{detail})",
                "delete the row; preflight will not send to it",
            )
        verdict = self._done(
            address, found, normalized=normalized, suggestion=suggestion, domain=domain
        )
        return verdict, key

    def _is_disposable(self, domain: str) -> bool:
        labels = domain.split(".")
        return any(".".join(labels[start:]) in self._disposable for start in range(len(labels) - 1))

    def _lookup_suppressed(
        self, normalized: str, ascii_email: str | None, key: str
    ) -> Suppression | None:
        if self._suppressed is None:
            return None
        tried: set[str] = set()
        for spelling in (normalized, ascii_email, key):
            if spelling is None or spelling.lower() in tried:
                continue
            tried.add(spelling.lower())
            entry = self._suppressed(spelling.lower())
            if entry is not None:
                return entry
        return None

    @staticmethod
    def _done(
        address: str,
        found: _Draft,
        *,
        normalized: str | None = None,
        suggestion: str | None = None,
        domain: str | None = None,
    ) -> AddressVerdict:
        reasons = tuple(found.reasons)
        return AddressVerdict(
            address=address,
            verdict=_verdict_of(reasons),
            reasons=reasons,
            normalized=normalized,
            suggestion=suggestion,
            domain=domain,
        )


def _unwrap(candidate: str) -> str:
    """``Ann <ann@x.com>``, ``<ann@x.com>`` and ``mailto:ann@x.com`` → ``ann@x.com``."""
    match = _WRAPPED.match(candidate)
    if match:
        candidate = match.group(1).strip()
    if candidate[:7].lower() == "mailto:":
        candidate = candidate[7:].strip()
    return candidate


def _holds_two_addresses(candidate: str) -> bool:
    text = candidate.translate(_FULLWIDTH)
    if text.count("@") < 2:
        return False
    return sum(1 for part in _SEPARATORS.split(text) if "@" in part) >= 2


__all__ = [
    "FIXABLE",
    "SEVERITY_RANK",
    "AddressChecker",
    "AddressVerdict",
    "Reason",
    "SeenMailboxes",
    "mailbox_key",
]
