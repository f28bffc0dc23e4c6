"""One send session: the gates in their order, then the run. The CLI, the demo and the
tests all call this; none of them rebuilds the order.

Gates (each raises our own error, before anything is sent): passwords → templates (the first
mail's and every follow-up's) → columns → the sending domains' DNS → validation of every row
(addresses, contacts, template, headers, lint) → ``--unpause`` / ``--resend-unknown`` →
follow-ups that came due → the forecast. Then a ``confirm`` callback sees the
:class:`Readiness` and says yes or no. The run sends the due follow-ups, step by step and
mailbox by mailbox (each from the mailbox of the first mail), then the first mails; every
part is the same :class:`~preflight.campaign.CampaignRun`, so caps, brakes and crash safety
are the same for all of them.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from preflight.campaign import CampaignRun, ConnectionFactory, Plan, RunStats, plan_campaign
from preflight.campaign_config import CampaignConfig
from preflight.clock import Clock
from preflight.errors import MailboxError, PreflightError
from preflight.followups import FollowUpPlan, FollowUps, stop_reason
from preflight.ledger import Ledger
from preflight.ledger.messages import iso
from preflight.pauses import campaign_pauses, lift
from preflight.prepare import BuiltMessages, Validation, check_columns, prepare_campaign
from preflight.templates import Template, load_template

# A DNS audit of one sending domain: lines to show, and the names of failed checks.
DomainAudit = Callable[[str], tuple[list[str], list[str]]]


@dataclass(frozen=True)
class SendRequest:
    """What the user asked for (the ``send`` flags)."""

    limit: int | None = None
    resend_unknown: bool = False
    offline: bool = False
    force: bool = False
    insecure: bool = False
    unpause: bool = False
    wait_retries: bool = False


@dataclass
class Readiness:
    """Everything the gates found, for the summary and the confirmation."""

    campaign_id: int
    validation: Validation
    follow_ups: FollowUpPlan
    first_pending: int
    follow_ups_pending: int
    forecast: Plan
    dns_lines: list[str] = field(default_factory=list)
    unpaused: list[str] = field(default_factory=list)
    requeued: int = 0

    @property
    def pending(self) -> int:
        return self.first_pending + self.follow_ups_pending


@dataclass
class SessionResult:
    readiness: Readiness
    stats: RunStats  # the first mails
    follow_up_stats: list[tuple[int, str, RunStats]] = field(default_factory=list)
    confirmed: bool = True
    stopped_by: int = 0  # the signal that stopped the run (set by the CLI), 0 if none

    @property
    def paused_now(self) -> dict[str, str]:
        paused = dict(self.stats.paused_now)
        for _, _, stats in self.follow_up_stats:
            paused.update(stats.paused_now)
        return paused

    @property
    def sent(self) -> int:
        return self.stats.sent + sum(s.sent for _, _, s in self.follow_up_stats)


def dns_audit(domain: str) -> tuple[list[str], list[str]]:
    """The real DNS gate: SPF, DKIM, DMARC, MX of a sending domain."""
    from preflight.dnscheck import audit_domain

    report = audit_domain(domain)
    lines = [
        f"{domain}: {check.name}: {check.status}: {check.message}"
        + (f" — fix: {check.fix}" if check.fix else "")
        for check in report.checks
        if check.status != "pass"
    ]
    return lines, [name for name in ("spf", "dmarc") if report.failed(name)]


def refuse_all_paused(config: CampaignConfig, ledger: Ledger) -> None:
    """Every mailbox paused: nothing can go out, so say that first, not after validating."""
    ours = [box.address for box in config.mailboxes]
    paused = campaign_pauses(ledger, config.name, ours)
    if ours and all(address in paused for address in ours):
        raise MailboxError(
            "every sending mailbox of this campaign is paused, nothing can be sent: "
            + "; ".join(f"{address}: {paused[address]}" for address in ours)
            + " (fix that, then run send again with --unpause)"
        )


class SendSession:
    """Gates, then the run, for one campaign on one ledger."""

    def __init__(
        self,
        config: CampaignConfig,
        ledger: Ledger,
        clock: Clock,
        request: SendRequest | None = None,
        *,
        connection_factory: ConnectionFactory | None = None,
        domain_audit: DomainAudit = dns_audit,
        seed: int | None = None,
        on_progress: Callable[[RunStats], None] | None = None,
        stop: asyncio.Event | None = None,
        notes: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        # Where the gates' warnings go as they are found (the CLI: stderr).
        self.notes = notes or (lambda line: None)
        self.ledger = ledger
        self.clock = clock
        self.request = request or SendRequest()
        self.connection_factory = connection_factory
        self.domain_audit = domain_audit
        self.seed = seed
        self.on_progress = on_progress
        self.stop = stop or asyncio.Event()
        self.template: Template | None = None
        self.built = BuiltMessages()
        self.follow_ups: FollowUps | None = None
        self.readiness: Readiness | None = None

    # -- the gates ---------------------------------------------------------------------------

    def prepare(self) -> Readiness:
        config, ledger, request = self.config, self.ledger, self.request
        now = self.clock.now()
        for box in config.mailboxes:
            box.password()  # fail now, naming the variable, not halfway through
        if not request.unpause:
            refuse_all_paused(config, ledger)
        self.template = load_template(config.template)
        for step in config.follow_ups:
            load_template(step.template)
        check_columns(config, self.template)
        for step in config.follow_ups:
            check_columns(dataclasses.replace(config, template=step.template),
                          load_template(step.template))  # fmt: skip
        dns_lines: list[str] = []
        if not request.offline:
            dns_lines = self._domain_gate()
        campaign_id, validation = prepare_campaign(
            config, ledger, self.template, now=now, built=self.built, limit=request.limit
        )
        unpaused = []
        if request.unpause:
            unpaused = [b.address for b in config.mailboxes if lift(ledger, b.address, config.name)]
        requeued = ledger.requeue_unknown(campaign_id, iso(now)) if request.resend_unknown else 0
        self.follow_ups = FollowUps(config, ledger, now)
        follow_plan = self.follow_ups.schedule() if config.follow_ups else FollowUpPlan()
        pending = ledger.pending_messages(campaign_id)
        follow_pending = sum(
            len(ledger.pending_messages(step.campaign_id))
            for step in ledger.step_campaigns(campaign_id)
        )
        forecast = plan_campaign(
            config, [(p.seq, p.recipient) for p in pending], start=now, ledger=ledger
        )
        self.readiness = Readiness(
            campaign_id=campaign_id,
            validation=validation,
            follow_ups=follow_plan,
            first_pending=len(pending),
            follow_ups_pending=follow_pending,
            forecast=forecast,
            dns_lines=dns_lines,
            unpaused=unpaused,
            requeued=requeued,
        )
        return self.readiness

    def _domain_gate(self) -> list[str]:
        lines: list[str] = []
        for domain in sorted({box.domain for box in self.config.mailboxes}):
            shown, failed = self.domain_audit(domain)
            lines.extend(shown)
            for line in shown:
                self.notes(line)
            if failed and not self.request.force:
                raise PreflightError(
                    f"{domain} fails {' and '.join(n.upper() for n in failed)}: fix the DNS "
                    "records (see above) or add --force to send anyway",
                    field="mailbox.from",
                )
        return lines

    # -- the run -----------------------------------------------------------------------------

    async def run(self) -> SessionResult:
        readiness = self.readiness or self.prepare()
        assert self.template is not None and self.follow_ups is not None
        follow_stats: list[tuple[int, str, RunStats]] = []
        limit = self.request.limit
        for step in self.ledger.step_campaigns(readiness.campaign_id):
            if self.stop.is_set() or (limit is not None and limit <= 0):
                break
            if not self.ledger.pending_messages(step.campaign_id):
                continue
            box = self.config.mailbox(step.mailbox)
            stats = await self._run(
                dataclasses.replace(self.config, mailboxes=(box,)),
                self.follow_ups.template(step.step),
                step.campaign_id,
                limit,
                built=None,
                still_wanted=lambda address: stop_reason(self.ledger, address),
            )
            follow_stats.append((step.step, step.mailbox, stats))
            if limit is not None:
                limit -= stats.sent + stats.bounced + stats.deferred + stats.failed
        stats = await self._run(
            self.config, self.template, readiness.campaign_id, limit, built=self.built
        )
        return SessionResult(readiness, stats, follow_stats)

    async def _run(
        self,
        config: CampaignConfig,
        template: Template,
        campaign: int,
        limit: int | None,
        *,
        built: BuiltMessages | None,
        still_wanted: Callable[[str], str | None] | None = None,
    ) -> RunStats:
        run = CampaignRun(
            config,
            self.ledger,
            template,
            self.clock,
            campaign=campaign,
            limit=limit,
            wait_for_retries=self.request.wait_retries,
            insecure=self.request.insecure,
            seed=self.seed,
            on_progress=self.on_progress,
            stop=self.stop,
            connection_factory=self.connection_factory,
            built=built,
            still_wanted=still_wanted,
        )
        return await run.run()

    async def send(self, confirm: Callable[[Readiness], bool]) -> SessionResult:
        """The gates, the question, the run: what ``preflight send`` does."""
        readiness = self.readiness or self.prepare()
        if readiness.pending == 0 or not confirm(readiness):
            return SessionResult(readiness, RunStats(), [], confirmed=False)
        return await self.run()


__all__ = [
    "DomainAudit",
    "Readiness",
    "SendRequest",
    "SendSession",
    "SessionResult",
    "dns_audit",
]
