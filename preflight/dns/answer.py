"""The outcome of one DNS question, whichever client asked it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["ok", "nxdomain", "nodata", "timeout", "servfail", "error"]


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of one query: a status and the records' data (dnspython rdata)."""

    name: str
    rdtype: str
    status: Status
    rdata: tuple[Any, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.rdata)

    @property
    def missing(self) -> bool:
        """The name or the record type does not exist (as opposed to a failed query)."""
        return self.status in ("nxdomain", "nodata")

    def texts(self) -> list[str]:
        """TXT records with their strings joined, as SPF, DKIM and DMARC read them."""
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self.rdata]

    def addresses(self) -> list[str]:
        return [r.address for r in self.rdata]

    def names(self) -> list[str]:
        """Target names of MX, PTR or CNAME records, without the final dot."""
        return [
            (r.exchange if hasattr(r, "exchange") else r.target).to_text(omit_final_dot=True)
            for r in self.rdata
        ]

    def describe_failure(self) -> str:
        return {
            "nxdomain": f"{self.name} does not exist",
            "nodata": f"no {self.rdtype} record at {self.name}",
            "timeout": f"no answer for {self.name} {self.rdtype} in time",
            "servfail": f"the DNS server failed to answer for {self.name} {self.rdtype}",
        }.get(self.status, f"lookup of {self.name} {self.rdtype} failed: {self.error}")


__all__ = ["Answer", "Status"]
