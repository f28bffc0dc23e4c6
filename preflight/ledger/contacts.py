"""People across campaigns: address identities, the events of each person, their history.

A person is an *identity* (the mailbox key :func:`preflight.addresses.mailbox_key` computes;
callers pass it in, the ledger only stores it). Every address the ledger meets is mapped to
one identity in ``contact_addresses``; what happened to a person is read from the tables that
already hold it (messages, bounces, suppression) plus ``contact_events`` for what has no other
home (replies, auto-replies, opt-outs, manual suppressions). Plain SQL, no SQLite dialect.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from preflight.policy import BouncePolicy, policy_from_dict

if TYPE_CHECKING:
    from preflight.ledger.backend import Database


@dataclass(frozen=True)
class ContactEvent:
    """One row of ``contact_events``."""

    fingerprint: str
    identity: str
    address: str
    kind: str  # reply | autoreply | optout | other | suppressed | unsuppressed
    at: str
    imported_at: str
    campaign: str | None = None
    message_row: int | None = None
    until_date: str | None = None
    detail: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class HistoryItem:
    """One line of a person's history, from whichever table holds it."""

    at: str
    kind: str  # sent | deferred | bounced | failed | unknown | bounce | reply | ...
    address: str
    campaign: str | None
    detail: str | None
    step: int = 0


@dataclass(frozen=True)
class Blocker:
    """Why a campaign must not write to a person now."""

    kind: str  # replied | opted-out | contacted
    campaign: str | None
    at: str

    def describe(self) -> str:
        day = self.at[:10]
        where = f" campaign {self.campaign!r}" if self.campaign else ""
        if self.kind == "contacted":
            return f"contact: contacted by{where} on {day}"
        verb = "replied to" if self.kind == "replied" else "opted out of"
        return f"contact: {verb}{where or ' a campaign'} on {day}"


# A follow-up step's campaign row stands for its campaign: join it to its parent's name.
_WITH_PARENT = (
    "JOIN campaigns c ON c.id = m.campaign_id LEFT JOIN campaign_steps s"
    " ON s.campaign_id = c.id LEFT JOIN campaigns p ON p.id = s.parent_id"
)
_OWN_NAME = "COALESCE(p.name, c.name)"
_EVENT_COLUMNS = (
    "fingerprint, identity, address, kind, at, imported_at, campaign, message_row,"
    " until_date, detail, source"
)


def _marks(values: Sequence[object]) -> str:
    """The placeholders of an ``IN (...)`` list of ``values``."""
    return ", ".join("?" * len(values))


# Message states that mean the person was written to (or may have been).
CONTACTED_STATES = ("sent", "sending", "unknown", "bounced")


class ContactsMixin:
    db: Database

    def remember_identities(self, pairs: Iterable[tuple[str, str]], now: str) -> None:
        """Map addresses to identities; an address keeps the identity it first got."""
        self.db.executemany(
            "INSERT INTO contact_addresses (address, identity, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (address) DO NOTHING",
            [(address, identity, now) for address, identity in pairs],
        )

    def identity_of_address(self, address: str) -> str | None:
        row = self.db.execute(
            "SELECT identity FROM contact_addresses WHERE address = ?", (address,)
        ).fetchone()
        return str(row[0]) if row else None

    def addresses_of(self, identity: str) -> list[str]:
        return self.addresses_by_identity([identity])[identity]

    def unmapped_recipients(self) -> list[str]:
        """Recipients of messages (and suppressed addresses) with no identity yet: rows
        written before contacts existed."""
        return [
            str(row[0])
            for row in self.db.execute(
                # NOT EXISTS, not NOT IN: PostgreSQL runs NOT IN over a subquery larger than
                # its work_mem once per row (200,000 messages: minutes), an anti-join once.
                "SELECT DISTINCT m.recipient FROM messages m WHERE NOT EXISTS"
                " (SELECT 1 FROM contact_addresses a WHERE a.address = m.recipient)"
                " UNION SELECT s.address FROM suppression s WHERE NOT EXISTS"
                " (SELECT 1 FROM contact_addresses a WHERE a.address = s.address)"
            )
        ]

    # -- events --------------------------------------------------------------------------

    def event_known(self, fingerprint: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM contact_events WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        return row is not None

    def add_contact_event(self, event: ContactEvent) -> bool:
        """Store an event; False when its fingerprint was already there (nothing changes)."""
        cursor = self.db.execute(
            f"INSERT INTO contact_events ({_EVENT_COLUMNS}) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING",
            (
                event.fingerprint,
                event.identity,
                event.address,
                event.kind,
                event.at,
                event.imported_at,
                event.campaign,
                event.message_row,
                event.until_date,
                event.detail,
                event.source,
            ),
        )
        return cursor.rowcount == 1

    def contact_events(self, identity: str | None = None) -> list[ContactEvent]:
        query = f"SELECT {_EVENT_COLUMNS} FROM contact_events"
        args: tuple[str, ...] = ()
        if identity is not None:
            query += " WHERE identity = ?"
            args = (identity,)
        return [ContactEvent(*row) for row in self.db.execute(query + " ORDER BY at, id", args)]

    def return_date(self, identity: str) -> str | None:
        """The latest return date an auto-reply of this person named (YYYY-MM-DD)."""
        row = self.db.execute(
            "SELECT MAX(until_date) FROM contact_events WHERE identity = ?"
            " AND kind = 'autoreply'",
            (identity,),
        ).fetchone()
        return row[0] if row else None

    # -- history ---------------------------------------------------------------------------

    def history(self, identity: str) -> list[HistoryItem]:
        """Everything the ledger knows happened to one person, oldest first."""
        return self.histories([identity])[identity]

    def histories(self, identities: Sequence[str]) -> dict[str, list[HistoryItem]]:
        """:meth:`history` of each of ``identities``, in three queries for all of them."""
        items: dict[str, list[HistoryItem]] = {identity: [] for identity in identities}
        marks = _marks(identities)
        for row in self.db.execute(
            f"SELECT a.identity, m.sent_at, m.state, m.recipient, {_OWN_NAME}, m.reason,"
            f" m.reply_status, COALESCE(s.step, 0) FROM messages m {_WITH_PARENT}"
            " JOIN contact_addresses a ON a.address = m.recipient"
            f" WHERE a.identity IN ({marks}) AND m.attempts > 0 ORDER BY m.id",
            tuple(identities),
        ):
            detail = " ".join(str(v) for v in (row[5], row[6]) if v) or None
            items[row[0]].append(HistoryItem(row[1], row[2], row[3], row[4], detail, int(row[7])))
        for row in self.db.execute(
            f"SELECT a.identity, COALESCE(b.received_at, b.imported_at), b.recipient, {_OWN_NAME},"
            " b.reason, b.status FROM bounces b JOIN contact_addresses a ON a.address = b.recipient"
            " LEFT JOIN messages m ON m.id = b.message_row"
            " LEFT JOIN campaigns c ON c.id = m.campaign_id LEFT JOIN campaign_steps s"
            " ON s.campaign_id = c.id LEFT JOIN campaigns p ON p.id = s.parent_id"
            f" WHERE a.identity IN ({marks}) ORDER BY b.id",
            tuple(identities),
        ):
            detail = " ".join(str(v) for v in (row[4], row[5]) if v) or None
            items[row[0]].append(HistoryItem(row[1], "bounce", row[2], row[3], detail))
        for values in self.db.execute(
            f"SELECT {_EVENT_COLUMNS} FROM contact_events WHERE identity IN ({marks})"
            " ORDER BY at, id",
            tuple(identities),
        ):
            event = ContactEvent(*values)
            detail = event.detail
            if event.until_date:
                detail = f"back {event.until_date}" + (f"; {detail}" if detail else "")
            items[event.identity].append(
                HistoryItem(event.at, event.kind, event.address, event.campaign, detail)
            )
        for history in items.values():
            history.sort(key=lambda item: item.at or "")
        return items

    def addresses_by_identity(self, identities: Sequence[str]) -> dict[str, list[str]]:
        """:meth:`addresses_of` each of ``identities``, in one query."""
        found: dict[str, list[str]] = {identity: [] for identity in identities}
        for identity, address in self.db.execute(
            "SELECT identity, address FROM contact_addresses"
            f" WHERE identity IN ({_marks(identities)}) ORDER BY address",
            tuple(identities),
        ):
            found[identity].append(str(address))
        return found

    def suppressions_by_identity(
        self, identities: Sequence[str]
    ) -> dict[str, tuple[str, str, str, str]]:
        """:meth:`suppression_of_identity` of each of ``identities`` that has one."""
        found: dict[str, tuple[str, str, str, str]] = {}
        for identity, *row in self.db.execute(
            "SELECT a.identity, s.address, s.reason, s.source, s.created_at FROM suppression s"
            " JOIN contact_addresses a ON a.address = s.address"
            f" WHERE a.identity IN ({_marks(identities)}) ORDER BY s.created_at",
            tuple(identities),
        ):
            found.setdefault(identity, (row[0], row[1], row[2], row[3]))
        return found

    def identities(self) -> Iterator[str]:
        for row in self.db.execute(
            "SELECT DISTINCT identity FROM contact_addresses ORDER BY identity"
        ):
            yield str(row[0])

    def suppression_of_identity(self, identity: str) -> tuple[str, str, str, str] | None:
        """(address, reason, source, created_at) of a suppression of any of the person's
        addresses."""
        return self.suppressions_by_identity([identity]).get(identity)

    # -- what an arriving mail answers -------------------------------------------------------

    def sent_by_message_ids(self, message_ids: list[str]) -> tuple[int, str, str, str] | None:
        """(row id, campaign, recipient, message id) of our message among ``message_ids``."""
        for message_id in message_ids[:50]:
            row = self.db.execute(
                f"SELECT m.id, {_OWN_NAME}, m.recipient, m.message_id FROM messages m"
                f" {_WITH_PARENT} WHERE m.message_id = ?",
                (message_id,),
            ).fetchone()
            if row is not None:
                return (int(row[0]), str(row[1]), str(row[2]), str(row[3]))
        return None

    def latest_sent_to(self, identity: str) -> tuple[int, str, str, str | None] | None:
        """(row id, campaign, recipient, message id) of our latest message to the person."""
        marks = ", ".join("?" * len(CONTACTED_STATES))
        row = self.db.execute(
            f"SELECT m.id, {_OWN_NAME}, m.recipient, m.message_id FROM messages m {_WITH_PARENT}"
            " JOIN contact_addresses a ON a.address = m.recipient"
            f" WHERE a.identity = ? AND m.state IN ({marks})"
            " ORDER BY m.sent_at DESC, m.id DESC LIMIT 1",
            (identity, *CONTACTED_STATES),
        ).fetchone()
        return (int(row[0]), str(row[1]), str(row[2]), row[3]) if row else None

    def sending_mailboxes(self) -> set[str]:
        return {
            str(row[0]).lower()
            for row in self.db.execute("SELECT DISTINCT mailbox FROM messages WHERE mailbox <> ''")
        }

    # -- re-contact ------------------------------------------------------------------------

    def recontact_blocker(
        self, identity: str, campaign: str, contacted_since: str | None
    ) -> Blocker | None:
        """Why ``campaign`` must not write to the person: a reply or an opt-out in any
        campaign, or (with ``contacted_since``) a message from another campaign since then."""
        row = self.db.execute(
            "SELECT kind, campaign, at FROM contact_events WHERE identity = ?"
            " AND kind IN ('reply', 'optout') ORDER BY at DESC LIMIT 1",
            (identity,),
        ).fetchone()
        if row is not None:
            return Blocker("replied" if row[0] == "reply" else "opted-out", row[1], row[2])
        if contacted_since is None:
            return None
        marks = ", ".join("?" * len(CONTACTED_STATES))
        row = self.db.execute(
            f"SELECT {_OWN_NAME}, m.sent_at FROM messages m {_WITH_PARENT}"
            " JOIN contact_addresses a ON a.address = m.recipient"
            f" WHERE a.identity = ? AND {_OWN_NAME} <> ? AND m.state IN ({marks})"
            " AND m.sent_at >= ? ORDER BY m.sent_at DESC LIMIT 1",
            (identity, campaign, *CONTACTED_STATES, contacted_since),
        ).fetchone()
        return Blocker("contacted", row[0], row[1]) if row else None

    def has_contacts_elsewhere(self, campaign: str) -> bool:
        """Whether any other campaign or any reply/opt-out exists: when not, the per-row
        re-contact check can be skipped altogether (a first campaign on a large list)."""
        row = self.db.execute(
            f"SELECT 1 FROM messages m {_WITH_PARENT} WHERE {_OWN_NAME} <> ?"
            " AND m.attempts > 0 LIMIT 1",
            (campaign,),
        ).fetchone()
        if row is not None:
            return True
        row = self.db.execute(
            "SELECT 1 FROM contact_events WHERE kind IN ('reply', 'optout') LIMIT 1"
        ).fetchone()
        return row is not None

    # -- the campaign's stored policy -------------------------------------------------------

    def store_policy(self, campaign: int, policy: dict[str, object], now: str) -> None:
        self.db.execute(
            "INSERT INTO campaign_policies (campaign_id, policy, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (campaign_id) DO UPDATE SET policy = excluded.policy,"
            " updated_at = excluded.updated_at",
            (campaign, json.dumps(policy, sort_keys=True), now),
        )

    def campaign_policy(self, campaign_name: str | None) -> BouncePolicy:
        """The policy ``campaign_name`` was last sent under; the defaults when unknown."""
        stored = self.stored_policy(campaign_name) if campaign_name else None
        return policy_from_dict(stored) if stored else BouncePolicy()

    def unsubscribe_addresses(self) -> set[str]:
        """Every campaign's List-Unsubscribe mailto address, as stored with its policy."""
        found: set[str] = set()
        for row in self.db.execute("SELECT policy FROM campaign_policies"):
            address = json.loads(row[0]).get("unsubscribe_mailto")
            if isinstance(address, str) and address:
                found.add(address.lower())
        return found

    def stored_policy(self, campaign_name: str) -> dict[str, object] | None:
        row = self.db.execute(
            "SELECT p.policy FROM campaign_policies p JOIN campaigns c ON c.id = p.campaign_id"
            " WHERE c.name = ?",
            (campaign_name,),
        ).fetchone()
        return json.loads(row[0]) if row else None


__all__ = ["CONTACTED_STATES", "Blocker", "ContactEvent", "ContactsMixin", "HistoryItem"]
