"""The one TLS policy preflight uses for SMTP and IMAP: verify certificates unless told not to."""

from __future__ import annotations

import ssl
from pathlib import Path


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
