"""One self-contained HTML page from a campaign's :class:`~preflight.report.data.CampaignData`.

The page carries its styles, its charts (inline SVG) and its numbers (the same JSON as
`status --format json`, in a non-executable ``application/json`` block): nothing is loaded
from anywhere, so it opens offline and in mail previews that block scripts.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from preflight import __version__
from preflight.errors import InputError
from preflight.report import charts
from preflight.report.data import CampaignData, StepOutcome

OUTCOME_COLUMNS = (
    "delivered",
    "deferred",
    "bounced",
    "failed",
    "skipped",
    "queued",
    "unknown",
    "replied",
    "opted_out",
)


def _codify(text: str) -> Markup:
    """Escape, then show `backticked` commands as code."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def outcome_value(step: StepOutcome, name: str) -> int | None:
    if name == "bounced":
        return sum(step.bounced.values())
    value = getattr(step, name)
    return None if value is None else int(value)


def render_page(data: CampaignData) -> str:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters["codify"] = _codify
    source = files("preflight.report").joinpath("page.html.j2").read_text(encoding="utf-8")
    template = environment.from_string(source)
    step = data.steps[0]
    # Inside <script>, only "</" could end the block early.
    data_json = json.dumps(data.to_json(), ensure_ascii=False, sort_keys=True).replace("</", "<\\/")

    def svg(text: str | None) -> Markup | None:
        return None if text is None else Markup(text)

    return template.render(
        d=data,
        version=__version__,
        step=step,
        total_messages=sum(data.totals.values()),
        sent_total=sum(day.sent for s in data.sends for day in s.days),
        bounced_total=data.totals["bounced"],
        paused=sum(1 for h in data.health if h.state == "paused"),
        sends=[(s, svg(charts.sends_chart(s))) for s in data.sends],
        outcomes_svg=svg(charts.outcomes_chart(data.steps)),
        rate_svg=svg(charts.bounce_rate_chart(data.bounce_rates)),
        complaints_svg=svg(charts.complaints_chart(data.bounce_rates)),
        reasons_svg=svg(charts.reasons_chart(data.reasons)),
        lint_svg=svg(charts.lint_chart(data.lint, data.lint_threshold)),
        outcome_columns=OUTCOME_COLUMNS,
        unarmed=[
            m.mailbox for m in data.bounce_rates.mailboxes if m.points and not m.points[-1].armed
        ],
        outcome_value=outcome_value,
        data_json=Markup(data_json),
    )


def write_page(data: CampaignData, path: Path) -> Path:
    """Write the page atomically enough for a user: all of it, or one clear error."""
    html = render_page(data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as error:
        reason = error.strerror or str(error)
        raise InputError(f"cannot write the report: {reason}", file=path) from error
    return path


__all__ = ["OUTCOME_COLUMNS", "outcome_value", "render_page", "write_page"]
