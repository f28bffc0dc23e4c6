"""The result of a domain audit: checks that pass, warn or fail, with the record and a fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

# "unverified": the DNS gave no answer in time (or an error), so nothing is known either way;
# never a "fail", which means the records are there and wrong (or missing).
CheckStatus = Literal["pass", "warn", "fail", "unverified"]


@dataclass(frozen=True, slots=True)
class Check:
    """One verdict of the audit, with the DNS record it read and what to do about it."""

    name: str
    status: CheckStatus
    record: str | None
    message: str
    fix: str | None = None


@dataclass(frozen=True, slots=True)
class DomainReport:
    domain: str
    ip: str | None
    checks: tuple[Check, ...]

    def failed(self, name: str | None = None) -> bool:
        """Did any check fail — or, given ``name``, that check or its family?

        ``failed("spf")`` covers ``spf``, ``spf-lookups``, ``spf-all`` and ``spf-ip``;
        ``failed("dkim")`` every selector; ``failed("blocklist")`` every list.
        """
        return any(
            check.status == "fail"
            and (
                name is None
                or check.name == name
                or check.name.startswith((f"{name}-", f"{name}:"))
            )
            for check in self.checks
        )

    def get(self, name: str) -> Check | None:
        return next((check for check in self.checks if check.name == name), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "domain": self.domain,
            "ip": self.ip,
            "failed": self.failed(),
            "checks": [asdict(check) for check in self.checks],
        }


__all__ = ["Check", "CheckStatus", "DomainReport"]
