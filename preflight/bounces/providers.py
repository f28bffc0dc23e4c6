"""Provider codes and canned replies, read from ``data/providers.toml``.

Each entry is plain text to find (parts in order, no regular expressions), so a lookup is
linear in the reply's length. An entry says which side answered: ``submission`` means the
user's own provider refused to send, which pauses the mailbox and never charges the
recipient (see :func:`preflight.policy.decide`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Literal

from preflight.bounces.data import DATA_DIR
from preflight.bounces.reasons import Reason

Side = Literal["submission", "receiving", "any"]


@dataclass(frozen=True)
class ProviderCode:
    provider: str
    side: Side
    reason: Reason
    parts: tuple[str, ...]
    unless: tuple[str, ...]
    example: str
    source: str

    def matches(self, text: str) -> bool:
        """``text`` is lower case, whitespace collapsed."""
        position = 0
        for part in self.parts:
            found = text.find(part, position)
            if found < 0:
                return False
            position = found + len(part)
        return not any(word in text for word in self.unless)


def _load() -> tuple[ProviderCode, ...]:
    data = (DATA_DIR / "providers.toml").read_text("utf-8")
    return tuple(
        ProviderCode(
            provider=entry["provider"],
            side=entry["side"],
            reason=Reason(entry["reason"]),
            parts=tuple(part.strip() for part in entry["match"].split("…")),
            unless=tuple(entry.get("unless", ())),
            example=entry["example"],
            source=entry["source"],
        )
        for entry in tomllib.loads(data)["code"]
    )


PROVIDER_CODES: tuple[ProviderCode, ...] = _load()


def provider_code(text: str) -> ProviderCode | None:
    """The first provider code found in ``text`` (lower case, whitespace collapsed)."""
    for code in PROVIDER_CODES:
        if code.parts[0] in text and code.matches(text):
            return code
    return None


__all__ = ["PROVIDER_CODES", "ProviderCode", "Side", "provider_code"]
