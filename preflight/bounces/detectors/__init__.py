"""Bounce detectors: one module per format, tried in this fixed order, most specific first.

Each module is a :class:`Detector`: ``NAME`` and ``detect(parsed) -> list[Finding] | None``;
the first that returns findings wins (``None`` means "not my format"). The registry checks
every entry against the protocol when it is built, so a module missing either fails on import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

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


@runtime_checkable
class Detector(Protocol):
    """One bounce format: it extracts findings, the shared classifier decides."""

    NAME: str

    def detect(self, parsed: ParsedMessage) -> list[Finding] | None: ...


def _registry(*modules: object) -> tuple[Detector, ...]:
    for module in modules:
        if not isinstance(module, Detector) or not isinstance(module.NAME, str):
            raise TypeError(f"{module!r} is not a bounce Detector (NAME and detect)")
    names = [module.NAME for module in modules]  # type: ignore[attr-defined]
    if len(set(names)) != len(names):
        raise TypeError(f"duplicate detector names in {names}")
    return modules  # type: ignore[return-value]


DETECTORS: Sequence[Detector] = _registry(
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


__all__ = ["DETECTORS", "Detector", "run_detectors"]
