"""The suppression list shared by all campaigns."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Suppression:
    address: str
    reason: str
    source: str
    detail: str | None
    created_at: str


# The columns of a Suppression, in its field order.
_SELECT = "SELECT address, reason, source, detail, created_at FROM suppression"


def normalize_address(address: str) -> str:
    """The form addresses are stored and compared in: trimmed, lower-case.

    Local parts are case-sensitive in theory, but no provider users meet treats them so,
    and a suppressed address must match however the list spelled it.
    """
    return address.strip().lower()


class SuppressionMixin:
    db: sqlite3.Connection

    def suppress(
        self, address: str, reason: str, source: str, detail: str | None = None
    ) -> bool:
        """Add an address; returns False when it was already suppressed (kept as it was)."""
        cursor = self.db.execute(
            "INSERT INTO suppression (address, reason, source, detail, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (address) DO NOTHING",
            (
                normalize_address(address),
                reason,
                source,
                detail,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )
        return cursor.rowcount == 1

    def unsuppress(self, address: str) -> bool:
        cursor = self.db.execute(
            "DELETE FROM suppression WHERE address = ?", (normalize_address(address),)
        )
        return cursor.rowcount == 1

    def suppression(self, address: str) -> Suppression | None:
        """The suppression of this address, or of any address of the same person (the
        identity ``contact_addresses`` maps it to; ``address`` may be the identity itself)."""
        spelling = normalize_address(address)
        row = self.db.execute(f"{_SELECT} WHERE address = ?", (spelling,)).fetchone()
        if row is None:
            # Two indexed lookups (the address's identity, then that identity's addresses):
            # `check` runs this for every row of a list that may hold a million.
            mapped = self.db.execute(
                "SELECT identity FROM contact_addresses WHERE address = ?", (spelling,)
            ).fetchone()
            identities = {spelling, str(mapped[0])} if mapped else {spelling}
            marks = ", ".join("?" * len(identities))
            row = self.db.execute(
                "SELECT s.address, s.reason, s.source, s.detail, s.created_at FROM suppression s"
                " JOIN contact_addresses a ON a.address = s.address"
                f" WHERE a.identity IN ({marks}) ORDER BY s.created_at LIMIT 1",
                sorted(identities),
            ).fetchone()
        return Suppression(*row) if row else None

    def suppressed_among(self, addresses: Iterable[str]) -> dict[str, Suppression]:
        """Look many addresses up at once; keys are the normalized addresses found."""
        wanted = sorted({normalize_address(a) for a in addresses})
        found: dict[str, Suppression] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"{_SELECT} WHERE address IN ({marks})",
                chunk,
            ):
                found[row[0]] = Suppression(*row)
        return found

    def suppressions(self) -> list[Suppression]:
        return [
            Suppression(*row)
            for row in self.db.execute(
                f"{_SELECT} ORDER BY created_at, address"
            )
        ]
