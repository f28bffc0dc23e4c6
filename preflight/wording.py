"""Small wording helpers shared by the command-line output: counts with the right noun form."""

from __future__ import annotations


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 day``, ``2 days``; ``plural(1, "message was", "messages were")``."""
    if count == 1:
        return f"{count} {singular}"
    return f"{count} {many if many is not None else singular + 's'}"


__all__ = ["plural"]
