"""CLI commands of the send family: warmup show, plan, send, status, demo.

Thin: each command loads the campaign, calls the library and prints. The live progress
view and the confirmation prompt only appear on a terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from preflight.consoles import make_console
from preflight.errors import MailboxError, UsageError
from preflight.pauses import campaign_pauses
from preflight.terminal import visible_line
from preflight.wording import local_time, plural

warmup_app = typer.Typer(
    help="Warm-up plans: how many messages a mailbox may send per day.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

class StatusFormat(StrEnum):
    text = "text"
    json = "json"
    # With --leads: one line per person.
    table = "table"
    jsonl = "jsonl"
    csv = "csv"


LedgerOption = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        help="The ledger: a file, or postgresql://user@host:port/db for a team (default:"
        " $PREFLIGHT_LEDGER, else [ledger] url in preflight.toml, else your per-user file).",
    ),
]
CampaignArgument = Annotated[
    Path, typer.Argument(help="The campaign file (TOML).", show_default=False)
]


def _console() -> Console:
    # Piped or captured output: wide tables and whole lines, never cut at 80 columns.
    return make_console()


@warmup_app.command("show")
def warmup_show(
    plan: Annotated[str, typer.Argument(help="A shipped plan name or a plan file.")],
    days: Annotated[int | None, typer.Option(help="How many days to show.", min=1, max=400)] = None,
    provider: Annotated[
        str | None,
        typer.Option(help="Also show a provider's limits and which one binds each day."),
    ] = None,
) -> None:
    """Show a warm-up plan: the daily cap for each day since the start, and a chart.

    Example: preflight warmup show standard --provider google-workspace
    """
    from preflight.provider_limits import binding_limit, providers
    from preflight.warmup import WEEKDAYS, load_plan

    loaded = load_plan(plan, Path.cwd())
    entry = None
    if provider is not None:
        known = providers()
        if provider not in known:
            raise UsageError(
                f"unknown provider {provider!r} (known: {', '.join(known)})", field="--provider"
            )
        entry = known[provider]
    count = days or max(14, loaded.days_to_reach_max() + 3)
    console = _console()
    console.print(f"[bold]{loaded.name}[/bold]: {loaded.description}")
    console.print(f"hourly cap: {loaded.hourly_cap}")
    if loaded.weekday_factors:
        rules = ", ".join(
            f"{WEEKDAYS[d]} x{f:g}" for d, f in sorted(loaded.weekday_factors.items())
        )
        console.print(f"weekday rules: {rules} (applied to the day's cap on that weekday)")
    if entry is not None:
        console.print(f"{entry.name}: {_limits_line(entry.limits)}")
        console.print(f"  source: {entry.source} (checked {entry.checked})", markup=False)
    # The plan's own top, whatever --days shows: the bars and the last line stay comparable.
    reach = loaded.days_to_reach_max()
    top = max(loaded.base_cap(d) for d in range(1, max(count, reach) + 1)) or 1
    extra = ("binds",) if entry is not None else ()
    table = Table("day", "daily cap", *extra, "", box=None, pad_edge=False)
    for day in range(1, count + 1):
        cap = loaded.base_cap(day)
        binds: tuple[str, ...] = ()
        if entry is not None:
            # A whole-day window: the plan table knows no send hours.
            value, what = binding_limit(cap, entry.limits, 24.0)
            cap, binds = value, (what,)
        table.add_row(
            str(day), str(cap), *binds, "█" * max(1 if cap else 0, round(cap / top * 40))
        )
    console.print(table)
    console.print(f"reaches {top} a day on day {reach}")


def _limits_line(limits: Any) -> str:
    parts = [
        f"{getattr(limits, key):,} {label}"
        for key, label in (
            ("per_second", "a second"),
            ("per_minute", "a minute"),
            ("per_day", "a day"),
            ("recipients_per_day", "recipients a day"),
            ("host_per_second", "a second per host"),
            ("host_per_minute", "a minute per host"),
            ("domain_per_day", "a day for the whole domain"),
        )
        if getattr(limits, key) is not None
    ]
    reset = "for 24 hours" if limits.reset == "rolling" else f"until midnight {limits.timezone}"
    return (", ".join(parts) or "no limits") + f"; a refusal holds the mailbox {reset}"


def _provider_hints(console: Console, config: Any) -> None:
    """A mailbox sending through a known provider's host without naming the provider."""
    from preflight.provider_limits import providers_for_host

    for box in config.mailboxes:
        if box.limits.provider is not None:
            continue
        known = providers_for_host(box.host)
        if known:
            names = " or ".join(f'"{k}"' for k in known)
            console.print(
                f"hint: {box.address} sends through {box.host}: add provider = {names} to its "
                "[[mailbox]] so that the provider's own limits are kept",
                markup=False,
            )


def _open(campaign_path: Path, ledger: str | None) -> tuple[Any, Any]:
    from preflight.campaign_config import load_campaign
    from preflight.ledger import Ledger
    from preflight.ledger.location import check_location

    config = load_campaign(campaign_path)
    return config, Ledger(check_location(ledger) if ledger else None)


def plan(
    campaign: CampaignArgument,
    ledger: LedgerOption = None,
    start: Annotated[
        str | None,
        typer.Option(help="Plan from this moment (ISO date/time, UTC if no zone); default now."),
    ] = None,
) -> None:
    """Show what goes out when: per day and mailbox, and the finish date. Sends nothing.

    Example: preflight plan campaign.toml
    """
    from preflight.campaign import plan_campaign
    from preflight.prepare import plan_messages
    from preflight.templates import load_template

    config, opened = _open(campaign, ledger)
    begin = _parse_start(start)
    console = _console()
    with opened:
        # The same validation as send, through the same code: the same messages counted.
        planned = plan_messages(config, opened, load_template(config.template), now=begin)
        _print_validation(console, planned.validation)
        result = plan_campaign(config, planned.messages, start=begin, ledger=opened,
                               not_before=planned.retry_due)
        pauses = campaign_pauses(opened, config.name, (b.address for b in config.mailboxes))
    boxes = [box.address for box in config.mailboxes]
    table = Table("date", *boxes, "total", box=None, pad_edge=False)
    for day in sorted(result.per_day):
        counts = result.per_day[day]
        table.add_row(
            f"{day:%a %Y-%m-%d}",
            *(str(counts.get(b, 0)) for b in boxes),
            str(sum(counts.values())),
        )
    console.print(table)
    limited = [box for box in config.mailboxes if box.limits.active]
    if limited:
        for box in limited:
            console.print(f"{box.address}: {box.limits.label}: {_limits_line(box.limits)}")
        binds = Table("date", *boxes, box=None, pad_edge=False, title="daily limit that binds")
        for day in sorted(result.binding):
            limits = result.binding[day]
            binds.add_row(
                f"{day:%a %Y-%m-%d}",
                *(f"{limits[b][0]:,} ({limits[b][1]})" for b in boxes),
            )
        console.print(binds)
    _provider_hints(console, config)
    console.print(
        f"{plural(result.scheduled, 'message')} over {plural(len(result.per_day), 'day')}"
    )
    if result.first and result.finish:
        zone = _zone(config)
        retries = " (including deferred retries)" if planned.retry_due else ""
        console.print(
            f"first send {local_time(result.first, zone)}, "
            f"finish {local_time(result.finish, zone)}{retries}"
        )
    _print_steps(console, result.steps)
    for box in result.paused:
        console.print(
            f"paused sending mailbox (not planned): {box}: {pauses.get(box, '?')} — "
            "`preflight send --unpause` lifts it",
            markup=False,
        )
    if result.unscheduled:
        why = (
            "every sending mailbox is paused (see above)"
            if result.paused and len(result.paused) == len(config.mailboxes)
            else "no active mailbox has room left in its plan"
        )
        console.print(
            f"[yellow]{plural(result.unscheduled, 'message')} cannot be scheduled: "
            f"{why}[/yellow]"
        )


def _print_steps(console: Console, steps: list[Any]) -> None:
    """Per step, if nobody answers: how many go out, from when to when."""
    if len(steps) < 2:
        return
    for step in steps:
        name = "first mail" if step.step == 0 else f"follow-up {step.step}"
        when = (
            f"{step.first:%Y-%m-%d} → {step.last:%Y-%m-%d}" if step.first and step.last else "-"
        )
        console.print(f"{name}: {step.count} messages, {when}")
    last = steps[-1].last
    if last:
        console.print(
            f"the last follow-up goes out {last:%Y-%m-%d %H:%M} UTC "
            "(if nobody replies; replies, opt-outs and bounces stop a person's follow-ups)"
        )


def _parse_start(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError as error:
        raise UsageError(f"not an ISO date/time: {text!r}", field="--start") from error
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def send(
    campaign: CampaignArgument,
    ledger: LedgerOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Send without asking.")] = False,
    dry_run: Annotated[
        Path | None,
        typer.Option("--dry-run", help="Write the exact .eml files to this folder; send nothing."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            help="Send (or with --dry-run write) at most N messages; validation stops once N "
            "sendable messages are found, so the summary covers the rows read so far.",
            min=0,
        ),
    ] = None,
    resend_unknown: Annotated[
        bool,
        typer.Option(help="Send again the messages a crash left 'unknown' (check them first)."),
    ] = False,
    offline: Annotated[bool, typer.Option(help="Skip the DNS check of sending domains.")] = False,
    force: Annotated[
        bool, typer.Option(help="Send even when a sending domain fails SPF or DMARC.")
    ] = False,
    insecure: Annotated[
        bool, typer.Option(help="Do not verify TLS certificates (a self-signed local server).")
    ] = False,
    unpause: Annotated[
        bool, typer.Option(help="Lift the pause of this campaign's mailboxes (after fixing).")
    ] = False,
    wait_retries: Annotated[
        bool, typer.Option(help="Keep running until deferred retries are due and sent.")
    ] = False,
) -> None:
    """Validate every message, then send in paced batches with a live progress view.

    Renders and lints every row (over the threshold: not sent), checks addresses and the
    sending domains, prints a summary and asks before sending (--yes skips the question).
    With --limit N, validation stops as soon as N sendable messages are found (rows already
    sent do not count), so a trial run on a huge list starts at once; the summary then covers
    only the rows read so far. Re-running resumes; nothing already sent goes out twice.
    Ctrl-C stops after the message in flight.

    Example: preflight send campaign.toml --yes --limit 20
    """
    from preflight.clock import SystemClock
    from preflight.prepare import check_columns, write_dry_run
    from preflight.session import SendRequest, SendSession
    from preflight.templates import load_template

    config, opened = _open(campaign, ledger)
    console = _console()
    err = make_console(stderr=True)
    request = SendRequest(
        limit=limit,
        resend_unknown=resend_unknown,
        offline=offline,
        force=force,
        insecure=insecure,
        unpause=unpause,
        wait_retries=wait_retries,
    )
    with opened:
        if dry_run is not None:
            for box in config.mailboxes:
                box.password()
            template = load_template(config.template)
            check_columns(config, template)
            summary, written = write_dry_run(
                config, opened, template, dry_run, now=datetime.now(UTC), limit=limit
            )
            _print_validation(console, summary)
            console.print(f"dry run: wrote {plural(written, '.eml file')} to {dry_run}",
                          markup=False)
            return
        session = SendSession(
            config,
            opened,
            SystemClock(),
            request,
            notes=lambda line: err.print(visible_line(line), markup=False),
        )
        readiness = session.prepare()
        _print_validation(console, readiness.validation)
        _print_follow_ups(console, readiness.follow_ups)
        for box in readiness.unpaused:
            console.print(f"unpaused {box}", markup=False)
        if resend_unknown:
            console.print(f"{readiness.requeued} 'unknown' messages queued again")
        if not readiness.pending:
            console.print("nothing to send: every row is sent, skipped or settled")
            _print_status(console, opened, config, readiness.campaign_id)
            return
        forecast = readiness.forecast
        pending = readiness.first_pending
        _provider_hints(console, config)
        to_send = pending if limit is None else min(limit, pending)
        finish = local_time(forecast.finish, _zone(config)) if forecast.finish else "never"
        console.print(
            f"ready to send {to_send} of {pending} queued messages from "
            f"{len(config.mailboxes)} mailbox(es); planned finish {finish}"
        )
        if readiness.follow_ups_pending:
            console.print(
                f"follow-ups queued: {readiness.follow_ups_pending} (sent as they come due)"
            )
        if forecast.paused:
            console.print(
                f"[yellow]paused mailboxes: {', '.join(forecast.paused)} "
                "(--unpause after fixing)[/yellow]"
            )
        if not yes:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                raise UsageError("not a terminal: add --yes to send without confirmation")
            if not typer.confirm("Send now?", default=False):
                raise typer.Exit(1)
        result = asyncio.run(_run(session, console))
        for step, box, stats in result.follow_up_stats:
            console.print(f"follow-up {step} from {box}:", markup=False)
            _print_run(console, stats, show_paused=False, zone=_zone(config))
        _print_run(console, result.stats, show_paused=False, zone=_zone(config))
        _print_status(console, opened, config, readiness.campaign_id)
        if result.stopped_by:
            # Like other command-line tools: 128 + the signal, so cron jobs and scripts see
            # that the run did not finish (the message above says how to resume).
            raise typer.Exit(128 + result.stopped_by)
        if result.paused_now:
            # The user must act (a password, TLS, the list, the content): one line on stderr
            # and a failing exit code, so a script or cron job notices.
            raise MailboxError(
                "; ".join(f"{box} paused: {why}" for box, why in result.paused_now.items())
                + " (run send again with --unpause after fixing)"
            )


def _print_follow_ups(console: Console, plan: Any) -> None:
    for step in plan.steps:
        console.print(
            f"follow-up {step.number}: {step.queued} newly queued, {step.skipped} not sent, "
            f"{step.held} held by an out-of-office"
        )
        for line in step.examples:
            console.print(f"  skipped {line}", markup=False)


async def _run(session: Any, console: Console) -> Any:
    loop = asyncio.get_running_loop()
    stopped_by: list[int] = []

    def on_signal(number: int) -> None:
        stopped_by.append(number)
        session.stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, int(sig))
    live: Live | None = None
    if console.is_terminal:
        live = Live(console=console, refresh_per_second=4, transient=True)
        live.start()

    # Events printed so far, per run of the session (each follow-up step, the first mails).
    printed: dict[int, int] = {}

    def show(stats: Any) -> None:
        if live is not None:
            live.update(_progress_table(stats, _zone(session.config)))
            return
        # Not a terminal (a log, a pipe, cron): each event that changes what happens is one
        # line, at once, instead of a silent wait.
        done = printed.get(id(stats), 0)
        for line in stats.events[done:]:
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        if len(stats.events) > done:
            console.file.flush()
        printed[id(stats)] = len(stats.events)

    session.on_progress = show
    try:
        result = await session.run()
        result.stopped_by = stopped_by[0] if stopped_by else 0
        return result
    finally:
        if live is not None:
            live.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def _zone(config: Any) -> tzinfo:
    """The zone times are shown in: the (first) mailbox's, as plan and the events use."""
    return config.mailboxes[0].window.tz if config.mailboxes else UTC


def _progress_table(stats: Any, zone: tzinfo = UTC) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_row("progress", f"{stats.done} / {stats.total}")
    table.add_row("sent", str(stats.sent))
    table.add_row("deferred", str(stats.deferred))
    table.add_row("bounced", str(stats.bounced))
    table.add_row("failed", str(stats.failed))
    if stats.paused:
        table.add_row("paused", ", ".join(stats.paused))
    if stats.next_send:
        table.add_row("next send", local_time(stats.next_send, zone))
    if stats.last:
        table.add_row("last", Text(visible_line(stats.last)))
    table.add_row("", "Ctrl-C stops after the message in flight")
    return table


def _print_validation(console: Console, summary: Any) -> None:
    low = "-" if summary.score_min is None else f"{summary.score_min:g}"
    high = "-" if summary.score_max is None else f"{summary.score_max:g}"
    console.print(
        f"{plural(summary.rows, 'row')}: {summary.queued} pass, {summary.skipped} skipped "
        f"(address {summary.skipped_address}, lint {summary.skipped_lint}, "
        f"contact {summary.skipped_contact}, other {summary.skipped_other}), "
        f"{plural(summary.duplicates, 'duplicate')} of a row "
        f"above (not sent twice), {summary.warnings} with warnings; lint scores {low}..{high}"
    )
    if summary.stopped_at_limit:
        console.print(
            f"validation stopped at --limit after {plural(summary.rows, 'row')}: the counts "
            "above cover those rows only"
        )
    for line in summary.examples:
        console.print(f"  {visible_line(line)}", markup=False)
    for line in summary.warning_examples:
        console.print(f"  warning {visible_line(line)}", markup=False)
    _print_contact_skips(console, summary.contact_skips)


def _print_contact_skips(console: Console, skips: list[str]) -> None:
    """Every person left alone, with the other campaign and the date."""
    if skips:
        console.print(f"{len(skips)} people not contacted again:")
    for line in skips:
        console.print(f"  skipped {visible_line(line)}", markup=False)


def _print_run(
    console: Console, stats: Any, *, show_paused: bool = True, zone: tzinfo = UTC
) -> None:
    # Counted by message (each once, in the state it ended this run in), so the parts add up
    # to the messages this run handled; a deferral that was retried shows as its retry count.
    deferred = stats.deferred - stats.retried
    parts = [
        f"sent {stats.sent}",
        f"deferred {deferred}",
        f"bounced {stats.bounced}",
        f"failed {stats.failed}",
    ]
    if stats.unknown:
        parts.append(f"unknown {stats.unknown}")
    if stats.skipped:
        parts.append(f"skipped {stats.skipped}")
    if stats.taken_elsewhere:
        parts.append(f"sent by another run {stats.taken_elsewhere}")
    handled = (stats.sent + deferred + stats.bounced + stats.failed + stats.unknown
               + stats.skipped + stats.taken_elsewhere)
    line = f"this run: {plural(handled, 'message')}: " + ", ".join(parts)
    if stats.retried:
        line += f" ({plural(stats.retried, 'deferred attempt')} retried in this run)"
    console.print(line)
    for box, holder in stats.busy.items():
        console.print(f"left to another run: {box} ({holder})", markup=False)
    if stats.recovered_unknown:
        console.print(
            f"[yellow]{stats.recovered_unknown} messages were interrupted mid-send "
            "by an earlier crash and are marked 'unknown' (not resent; "
            "--resend-unknown after checking)[/yellow]"
        )
    for box, reason in stats.paused.items() if show_paused else ():
        console.print(
            f"[red]paused sending mailbox {box}[/red]: {escape(visible_line(reason))}",
            markup=True,
        )
    for box, (reason, until) in stats.held.items():
        console.print(
            f"held sending mailbox {box} until {local_time(until, zone)}: {visible_line(reason)}",
            markup=False,
        )
    if stats.stopped:
        console.print("stopped; run the same command again to resume")
    elif stats.limit_reached:
        console.print("--limit reached; run again to continue")
    if stats.next_retry:
        console.print(
            f"deferred retries are due from {local_time(stats.next_retry, zone)}: "
            "run send again then (or --wait-retries)"
        )


def _print_status(console: Console, ledger: Any, config: Any, campaign_id: int) -> None:
    from preflight.ledger import utc_now

    counts = ledger.state_counts(campaign_id)
    states = ["queued", "sending", "sent", "deferred", "bounced", "failed", "skipped", "unknown"]
    boxes = sorted({m for m, _ in counts})
    table = Table("mailbox", *states, box=None, pad_edge=False)
    for box in boxes:
        table.add_row(box or "(not assigned yet)", *(str(counts.get((box, s), 0)) for s in states))
    table.add_row(
        "total", *(str(sum(v for (_, s), v in counts.items() if s == st)) for st in states)
    )
    console.print(table)
    console.print(
        f"suppressed among this campaign's recipients: {ledger.campaign_suppressed(campaign_id)}"
    )
    ours = {b.address for b in config.mailboxes}
    for box, reason in campaign_pauses(ledger, config.name, ours).items():
        if box in ours:
            console.print(f"paused sending mailbox {box}: {visible_line(reason)}", markup=False)
    for box, (reason, until) in ledger.mailbox_holds(utc_now()).items():
        if box in ours:
            console.print(
                f"held sending mailbox {box} until {until}: {visible_line(reason)}", markup=False
            )
    retry = ledger.next_retry_at(campaign_id)
    if retry:
        console.print(f"next retry due {local_time(datetime.fromisoformat(retry), _zone(config))}")


def status(
    campaign: CampaignArgument,
    ledger: LedgerOption = None,
    leads: Annotated[
        bool, typer.Option("--leads", help="One line per person: step, state, last event, next.")
    ] = False,
    output_format: Annotated[
        StatusFormat,
        typer.Option(
            "--format",
            help="text, or json: every number of `preflight report`; with --leads: "
            "table, jsonl or csv.",
        ),
    ] = StatusFormat.text,
) -> None:
    """Sent / queued / deferred / bounced / suppressed, per mailbox; or, with --leads, per
    person: the step reached, the state, the last event and its time, the next send.

    Example: preflight status campaign.toml --format json
    Example: preflight status campaign.toml --leads --format csv
    """
    per_person = (StatusFormat.table, StatusFormat.jsonl, StatusFormat.csv)
    if leads and output_format is StatusFormat.json:
        raise UsageError("with --leads, use --format table, jsonl or csv", field="--format")
    if not leads and output_format in per_person:
        raise UsageError(f"--format {output_format} needs --leads", field="--format")
    config, opened = _open(campaign, ledger)
    if output_format is StatusFormat.json:
        from preflight.report.data import gather

        with opened:
            typer.echo(json.dumps(gather(config, opened).to_json(), ensure_ascii=False, indent=2))
        return
    with opened:
        campaign_id = opened.find_campaign(config.name)
        if campaign_id is None:
            raise UsageError(
                f"campaign {config.name!r} has not been sent from this ledger ({opened.where}) yet",
                file=campaign,
            )
        if leads:
            _print_leads(opened, config, campaign_id, output_format)
            return
        _print_status(_console(), opened, config, campaign_id)


def _print_leads(
    ledger: Any, config: Any, campaign_id: int, output_format: StatusFormat
) -> None:
    import csv

    from preflight.leads import campaign_leads
    from preflight.recipients import safe_csv_row

    people = campaign_leads(config, ledger, campaign_id)
    columns = ("address", "step", "state", "last_event", "last_event_at", "next_send")
    if output_format is StatusFormat.jsonl:
        for lead in people:
            sys.stdout.write(json.dumps(lead.as_dict(), ensure_ascii=False) + "\n")
        return
    if output_format is StatusFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for lead in people:
            data = lead.as_dict()
            writer.writerow(safe_csv_row("" if data[c] is None else str(data[c]) for c in columns))
        return
    table = Table(*columns, box=None, pad_edge=False)
    for lead in people:
        data = lead.as_dict()
        table.add_row(*("-" if data[c] is None else str(data[c]) for c in columns))
    _console().print(table)


def demo(
    ledger: Annotated[
        Path | None,
        typer.Option(
            "--ledger",
            help="Write the demo's ledger here and keep it (its inbox folder goes beside it). "
            "Default: a temporary folder, removed at the end.",
        ),
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the temporary folder to look inside.")
    ] = False,
    speed: Annotated[
        float, typer.Option(help="Virtual seconds per real second.", min=1.0)
    ] = 43200.0,
) -> None:
    """Run the whole flow on this machine: a local SMTP sink, the sample list, a warm-up plan.

    Nothing leaves 127.0.0.1. Prints what happened; with --keep or --ledger also where the
    ledger is and how to look inside.

    Example: preflight demo --keep
    """
    import shutil
    import tempfile
    import time

    from preflight.demo import DEMO_DIR, run_demo

    console = _console()
    console.print(
        f"starting a local SMTP sink on 127.0.0.1 with scripted replies; clock x{speed:g}"
    )
    scratch = None if ledger is not None else Path(tempfile.mkdtemp(prefix="preflight-demo-"))
    began = time.monotonic()
    try:
        result = asyncio.run(run_demo(ledger or scratch / "ledger.sqlite3", speed=speed))
        _report_demo(console, result)
        console.print(f"took {time.monotonic() - began:.1f} s of real time")
        if scratch is None or keep:
            console.print(f"ledger: {result.ledger}", markup=False)
            console.print(
                f"look inside: preflight status --ledger {result.ledger} "
                f"{DEMO_DIR / 'campaign.toml'}",
                markup=False,
            )
        else:
            console.print("the demo's ledger and inbox were removed; keep them with --keep")
    finally:
        if scratch is not None and not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def _report_demo(console: Console, result: Any) -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")  # the shipped demo campaign's mailboxes
    _print_validation(console, result.validation)
    console.print(
        f"virtual time {local_time(result.virtual_start, zone)} → "
        f"{local_time(result.virtual_end, zone)} "
        "(send windows Mon-Fri 09:00-17:00 Europe/Berlin)"
    )
    _print_run(console, result.stats, zone=zone)
    late = result.late_bounces
    console.print(
        f"the sink accepted {plural(result.delivered, 'message')}; "
        f"{plural(late.messages, 'bounce message')} arrived later in the inbox: "
        f"{late.matched} matched to sends, {late.hard} hard, {late.soft} soft",
        markup=False,
    )
    for address, kind in result.answers:
        console.print(f"answer from {address}: {kind}", markup=False)
    console.print(
        f"inbox import: {result.inbox_summary.describe().splitlines()[0]}", markup=False
    )
    console.print(
        f"follow-up, {len(result.follow_ups)} sent: {', '.join(result.follow_ups) or 'none'}",
        markup=False,
    )
    console.print(
        "not followed up: the reply, the opt-out, the bounces, and the out-of-office "
        f"(held until after {result.away_until:%Y-%m-%d}); a paused mailbox holds its own"
    )
    final = ", ".join(f"{state} {count}" for state, count in result.final_states.items())
    console.print(f"in the ledger now: {final}")
    for address, reason in result.suppressed:
        console.print(f"suppressed {address} ({reason})", markup=False)


def register(app: typer.Typer) -> None:
    """Add the send commands to the app."""
    app.add_typer(warmup_app, name="warmup")
    app.command("plan")(plan)
    app.command("send")(send)
    app.command("status")(status)
    app.command("demo")(demo)
