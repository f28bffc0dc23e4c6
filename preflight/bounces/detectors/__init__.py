"""Bounce detectors: one module per format, tried in this fixed order, most specific first.

Each module has ``NAME`` and ``detect(parsed) -> list[Finding] | None``; the first that
returns findings wins (``None`` means "not my format").
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from preflight.bounces.detectors import (
    arf,
    autoreply,
    dragonfly,
    dsn,
    exchange,
    exim,
    fml,
    generic,
    googlegroups,
    imailserver,
    interscan,
    lotus,
    microsoft,
    opensmtpd,
    qmail,
    sesnotify,
    v5sendmail,
    verizon,
    zoho,
)
from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage

DETECTORS: Sequence[ModuleType] = (
    arf,
    sesnotify,
    # Notices whose text says more than the DSN part they carry.
    opensmtpd,
    microsoft,
    dsn,
    googlegroups,
    qmail,
    exchange,
    exim,
    dragonfly,
    lotus,
    imailserver,
    interscan,
    verizon,
    fml,
    v5sendmail,
    zoho,
    autoreply,
    generic,
)


def run_detectors(parsed: ParsedMessage) -> tuple[str, list[Finding]]:
    """The name of the first detector that recognizes the message, and its findings."""
    for detector in DETECTORS:
        findings = detector.detect(parsed)
        if findings:
            return detector.NAME, findings
    return "none", []


__all__ = ["DETECTORS", "run_detectors"]
