"""Internationalized recipient domains on the wire: the A-label (IDNA 2008, ``idna``).

``max@müller.example`` goes out as ``max@xn--mller-kva.example`` in RCPT TO and in the To
header, which every server and client reads. A non-ASCII *local part* would need SMTPUTF8
end to end (envelope and raw UTF-8 headers); preflight does not send that yet, so such an
address is refused for its row with one line instead of crashing the run.
"""

from __future__ import annotations

import idna

from preflight.errors import InputError


def ascii_address(address: str, *, field: str = "email") -> str:
    """``address`` with its domain as an A-label; InputError (one line) when it cannot be."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise InputError(f"not an email address: {address[:80]!r}", field=field)
    if not local.isascii():
        raise InputError(
            f"{address[:80]!r} has a non-ASCII local part: it needs SMTPUTF8, which preflight "
            "does not send; ask the recipient for an ASCII address",
            field=field,
        )
    if domain.isascii() and not domain.lower().startswith("xn--") and ".xn--" not in domain.lower():
        return f"{local}@{domain}"
    try:
        encoded = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as error:
        raise InputError(
            f"the domain of {address[:80]!r} is not a valid internationalized domain name: {error}",
            field=field,
        ) from None
    return f"{local}@{encoded}"


__all__ = ["ascii_address"]
