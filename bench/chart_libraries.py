"""Why the report draws with pygal: the same six charts (sends per day for three mailboxes,
stacked, and a bounce-rate line, three times) written as one self-contained HTML file by each
candidate library that is installed, in a fresh child process each (cold import counted).

    .venv/bin/pip install plotly bokeh altair vl-convert-python   # the other candidates
    .venv/bin/python bench/chart_libraries.py

Prints, per library: seconds to import and build, the file's size, and whether the file
needs a script to show anything (a mail preview that blocks scripts then shows nothing).
The ratio is against pygal measured in the same run.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

COMMON = """
import random, sys, time
began = time.perf_counter()
days = [f"2026-01-{d:02d}" for d in range(1, 31)]
boxes = ["a@x.example", "b@x.example", "c@x.example"]
rnd = random.Random(1)
sends = {b: [rnd.randint(5, 50) for _ in days] for b in boxes}
rate = [rnd.random() * 0.08 for _ in days]
"""

BUILD = {
    "pygal": """
import pygal
parts = []
for _ in range(3):
    bars = pygal.StackedBar(js=[], disable_xml_declaration=True)
    bars.x_labels = days
    for b in boxes:
        bars.add(b, sends[b])
    parts.append(bars.render(is_unicode=True))
    line = pygal.Line(js=[], disable_xml_declaration=True)
    line.x_labels = days
    line.add("rate", rate)
    parts.append(line.render(is_unicode=True))
html = "<!DOCTYPE html><html><body>" + "".join(parts) + "</body></html>"
""",
    "plotly": """
import plotly.graph_objects as go
parts = []
for n in range(3):
    fig = go.Figure([go.Bar(x=days, y=sends[b], name=b) for b in boxes])
    fig.update_layout(barmode="stack")
    parts.append(fig.to_html(full_html=False, include_plotlyjs=(n == 0)))
    parts.append(go.Figure(go.Scatter(x=days, y=rate)).to_html(full_html=False,
                                                                include_plotlyjs=False))
html = "<!DOCTYPE html><html><body>" + "".join(parts) + "</body></html>"
""",
    "bokeh": """
from bokeh.embed import file_html
from bokeh.layouts import column
from bokeh.plotting import figure
from bokeh.resources import INLINE
figs = []
for _ in range(3):
    p = figure(x_range=days, height=300, width=800)
    p.vbar_stack(boxes, x="day", width=0.8, source={"day": days, **sends},
                 color=["#1f77b4", "#ff7f0e", "#2ca02c"])
    figs.append(p)
    q = figure(x_range=days, height=300, width=800)
    q.line(days, rate)
    figs.append(q)
html = file_html(column(*figs), INLINE, "report")
""",
    "altair": """
import io
import altair as alt
rows = [{"day": d, "box": b, "n": sends[b][i]} for b in boxes for i, d in enumerate(days)]
lines = [{"day": d, "rate": r} for d, r in zip(days, rate)]
charts = []
for _ in range(3):
    charts.append(alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x="day:O", y="sum(n):Q", color="box:N"))
    charts.append(alt.Chart(alt.Data(values=lines)).mark_line().encode(x="day:O", y="rate:Q"))
buffer = io.StringIO()
alt.vconcat(*charts).save(buffer, format="html", inline=True)
html = buffer.getvalue()
""",
}

REPORT = """
took = time.perf_counter() - began
open(sys.argv[1], "w", encoding="utf-8").write(html)
import re
external = len(re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="(?:https?:)?//', html))
# What a viewer that runs no script shows: the page with its script blocks removed.
scriptless = re.sub(r"<script.*?</script>", "", html, flags=re.S | re.I)
needs_script = "<svg" not in scriptless
print(took, len(html.encode()), external, needs_script)
"""

NEEDS = {"altair": ("altair", "vl_convert")}


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in BUILD.items():
            modules = NEEDS.get(name, (name,))
            missing = [m for m in modules if importlib.util.find_spec(m) is None]
            if missing:
                print(f"{name:7}: not installed ({', '.join(missing)}): skipped")
                continue
            out = Path(tmp) / f"{name}.html"
            done = subprocess.run(
                [sys.executable, "-c", COMMON + build + REPORT, str(out)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                print(f"{name:7}: failed: {done.stderr.strip().splitlines()[-1]}")
                continue
            took, size, external, needs_script = done.stdout.split()
            results[name] = (float(took), int(size), int(external), needs_script == "True")
    peer = results.get("pygal")
    for name, (took, size, external, needs_script) in results.items():
        ratio = f" ({took / peer[0]:.1f}x time, {size / peer[1]:.1f}x size)" if peer else ""
        print(
            f"{name:7}: {took:5.2f} s, {size / 1024:6.0f} KiB, external loads {external}, "
            f"blank without scripts: {'yes' if needs_script else 'no'}{ratio}"
        )


if __name__ == "__main__":
    main()
