"""What a notice format's own words mean, read from ``data/formats.toml``.

Detectors only extract (recipient, status, code, diagnostic, Message-ID); the texts a given
MTA writes for a given failure ("Unrouteable address" from Exim, "Envelope expired" from
OpenSMTPD) are data here, and the classifier reads them for that format's records.
"""

from __future__ import annotations

import tomllib

from preflight.bounces.data import DATA_DIR

_TABLES: dict[str, dict[str, tuple[str, ...]]] = {
    name: {reason: tuple(entry["text"] for entry in entries) for reason, entries in table.items()}
    for name, table in tomllib.loads(
        (DATA_DIR / "formats.toml").read_text("utf-8")
    ).items()
}


def format_reason(detector: str, text: str) -> str | None:
    """The reason the format's own texts in ``text`` name (as the server writes them)."""
    for reason, phrases in _TABLES.get(detector, {}).items():
        if any(phrase in text for phrase in phrases):
            return reason
    return None


__all__ = ["format_reason"]
