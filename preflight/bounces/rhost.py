"""Reasons read from the codes and canned replies of particular receiving providers.

Big providers document their own error codes (Orange's ``LPN007_416``, Cox's ``AUP#CXBL``,
Spectrum's ``AUP#1220``) and reuse a few fixed replies; for mail they rejected, those name
the reason better than the status code. A provider is recognized by the remote host that
answered (``Remote-MTA``, ``host X[...] said``) or by the recipient's domain. The tables
follow the providers' postmaster pages as collected by sisimai (BSD-2-Clause).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass

from preflight.bounces.data import DATA_DIR
from preflight.bounces.phrases import phrase_reason


@dataclass(frozen=True)
class Remote:
    """What a provider rule looks at."""

    diagnostic: str  # as the server wrote it
    status: str | None
    code: int | None
    command: str | None
    host: str  # remote host, lower case, "" if unknown
    domain: str  # recipient's domain, lower case
    local_host: str = ""  # the host that wrote the bounce (Reporting-MTA, sender's domain)


_DATA = tomllib.loads((DATA_DIR / "rhost.toml").read_text("utf-8"))


def _phrases(provider: str) -> dict[str, tuple[str, ...]]:
    """reason → replies (the data file lists them under their source)."""
    table = _DATA["phrases"][provider]
    return {
        reason: tuple(text for texts in by_source.values() for text in texts)
        for reason, by_source in table.items()
    }


def _status_table(provider: str) -> dict[str, tuple[tuple[str, str], ...]]:
    table = _DATA["status_phrases"][provider]
    return {
        reason: tuple((status, text) for pairs in by_source.values() for status, text in pairs)
        for reason, by_source in table.items()
    }


def _codes(provider: str) -> dict[str, str]:
    """code → reason (the data file lists them under their source)."""
    return {
        code: reason
        for by_code in _DATA["codes"][provider].values()
        for code, reason in by_code.items()
    }


# Provider → host name suffixes (of the remote host, or that end with the recipient's domain).
_HOSTS: dict[str, tuple[str, ...]] = {
    name: tuple(entry["suffixes"]) for name, entry in _DATA["hosts"].items()
}


def provider(remote: Remote) -> str | None:
    """The provider whose rules apply: by recipient domain first, then by remote host."""
    if remote.domain:
        for name, suffixes in _HOSTS.items():
            if any(s.endswith(remote.domain) and len(remote.domain) > 3 for s in suffixes):
                return name
    named = _HOSTNAME.findall(remote.diagnostic.lower()) if remote.diagnostic else []
    for host in (remote.host, remote.local_host, *named[:8]):
        if host:
            for name, suffixes in _HOSTS.items():
                if any(host.endswith(s) for s in suffixes):
                    return name
    return None


# Host names a server's reply mentions ("[AM0PR01MB1234.eurprd01.prod.outlook.com]").
_HOSTNAME = re.compile(r"(?<![\w.@-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+){2,}(?![\w@-])")


# Orange / La Poste: the number after the LPN/OFR label names the reason.
_FRANCE_CODES = _codes("francept")
_FRANCE_LABEL = re.compile(r"\b(?:lpnaaa|lpn|ofr|ouk)[-_]?\d*[-_]?(\d{3})\b")


def _francept(r: Remote) -> str | None:
    text = r.diagnostic.lower()
    labels = _FRANCE_LABEL.findall(text)
    if labels:
        return _FRANCE_CODES.get(labels[-1])
    if "spf/dns de votre nom de domaine" in text:
        return "authfailure"
    return None


def _kddi(r: Remote) -> str | None:
    text = r.diagnostic.lower()
    if "550 : user unknown" in text:
        return "filtered"
    if ">: user unknown" in text:
        return "userunknown"
    return None


def _nttdocomo(r: Remote) -> str | None:
    if r.status in ("5.1.1", "5.0.911"):
        return "userunknown"
    if r.status == "5.2.0":
        return "filtered"
    found = phrase_reason(
        r.diagnostic.lower(),
        {
            "mailboxfull": ("552 too much mail data",),
            "syntaxerror": (
                "503 bad sequence of commands",
                "504 command parameter not implemented",
            ),
            "toomanyconn": ("552 too many recipients",),
        },
    )
    if found:
        return found
    if r.status == "5.0.0" and r.command in ("RCPT", "DATA"):
        # The same "550 Unknown user" answers RCPT for a missing mailbox and DATA for a
        # recipient's reception filter.
        return "userunknown" if r.command == "RCPT" else "rejected"
    return "userunknown" if "550 unknown user" in r.diagnostic.lower() else None


_COX_CODES = _codes("cox")
_COX_TEXT = _phrases("cox")


def _cox(r: Remote) -> str | None:
    match = re.search(r"AUP#([A-Z]+\d*)", r.diagnostic)
    if match:
        label = match.group(1)
        if label.startswith("IPBL"):
            return "blocked"
        if label.startswith("URLBL"):
            return "spamdetected"
        if label in _COX_CODES:
            return _COX_CODES[label]
    return phrase_reason(r.diagnostic.lower(), _COX_TEXT)


# Spectrum (Charter): AUP#I1234 / AUP#O1234, ranges of numbers per reason.
_SPECTRUM = tuple((e["low"], e["high"], e["reason"]) for e in _DATA["codes"]["spectrum"])


def _spectrum(r: Remote) -> str | None:
    match = re.search(r"AUP#\D*(\d{4})", r.diagnostic)
    if not match:
        return None
    number = int(match.group(1))
    return next((reason for lo, hi, reason in _SPECTRUM if lo <= number <= hi), None)


_MESSAGELABS = _phrases("messagelabs")
_MIMECAST = _phrases("mimecast")
_YAHOO = _phrases("yahoo")
_ZOHO = _phrases("zoho")
_GOOGLE = _status_table("google")


def _google(r: Remote) -> str | None:
    return _status_phrases(_GOOGLE, r) if r.code is not None else None


# Microsoft 365 / Exchange: its own x.7.NNN codes with fixed texts name the reason.
_MICROSOFT = _status_table("microsoft")


def _status_phrases(table: dict[str, tuple[tuple[str, str], ...]], r: Remote) -> str | None:
    if not r.status:
        return None
    text = " ".join(r.diagnostic.lower().split())
    for reason, rows in table.items():
        for prefix, phrase in rows:
            if r.status.startswith(prefix) and phrase in text:
                return reason
    return None


def _microsoft(r: Remote) -> str | None:
    return _status_phrases(_MICROSOFT, r)


_APPLE = _phrases("apple")
_TENCENT = _phrases("tencent")
# Google Workspace relays (googlemail.com) write Google's DNS errors in their own words.
_GSUITE = _phrases("gsuite")


def _gsuite(r: Remote) -> str | None:
    status = (r.status or "")[:1]
    reply = str(r.code or "")[:1]
    for reason, phrases in _GSUITE.items():
        if not any(p in r.diagnostic for p in phrases):
            continue
        if reason == "networkerror" and "5" in (status, reply):
            continue
        if reason == "hostunknown" and (status in ("4", "") or reply in ("4", "")):
            continue
        return reason
    return None


_GODADDY_CODES = _codes("godaddy")
_GODADDY = _phrases("godaddy")
_GODADDY_CODE = re.compile(r" (IB\d{3})\b")
_IUA_CODES = _codes("iua")
_IUA_CODE = re.compile(r"\.i\.ua/err/(\d{1,2})\b")


def _godaddy(r: Remote) -> str | None:
    match = _GODADDY_CODE.search(r.diagnostic)
    if match and match.group(1) in _GODADDY_CODES:
        return _GODADDY_CODES[match.group(1)]
    return phrase_reason(r.diagnostic.lower(), _GODADDY)


def _iua(r: Remote) -> str | None:
    match = _IUA_CODE.search(r.diagnostic.lower())
    return _IUA_CODES.get(match.group(1)) if match else None


_RULES: dict[str, Callable[[Remote], str | None]] = {
    "godaddy": _godaddy,
    "iua": _iua,
    "gsuite": _gsuite,
    "francept": _francept,
    "kddi": _kddi,
    "nttdocomo": _nttdocomo,
    "cox": _cox,
    "spectrum": _spectrum,
    "google": _google,
    "microsoft": _microsoft,
    "messagelabs": lambda r: phrase_reason(r.diagnostic.lower(), _MESSAGELABS),
    "mimecast": lambda r: phrase_reason(r.diagnostic.lower(), _MIMECAST) if r.code else None,
    "yahoo": lambda r: phrase_reason(r.diagnostic.lower(), _YAHOO),
    "zoho": lambda r: phrase_reason(r.diagnostic.lower(), _ZOHO),
    "apple": lambda r: phrase_reason(r.diagnostic.lower(), _APPLE),
    "tencent": lambda r: phrase_reason(r.diagnostic.lower(), _TENCENT),
}


def remote_reason(remote: Remote) -> str | None:
    """The reason a known provider's code or canned reply names, if any."""
    if not remote.diagnostic:
        return None
    name = provider(remote)
    return _RULES[name](remote) if name else None


_HOST_SAID = re.compile(
    r"\bhost\s+\[?([A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2,})\.?\]?\s*\[", re.IGNORECASE
)


def host_in(text: str) -> str:
    """The remote host a notice names ("host mx.example.com[192.0.2.1] said"), or ""."""
    match = _HOST_SAID.search(text)
    return match.group(1).lower() if match else ""


__all__ = ["Remote", "host_in", "provider", "remote_reason"]
