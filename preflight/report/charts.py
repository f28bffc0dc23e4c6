"""The report's charts, drawn by pygal as inline SVG (no script is needed to see them).

Each function takes the report's dataclasses and returns one ``<svg>`` element as text, or
None when there is nothing to draw (the page then says "none recorded" instead of showing an
empty frame). pygal's tooltips need a script from the web, so ``js=[]``: values that matter
are printed on the chart and listed in the tables beside it, and pygal's configuration
script is dropped: the page runs no script.
"""

from __future__ import annotations

import re
from typing import Any

import pygal
from pygal.style import Style

from preflight.report.data import BounceRates, LintBin, MailboxSends, ReasonCount, StepOutcome

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
SENT = "#2563eb"
PLANNED = "#93c5fd"
HEADROOM = "#e5e7eb"
DELIVERED = "#16a34a"
DEFERRED = "#f59e0b"
FAILED = "#7c3aed"
SKIPPED = "#9ca3af"
QUEUED = "#cbd5e1"
UNKNOWN = "#64748b"
BOUNCE_SHADES = ("#dc2626", "#ef4444", "#f87171", "#b91c1c", "#fca5a5", "#991b1b")
THRESHOLD = "#dc2626"
MAILBOX_LINES = ("#2563eb", "#0891b2", "#7c3aed", "#db2777", "#65a30d", "#ea580c")

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#374151",
    foreground_strong="#111827",
    foreground_subtle="#e5e7eb",
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    legend_font_family=FONT,
    title_font_family=FONT,
    tooltip_font_family=FONT,
    no_data_font_family=FONT,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    value_font_size=11,
    title_font_size=15,
    opacity=".95",
    opacity_hover="1",
    transition="none",
    guide_stroke_color="#e5e7eb",
    major_guide_stroke_color="#d1d5db",
    colors=(SENT,),
)


def _config(**options: Any) -> dict[str, Any]:
    base = {
        "style": STYLE,
        "js": [],  # the tooltip script lives on the web; the page must open offline
        "disable_xml_declaration": True,
        "explicit_size": False,
        "width": 900,
        "height": 320,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 4,
        "margin": 12,
        "show_minor_x_labels": True,
        "truncate_legend": -1,
        "truncate_label": -1,
        "order_min": 0,  # counts: no tick between two whole numbers
    }
    base.update(options)
    return base


# pygal writes each chart's configuration into an inline script for its tooltip script,
# which the page does not load; without it the page runs no script at all. pygal escapes
# "<" inside that configuration, so the first "</script>" is the block's own end.
_CONFIG_SCRIPT = re.compile(r"<script[^>]*>\s*window\.pygal\b.*?</script>", re.S)


def _render(chart: Any) -> str:
    return _CONFIG_SCRIPT.sub("", str(chart.render(is_unicode=True)))


def _day_labels(days: list[str]) -> tuple[list[str], list[str]]:
    labels = [d[5:] for d in days]  # "01-05": the year is in the axis title
    step = max(1, len(labels) // 14)
    return labels, labels[::step]


HALF = 540  # a chart in one of two columns, in CSS pixels at the page's full width
FULL = 1120


def sends_chart(series: MailboxSends, width: int = HALF) -> str | None:
    """One mailbox: sent and planned per day, stacked up to the day's warm-up cap."""
    if not series.days or not any(d.sent or d.planned or d.cap for d in series.days):
        return None
    labels, major = _day_labels([d.day for d in series.days])
    style = Style(**{**STYLE.to_dict(), "colors": (SENT, PLANNED, HEADROOM)})
    chart = pygal.StackedBar(
        **_config(
            style=style,
            width=width,
            height=300,
            x_label_rotation=-45 if len(labels) > 14 else 0,
            x_labels_major=major,
            show_minor_x_labels=len(labels) <= 14,
            x_title=f"{series.days[0].day[:4]} (mailbox's local days)",
            y_title="messages",
            print_values=len(labels) <= 21,
            print_zeroes=False,
            classes=("pygal-chart", "report-chart", "chart-sends"),
        )
    )
    chart.x_labels = labels
    chart.add("sent", [d.sent for d in series.days])
    chart.add("planned", [d.planned for d in series.days])
    chart.add(
        f"room left under the {series.plan} warm-up cap",
        [
            {"value": max(d.cap - d.sent - d.planned, 0), "label": f"cap {d.cap}"}
            for d in series.days
        ],
        print_values=False,
    )
    return _render(chart)


def outcomes_chart(steps: list[StepOutcome], width: int = FULL) -> str | None:
    """Per step, every message's outcome: one horizontal stacked bar per step."""
    if not any(_step_total(step) for step in steps):
        return None
    reasons = sorted(
        {r for step in steps for r in step.bounced},
        key=lambda r: -sum(s.bounced.get(r, 0) for s in steps),
    )
    names = [
        "delivered",
        "deferred",
        *[f"bounced: {r}" for r in reasons],
        "failed",
        "skipped",
        "queued",
        "unknown",
    ]
    colors = [
        DELIVERED,
        DEFERRED,
        *[BOUNCE_SHADES[i % len(BOUNCE_SHADES)] for i in range(len(reasons))],
        FAILED,
        SKIPPED,
        QUEUED,
        UNKNOWN,
    ]
    # An outcome no message had stays out of the chart and its legend.
    kept = [
        (name, color)
        for name, color in zip(names, colors, strict=True)
        if any(_outcome(step, name) for step in steps)
    ]
    style = Style(**{**STYLE.to_dict(), "colors": tuple(color for _, color in kept)})
    chart = pygal.HorizontalStackedBar(
        **_config(
            style=style,
            width=width,
            height=120 + 50 * len(steps) + 24 * -(-len(kept) // 5),
            margin_bottom=24,
            legend_at_bottom_columns=5,
            print_values=True,
            print_zeroes=False,
            classes=("pygal-chart", "report-chart", "chart-outcomes"),
        )
    )
    chart.x_labels = [step.step for step in steps]
    for name, _ in kept:
        chart.add(name, [_outcome(step, name) or None for step in steps])
    return _render(chart)


def _outcome(step: StepOutcome, name: str) -> int:
    if name.startswith("bounced: "):
        return step.bounced.get(name.removeprefix("bounced: "), 0)
    return int(getattr(step, name))


def _step_total(step: StepOutcome) -> int:
    return (
        step.delivered
        + step.deferred
        + sum(step.bounced.values())
        + step.failed
        + step.skipped
        + step.queued
        + step.unknown
    )


def bounce_rate_chart(rates: BounceRates, width: int = HALF) -> str | None:
    """Each mailbox's hard-bounce share of its last N sends (what the brake reads) at the end
    of each day, against the brake's threshold. Days before the brake can judge (fewer than
    its minimum of sends) are drawn faded."""
    days = sorted({p.day for m in rates.mailboxes for p in m.points})
    if not days:
        return None
    labels, major = _day_labels(days)
    colors = [MAILBOX_LINES[i % len(MAILBOX_LINES)] for i in range(len(rates.mailboxes))]
    style = Style(**{**STYLE.to_dict(), "colors": (THRESHOLD, *colors)})
    top = max([rates.threshold * 1.6] + [p.rate for m in rates.mailboxes for p in m.points])
    chart = pygal.Line(
        **_config(
            style=style,
            width=width,
            height=300,
            legend_at_bottom_columns=1,
            range=(0, min(1.0, top * 1.1)),
            y_labels=_percent_ticks(min(1.0, top * 1.1)),
            value_formatter=lambda v: f"{v:.0%}",
            x_labels_major=major,
            show_minor_x_labels=len(labels) <= 14,
            x_label_rotation=-45 if len(labels) > 14 else 0,
            y_title=f"hard bounces, last {rates.window} sends",
            dots_size=3,
            allow_interruptions=True,
            classes=("pygal-chart", "report-chart", "chart-bounce-rate"),
        )
    )
    chart.x_labels = labels
    chart.add(
        f"brake threshold {rates.threshold:.0%}",
        [rates.threshold] * len(days),
        show_dots=False,
        stroke_style={"width": 2, "dasharray": "6, 4"},
    )
    for mailbox in rates.mailboxes:
        by_day = {p.day: p for p in mailbox.points}
        values: list[dict[str, Any] | None] = []
        for day in days:
            point = by_day.get(day)
            if point is None:
                values.append(None)
            elif point.armed:
                values.append({"value": point.rate})
            else:
                values.append({"value": point.rate, "style": "opacity: .35"})
        chart.add(mailbox.mailbox, values)
    return _render(chart)


def _percent_ticks(top: float) -> list[float]:
    """At most about eight round percentages from 0 to ``top``."""
    for step in (0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25):
        if top / step <= 8:
            break
    count = int(top / step + 1e-9) + 1
    return [round(i * step, 4) for i in range(count)]


def complaints_chart(rates: BounceRates, width: int = HALF) -> str | None:
    """Spam complaints (feedback reports) per day they arrived."""
    if not rates.complaints_total:
        return None
    days = sorted(rates.complaints)
    labels, major = _day_labels(days)
    style = Style(**{**STYLE.to_dict(), "colors": ("#ea580c",)})
    chart = pygal.Bar(
        **_config(
            style=style,
            width=width,
            height=200,
            show_legend=False,
            print_values=True,
            x_labels_major=major,
            y_title="complaints",
            classes=("pygal-chart", "report-chart", "chart-complaints"),
        )
    )
    chart.x_labels = labels
    chart.add("complaints", [rates.complaints[d] for d in days])
    return _render(chart)


def reasons_chart(reasons: list[ReasonCount], top: int = 8, width: int = HALF) -> str | None:
    if not reasons:
        return None
    shown = reasons[:top]
    style = Style(**{**STYLE.to_dict(), "colors": ("#dc2626",)})
    chart = pygal.HorizontalBar(
        **_config(
            style=style,
            width=width,
            height=90 + 36 * len(shown),
            show_legend=False,
            print_values=True,
            classes=("pygal-chart", "report-chart", "chart-reasons"),
        )
    )
    chart.x_labels = [f"{r.reason} ({'hard' if r.hard else 'soft'})" for r in reversed(shown)]
    chart.add(
        "messages",
        [{"value": r.count, "color": "#dc2626" if r.hard else "#f59e0b"} for r in reversed(shown)],
    )
    return _render(chart)


def lint_chart(bins: list[LintBin], threshold: float, width: int = FULL) -> str | None:
    if not bins:
        return None
    style = Style(**{**STYLE.to_dict(), "colors": (DELIVERED,)})
    chart = pygal.Bar(
        **_config(
            style=style,
            width=width,
            height=280,
            show_legend=False,
            print_values=True,
            print_zeroes=False,
            x_title=f"lint score (a message at {threshold:g} or more is not sent)",
            y_title="messages sent",
            classes=("pygal-chart", "report-chart", "chart-lint"),
        )
    )
    chart.x_labels = [f"{b.low:g}–{b.high:g}" for b in bins]
    chart.add(
        "messages",
        [{"value": b.count, "color": _lint_color(b, threshold)} for b in bins],
    )
    return _render(chart)


def _lint_color(bin_: LintBin, threshold: float) -> str:
    if bin_.low >= threshold:
        return THRESHOLD
    return DELIVERED if bin_.high <= threshold / 2 else DEFERRED


__all__ = [
    "bounce_rate_chart",
    "complaints_chart",
    "lint_chart",
    "outcomes_chart",
    "reasons_chart",
    "sends_chart",
]
