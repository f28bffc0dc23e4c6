"""The exceptions preflight raises for everything a user can get wrong.

The CLI turns any :class:`PreflightError` into one line on stderr and the error's
``exit_code``; library callers can catch the base class or a specific family.
"""

from __future__ import annotations

from pathlib import Path


class PreflightError(Exception):
    """Base of every error preflight raises on purpose.

    ``where`` fields are kept structured so that callers (and tests) can read the
    file, line and field without parsing the message.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        if self.field:
            where += f"{self.field}: "
        # One line, always: a message built from user input must not smuggle a newline.
        return (where + self.message).replace("\r", " ").replace("\n", " ")


class UsageError(PreflightError):
    """The command line itself is wrong (bad option value, nothing to do)."""

    exit_code = 2


class ConfigError(PreflightError):
    """A configuration or campaign file is invalid (unknown key, wrong type, bad value)."""

    exit_code = 2


class InputError(PreflightError):
    """A file the user gave cannot be read as what it claims to be."""

    exit_code = 2


class DraftError(InputError):
    """An .eml draft cannot be parsed."""


class TemplateError(InputError):
    """A template cannot be loaded or rendered (syntax, undefined variable, sandbox)."""


class RecipientsError(InputError):
    """A recipients file is malformed (missing column, broken row, bad encoding)."""


class HeaderInjectionError(InputError):
    """A value bound for a mail header carries a CR or LF."""


class LedgerError(PreflightError):
    """The ledger database cannot be opened, migrated or written."""


class ClaimLost(LedgerError):
    """A message is no longer in the state this run expected (another run took it)."""


class MailboxError(PreflightError):
    """A mailbox cannot be used: missing password variable, rejected login, no TLS."""


class DnsError(PreflightError):
    """A DNS lookup failed in a way that stops the check (no resolver, bad answer)."""


class DnsUnreachable(DnsError):
    """The DNS server gave no answer at all: nothing about the domain can be known.

    A setup problem of this machine (network, resolver setting), not a failing domain.
    """

    exit_code = 2


class MailboxBusy(MailboxError):
    """Every mailbox of the campaign is leased by another live run."""
