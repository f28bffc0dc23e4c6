"""Reasons read from the codes and canned replies of particular receiving providers.

Big providers document their own error codes (Orange's ``LPN007_416``, Cox's ``AUP#CXBL``,
Spectrum's ``AUP#1220``) and reuse a few fixed replies; for mail they rejected, those name
the reason better than the status code. A provider is recognized by the remote host that
answered (``Remote-MTA``, ``host X[...] said``) or by the recipient's domain. The tables
follow the providers' postmaster pages as collected by sisimai (BSD-2-Clause).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

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


# Provider → host name suffixes (of the remote host, or that end with the recipient's domain).
_HOSTS: dict[str, tuple[str, ...]] = {
    "apple": (".mail.icloud.com", ".apple.com", ".me.com"),
    "cox": ("cox.net",),
    "francept": (".laposte.net", ".orange.fr", ".wanadoo.fr"),
    "google": ("aspmx.l.google.com", "gmail-smtp-in.l.google.com"),
    "gsuite": ("googlemail.com",),
    "kddi": (".ezweb.ne.jp", "msmx.au.com"),
    "messagelabs": (".messagelabs.com",),
    "microsoft": (
        ".prod.outlook.com",
        ".protection.outlook.com",
        ".onmicrosoft.com",
        ".exchangelabs.com",
    ),
    "mimecast": (".mimecast.com",),
    "nttdocomo": ("mfsmax.docomo.ne.jp",),
    "spectrum": ("charter.net",),
    "tencent": (".qq.com",),
    "yahoo": (".yahoodns.net",),
    "zoho": (".zoho.com", ".zohomail.com"),
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
_FRANCE_CODES = {
    "101": "blocked", "102": "blocked", "103": "blocked", "104": "toomanyconn",
    "305": "securityerror", "401": "authfailure", "402": "securityerror", "403": "rejected",
    "405": "rejected", "415": "rejected", "416": "userunknown", "417": "mailboxfull",
    "420": "suspend", "421": "rejected", "426": "suspend", "505": "systemerror",
    "506": "spamdetected", "510": "blocked", "514": "mesgtoobig", "517": "authfailure",
    "630": "policyviolation", "999": "blocked",
}  # fmt: skip
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


_COX_CODES = {
    "CXBL": "blocked", "CXDNS": "requireptr", "CXSNDR": "authfailure", "CXSMTP": "rejected",
    "CXCNCT": "toomanyconn", "CXMXRT": "toomanyconn", "CDRBL": "blocked",
    "CXTHRT": "securityerror", "CXMJ": "securityerror",
}  # fmt: skip
_COX_TEXT = {
    "blocked": ("cox too many bad commands from", "too many invalid recipients"),
    "requireptr": ("dns check failure - try again later", "rejected - no rdns"),
    "policyviolation": ("esmtp no data before greeting", "attachment extension is forbidden"),
    "rejected": ("sender rejected",),
    "systemerror": ("esmtp server temporarily not available",),
    "toomanyconn": (
        "too many sessions from",
        "requested action aborted: try again later",
        "message threshold exceeded",
    ),
    "userunknown": ("recipient rejected",),
}


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
_SPECTRUM = (
    (1000, 1000, "blocked"), (1010, 1010, "rejected"), (1020, 1080, "rejected"),
    (1090, 1090, "systemerror"), (1100, 1150, "requireptr"), (1160, 1190, "policyviolation"),
    (1200, 1210, "blocked"), (1220, 1250, "blocked"), (1260, 1260, "networkerror"),
    (1300, 1340, "toomanyconn"), (1350, 1490, "speeding"), (1500, 1520, "rejected"),
    (1530, 1530, "mesgtoobig"), (1540, 1550, "speeding"), (1560, 1560, "policyviolation"),
    (1580, 1580, "speeding"),
)  # fmt: skip


def _spectrum(r: Remote) -> str | None:
    match = re.search(r"AUP#\D*(\d{4})", r.diagnostic)
    if not match:
        return None
    number = int(match.group(1))
    return next((reason for lo, hi, reason in _SPECTRUM if lo <= number <= hi), None)


_MESSAGELABS = {
    "authfailure": ("domain authentication fail",),
    "badreputation": ("connection rejected by policy",),
    "blocked": (
        "mail rejected because your ip is in the pbl",
        "your ip address has been ",
    ),
    "contenterror": ("stray linefeeds in message",),
    "failedstarttls": ("tls/sslv3 connection required",),
    "norelaying": (" as a relay, ",),
    "notcompliantrfc": (
        "550 requested action aborted [4]",
        "has detected that this message is not rfc 5322",
    ),
    "rejected": (
        "sender envelope domain not allowed for sender ip address",
        "your domain has been blocked",
        "your email address has been blocked",
        "your envelope sender is in my badmailfrom list",
        "your email address has been blacklisted",
        "your domain has been blacklisted",
    ),
    "securityerror": ("please turn on smtp authentication in your mail client",),
    "spamdetected": ("message filtered", "filtered by outbound scanning"),
    "toomanyconn": ("too many recipients received this hour", "too many messages"),
    "userunknown": (
        "no such user",
        "invalid recipient",
        "mailbox is not allowed",
    ),
}

_MIMECAST = {
    "authfailure": (
        "spf sender invalid - envelope rejected",
        "dkim sender invalid - envelope rejected",
        "dmarc sender invalid - envelope rejected",
    ),
    "badreputation": (
        "internal resources are temporarily unavailable",
        "local ct ip reputation - (reject)",
    ),
    "blocked": (
        "sender address blocked",
        "recipient temporarily unavailable",
        "ip temporarily blacklisted",
    ),
    "failedstarttls": (
        "this route requires encryption (tls)",
        "this route requires tls version 1.2 or greater",
        "this route requires high-strength ciphers",
    ),
    "mesgtoobig": ("maximum email size exceeded",),
    "networkerror": ("the incorrect hostname used for inbounds", "mail loop detected"),
    "norelaying": ("open relay not allowed", "open relay is not allowed"),
    "notaccept": ("account inbounds disabled",),
    "policyviolation": (
        "anti-spoofing policy - inbound not allowed",
        "rejected by header-based anti-spoofing policy",
        "message bounced due to content examination policy",
        "host network not allowed",
        "host network, not allowed",
    ),
    "rejected": (
        "administrative prohibition envelope blocked",
        "envelope blocked - user entry",
        "envelope blocked - user domain entry",
        "rejected by header-based manually blocked senders",
        "rejected by header-based blocked senders",
        "envelope rejected - block policy for envelope from address",
    ),
    "securityerror": (
        "incorrect authentication data",
        "submitter failed to authenticate",
    ),
    "systemerror": (
        "unable to process connection at this time",
        "message ended early",
        "unable to process command",
        "unable to process an email at this time",
    ),
    "toomanyconn": (
        "account service is temporarily unavailable",
        "too many recipients",
        "exceeding outbound thread limit",
    ),
    "userunknown": ("invalid address", "user unknown", "invalid recipient"),
    "virusdetected": ("virus signature detected", "message contains a virus"),
}

_YAHOO = {
    "authfailure": ("yahoo requires all senders to authenticate with either spf or dkim",),
    "blocked": (
        " because the ip is in spamhaus's list;",
        "not accepted from ip addresses on spamhaus xbl",
    ),
    "norelaying": ("relaying denied for ",),
    "notcompliantrfc": ("headers are not rfc compliant",),
    "policyviolation": ("not accepted for policy reasons",),
    "rejected": (
        "temporarily deferred due to unexpected volume or user complaints",
        "due to unresolvable rfc.5321 domain",
        " will be permanently deferred",
    ),
    "speeding": ("user is receiving mail too quickly",),
    "suspend": (" is no longer valid.", "this mailbox is disabled"),
    "syntaxerror": ("syntax error in parameters or arguments",),
    "toomanyconn": ("max message per connection reached",),
    "userunknown": ("dd this user doesn't have a ", "mailbox not found"),
}

_ZOHO = {
    "authfailure": ("email rejected per dmarc policy",),
    "blocked": ("greylisted, try again after some time",),
    "rejected": (
        "email cannot be delivered. reason: email flagged as spam",
        "mail rejected by destination domain",
    ),
    "policyviolation": ("email policy violation detected", "mailbox delivery restricted by policy"),
    "systemerror": ("temporary system error",),
    "userunknown": ("user does not exist",),
    "virusdetected": (" detected by zoho mail",),
}

# Gmail: (status prefix, canned phrase) per reason; the status keeps a phrase from
# matching a reply that only quotes it.
_GOOGLE: dict[str, tuple[tuple[str, str], ...]] = {
    "authfailure": (
        ("4.7.2", "the spf record of the sending domain"),
        ("5.7.2", "the spf record of the sending domain"),
        ("4.7.26", "senders to authenticate with either spf or dkim"),
        ("5.7.26", "senders to authenticate with either spf or dkim"),
        ("5.7.26", "fails to pass spf checks"),
        ("5.7.26", "has an spf record with a hard fail policy"),
        ("4.7.26", "is not accepted due to domain's dmarc policy"),
        ("5.7.26", "is not accepted due to domain's dmarc policy"),
        ("5.7.", "fails to pass authentication checks"),
        ("4.7.27", "senders to authenticate"),
        ("5.7.27", "senders to authenticate"),
        ("4.7.30", "senders to authenticate their email with dkim"),
        ("5.7.30", "senders to authenticate with dkim"),
        ("4.7.32", "aligned with either the authenticated spf or dkim"),
        ("5.7.32", "aligned with either the authenticated spf or dkim"),
        ("4.7.40", "to add a dmarc record to "),
    ),
    "badreputation": (
        ("4.7.0", "very low reputation of the sending"),
        ("5.7.1", "very low reputation of the sending"),
    ),
    "blocked": (
        ("4.7.0", "ip not in whitelist for rcpt domain"),
        ("4.7.0", "try again later, closing connection."),
        ("5.5.4", "helo/ehlo argument is invalid"),
        ("5.5.4", "empty helo/ehlo argument not allowed"),
        ("4.7.", "an unusual rate of"),
        ("5.7.", "an unusual rate of unsolicited mail"),
    ),
    "exceedlimit": (("5.2.3", "exceeded google's message size limits"),),
    "expired": (("4.7.0", "connection expired"), ("4.4.2", "timeout - closing connection")),
    "failedstarttls": (
        ("5.7.0", "must issue a starttls command first"),
        ("4.7.0", "tls required for rcpt domain"),
        ("4.7.29", "senders to use tls/ssl for smtp"),
        ("5.7.29", "senders to use tls/ssl for smtp"),
    ),
    "mailboxfull": (
        ("4.2.2", "inbox is out of storage space"),
        ("5.2.2", "inbox is out of storage space"),
        ("4.2.2", "is over quota"),
        ("5.2.2", "is over quota"),
        ("5.7.1", "email quota exceeded"),
    ),
    "mesgtoobig": (
        ("5.3.4", "exceeded google's message size limits"),
        ("5.3.4", "exceeds google's message size limit of"),
    ),
    "networkerror": (("5.4.6", "message exceeded 50 hops"), ("5.6.0", "message exceeded 50 hops")),
    "norelaying": (
        ("5.7.0", "mail relay denied"),
        ("5.7.1", "invalid credentials for relay"),
        ("5.7.1", "is not authorized to send email directly to our servers"),
    ),
    "notcompliantrfc": (
        ("5.7.1", "missing a valid address in the from: header"),
        ("5.7.1", "multiple addresses in from: header are not accepted"),
        ("5.7.1", "is not rfc 5322 compliant"),
        ("5.7.1", "missing a valid message-id: header"),
        ("5.7.1", "contains a unicode character in a disallowed header"),
        ("5.7.1", "encoded-word syntax is not permitted"),
        ("5.1.7", "is not a valid rfc 5321 address"),
        ("5.6.0", "mail message is malformed"),
    ),
    "policyviolation": (
        ("5.7.0", "illegal attachment on your message"),
        ("5.7.0", "blocked because its content presents a potential security issue"),
        ("5.7.1", "you are sending to (or from) has a policy that prohibited"),
        ("4.7.28", "sending messages with the same message-id:"),
    ),
    "rejected": (
        ("5.7.0", "mail sending denied"),
        ("5.7.1", "unauthenticated email is not accepted"),
    ),
    "requireptr": (
        ("4.7.0", "does not have a ptr record"),
        ("4.7.23", " have a ptr record, or the ptr record"),
        ("5.7.1", "does not meet ipv6 sending guidelines regarding ptr records"),
        ("5.7.25", "does not have a ptr record"),
        ("5.7.25", "does not match the ip address of the hostname"),
    ),
    "securityerror": (
        ("4.7.0", "too many login attempts"),
        ("5.7.0", "no identity changes permitted"),
        ("5.5.1", "authentication required."),
        ("5.7.0", "authentication required."),
        ("5.7.", "application-specific password required"),
        ("5.7.", "please log in with your web browser"),
        ("5.7.14", "please log in through your web browser"),
        ("5.7.", "username and password not accepted"),
    ),
    "spamdetected": (
        ("4.7.0", "due to the nature of the content or the links within"),
        ("5.7.1", "likely unsolicited mail"),
    ),
    "speeding": (
        ("4.2.1", "is receiving mail too quickly"),
        ("4.2.1", "peak smtp relay limit exceeded for customer"),
        ("4.2.1", "rate that prevents additional messages from being delivered"),
        ("5.2.1", "rate that prevents additional messages from being delivered"),
        ("5.4.5", "daily sending quota exceeded"),
        ("5.4.5", "daily user sending limit exceeded"),
        ("5.", "daily smtp relay limit exceeded for"),
        ("5.7.1", "this mail has been rate limited"),
    ),
    "suspend": (
        ("5.2.1", "account that you tried to reach is disabled"),
        ("5.2.1", "account that you tried to reach is inactive"),
    ),
    "syntaxerror": (
        ("4.5.0", "smtp protocol violation"),
        ("5.7.10", "smtp protocol violation"),
        ("5.", "syntax error"),
        ("5.5.1", "bad sequence of commands"),
        ("5.5.1", "unrecognized command"),
    ),
    "systemerror": (
        ("4.3.0", "temporary system problem"),
        ("4.7.0", "temporary system problem"),
        ("4.4.5", "server busy"),
        ("4.3.0", "multiple destination domains per transaction is unsupported"),
        ("4.3.0", "mail server temporarily rejected message"),
        ("4.3.0", "mail server has temporarily rejected this message"),
        ("4.5.3", "domain policy size per transaction exceeded"),
    ),
    "toomanyconn": (
        ("4.5.3", "your message has too many recipients"),
        ("5.5.3", "too many recipients for this sender"),
    ),
    "userunknown": (
        ("5.1.1", "the email account that you tried to reach does not exist"),
        ("5.1.1", "the email account that you tried to reach is disabled"),
        ("5.2.1", "the email account that you tried to reach is disabled"),
    ),
}


def _google(r: Remote) -> str | None:
    return _status_phrases(_GOOGLE, r) if r.code is not None else None


# Microsoft 365 / Exchange: its own x.7.NNN codes with fixed texts name the reason.
_MICROSOFT: dict[str, tuple[tuple[str, str], ...]] = {
    "authfailure": (
        ("4.7.26", "must pass either spf or dkim validation"),
        ("5.7.23", "sender policy framework violation"),
        ("5.7.509", "does not pass dmarc verification"),
        ("5.7.515", "doesn't meet the required authentication level"),
    ),
    "badreputation": (("4.7.650", "temporarily rate limited due to ip reputation"),),
    "blocked": (
        ("4.4.2", "connection dropped"),
        ("4.7.", "access denied, please try again later"),
        ("5.7.25", "must have a reverse dns record"),
        ("5.7.506", "access denied, bad helo"),
        ("5.7.507", "access denied, rejected by recipient"),
        ("5.7.510", "does not accept email over ipv6"),
        ("5.7.511", "access denied, banned sender"),
        ("5.7.513", "using customer block list"),
        ("5.7.6", "access denied, banned sending ip "),
        ("5.7.1", "part of their network is on our block list"),
    ),
    "contenterror": (("5.6.11", "invalid characters"), ("5.5.6", "invalid message content")),
    "mesgtoobig": (
        ("5.2.3", "recipsizelimit"),
        ("5.3.4", "message size exceeds fixed maximum message size"),
    ),
    "expired": (
        ("4.4.1", "connection timed out"),
        ("4.4.7", "message delayed"),
        ("4.4.7", "message expired"),
        ("5.4.300", "message expired"),
        ("5.4.316", "message expired"),
    ),
    "failedstarttls": (
        ("4.4.317", "starttls is required to send mail"),
        ("5.4.317", "starttls is required to send mail"),
        ("5.7.5", "remote certificate failed mta-sts validation"),
    ),
    "userunknown": (
        ("5.1.1", "recipnotfound"),
        ("5.1.10", "recipientnotfound"),
        ("5.1.10", "recipient not found by smtp address lookup"),
        ("5.4.1", "recipient address rejected: access denied"),
    ),
}


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


_APPLE = {
    "authfailure": ("s dmarc policy", "blocked for failing both spf and dkim"),
    "blocked": (
        "rejected due to having a domain present in the spamhaus",
        "rejected due to listing in spamhaus",
        "blocked - see https://support.proofpoint.com/dnsbl-lookup",
        "not accepting connections",
    ),
    "hasmoved": ("recipient no longer on server",),
    "mailboxfull": ("user is over quota",),
    "norelaying": ("relay access denied",),
    "notaccept": ("host/domain does not accept mail",),
    "policyviolation": ("due to local policy",),
    "rejected": ("sender address rejected",),
    "speeding": ("due to excessive volume",),
    "userunknown": ("inactive email address", "user does not exist", "unknown or illegal alias"),
}
_TENCENT = {
    "authfailure": ("spf check failed", "dmarc check failed"),
    "blocked": ("suspected bounce attacks", "suspected spam ip", "connection denied"),
    "mesgtoobig": ("message too large",),
    "rejected": ("suspected spam", "mail is rejected by recipients"),
    "spamdetected": ("spam is embedded in the email", "mail content denied"),
    "speeding": (
        "mailbox unavailable or access denined",
        "frequency of receiving messages is limited",
    ),
    "suspend": ("is a deactivated mailbox",),
    "syntaxerror": ("bad address syntax",),
    "toomanyconn": (
        "ip frequency limited",
        "domain frequency limited",
        "sender frequency limited",
        "connection frequency limited",
    ),
    "userunknown": ("mailbox not found",),
}

# Google Workspace relays (googlemail.com) write Google's DNS errors in their own words.
_GSUITE = {
    "hostunknown": (" responded with code NXDOMAIN", "Domain name not found"),
    "networkerror": (" had no relevant answers.", "responded with code NXDOMAIN"),
    "notaccept": ("Null MX",),
    "userunknown": ("because the address couldn't be found. Check for typos",),
}


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


_RULES: dict[str, Callable[[Remote], str | None]] = {
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
