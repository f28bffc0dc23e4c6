"""``status --leads``: where each person of a campaign stands — the step reached, the state,
the last event and when (in the sending mailbox's time zone), and the next send."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from preflight.campaign_config import CampaignConfig
from preflight.contacts import contact_record, identity_of
from preflight.ledger import Ledger

_WAITING = ("queued", "deferred")


@dataclass
class Lead:
    address: str
    step: int  # the last step sent (0 = the first mail; -1 = nothing sent yet)
    state: str  # replied | opted-out | bounced | suppressed | waiting | sent | queued | ...
    last_event: str | None
    last_event_at: str | None  # in the mailbox's time zone
    next_send: str | None  # in the mailbox's time zone; None when nothing more will go

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _local(text: str | None, zone: ZoneInfo | None) -> str | None:
    if not text:
        return None
    when = datetime.fromisoformat(text)
    return (when.astimezone(zone) if zone else when).isoformat(timespec="minutes")


def campaign_leads(config: CampaignConfig, ledger: Ledger, campaign: int) -> list[Lead]:
    zones = {box.address: box.window.tz for box in config.mailboxes}
    rows: dict[str, list[tuple[str, str, str | None, str | None, int, str | None]]] = {}
    for recipient, mailbox, state, next_at, sent_at, step, detail in ledger.lead_rows(campaign):
        rows.setdefault(recipient, []).append((mailbox, state, next_at, sent_at, step, detail))
    leads = []
    for recipient, steps in rows.items():
        identity = ledger.identity_of_address(recipient) or identity_of(recipient)
        history = ledger.history(identity)
        record = contact_record(ledger, identity, history)
        mailbox = next((s[0] for s in steps if s[0]), "")
        zone = zones.get(mailbox)
        sent = [s for s in steps if s[1] in ("sent", "bounced", "unknown")]
        waiting = [s for s in steps if s[1] in _WAITING]
        state = record.status
        if state == "active":
            latest = steps[-1]
            state = "waiting" if latest[1] == "queued" and latest[4] > 0 else latest[1]
        next_send = None
        if waiting and record.status == "active":
            next_send = _local(waiting[0][2], zone) or "next send window"
        last = history[-1] if history else None
        leads.append(
            Lead(
                address=recipient,
                step=max((s[4] for s in sent), default=-1),
                state=state,
                last_event=last.kind if last else None,
                last_event_at=_local(last.at, zone) if last else None,
                next_send=next_send,
            )
        )
    return leads


__all__ = ["Lead", "campaign_leads"]
