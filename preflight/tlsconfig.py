"""The one TLS policy preflight uses for SMTP and IMAP: verify certificates unless told not to."""

from __future__ import annotations

import ssl
from pathlib import Path

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(host: str) -> bool:
    """Where ``--insecure`` is allowed: a test or demo server on this machine."""
    return host.lower() in LOOPBACK_HOSTS or host.startswith("127.")


def verified_context(
    *, cafile: str | Path | None = None, insecure: bool = False
) -> ssl.SSLContext:
    """A verifying client context; ``cafile`` trusts a private CA, ``insecure`` trusts anything.

    ``insecure`` exists for self-signed servers on loopback (tests, the demo); the CLI only
    sets it from an explicit ``--insecure``.
    """
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
