"""The report's charts as PNG images, drawn by matplotlib from the report's own tables.

Figures are made with ``matplotlib.figure.Figure`` and the Agg canvas, never ``pyplot``: no
global state and no display, so a report renders the same in the daemon, a thread or a test.
Each chart draws only what its table says, so a chart can never show a figure the tables do not.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mailflow.reports.tables import Report

WIDTH, HEIGHT, DPI = 9.0, 3.6, 150
COLOURS = ("#1f4e79", "#8fb3d9", "#c55a11", "#f4b183", "#70ad47", "#a5a5a5")


@dataclass(frozen=True, kw_only=True)
class Chart:
    """One chart: its name, the caption printed under it, and the PNG bytes."""

    name: str
    caption: str
    png: bytes


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    out = io.BytesIO()
    figure.tight_layout()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _empty(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()


def complaints_by_service(report: Report) -> Chart:
    """Complaints received per service, largest first."""
    t = report.table("complaints_by_service")
    pairs = [(str(r[0]), _number(r[2])) for r in t.rows if r[0] != "All services" and _number(r[2])]
    pairs.sort(key=lambda p: p[1])
    figure = Figure(figsize=(WIDTH, HEIGHT))
    axes = figure.add_subplot()
    if pairs:
        axes.barh([p[0] for p in pairs], [p[1] for p in pairs], color=COLOURS[0])
        axes.set_xlabel("Complaints received")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        _empty(axes, "No complaints were received in the period")
    return Chart(
        name="complaints_by_service",
        caption=f"Complaints received by service, {report.period.label}.",
        png=_png(figure),
    )


def timeliness(report: Report) -> Chart:
    """Per stage: the share answered in time, and the working days responses took vs target."""
    t = report.table("stage_timeliness")
    stages = sorted({int(_number(r[0])) for r in t.rows})
    ack = {int(_number(r[0])): r for r in t.rows if r[1] == "Acknowledgement"}
    resp = {int(_number(r[0])): r for r in t.rows if r[1] == "Full response"}
    targets = {
        int(_number(r[0])): _target_days(str(r[2])) for r in t.rows if r[1] == "Full response"
    }
    figure = Figure(figsize=(WIDTH, HEIGHT))
    left, right = figure.subplots(1, 2)
    labels = [f"Stage {n}" for n in stages]
    xs = list(range(len(stages)))
    left.bar(
        [x - 0.2 for x in xs],
        [_number(ack[n][5]) for n in stages],
        0.4,
        label="Acknowledged in time",
        color=COLOURS[0],
    )
    left.bar(
        [x + 0.2 for x in xs],
        [_number(resp[n][5]) for n in stages],
        0.4,
        label="Responded in time",
        color=COLOURS[1],
    )
    left.axhline(100, color=COLOURS[2], linestyle="--", linewidth=1, label="Target: all in time")
    left.set_xticks(xs, labels)
    left.set_ylim(0, 135)  # headroom above 100% for the legend, clear of the bars
    left.set_yticks(range(0, 101, 20))
    left.set_ylabel("% in time")
    left.legend(fontsize="small", loc="upper center", ncols=2)
    right.bar(
        [x - 0.2 for x in xs],
        [_number(resp[n][6]) for n in stages],
        0.4,
        label="Median",
        color=COLOURS[0],
    )
    right.bar(
        [x + 0.2 for x in xs],
        [_number(resp[n][7]) for n in stages],
        0.4,
        label="90th percentile",
        color=COLOURS[1],
    )
    right.scatter(
        xs,
        [targets[n] for n in stages],
        marker="_",
        s=900,
        color=COLOURS[2],
        label="Target",
        zorder=3,
    )
    right.set_xticks(xs, labels)
    right.set_ylabel("Working days to respond")
    right.set_ylim(0, max([*right.get_ylim(), *targets.values()]) * 1.3)
    right.legend(fontsize="small", loc="upper center", ncols=3)
    return Chart(
        name="timeliness",
        caption="Timeliness by stage against target: the share acknowledged and answered in "
        "time (left), and working days taken to respond against the stage's timescale (right).",
        png=_png(figure),
    )


def _target_days(text: str) -> float:
    first = text.split(" ", 1)[0]
    return float(first) if first.isdigit() else 0.0


def outcomes(report: Report) -> Chart:
    """The outcomes of the stage responses given in the period, stacked per stage."""
    t = report.table("outcomes")
    names = [c for c in t.columns[1:] if c != "Responses"]
    figure = Figure(figsize=(WIDTH, HEIGHT))
    axes = figure.add_subplot()
    if not any(_number(r[-1]) for r in t.rows):
        _empty(axes, "No stage responses were given in the period")
    else:
        labels = [f"Stage {r[0]}" for r in t.rows]
        bottom = [0.0] * len(t.rows)
        for i, name in enumerate(names):
            values = [_number(v) for v in t.column(name)]
            axes.bar(labels, values, bottom=bottom, label=name, color=COLOURS[i % len(COLOURS)])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_ylabel("Stage responses")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(fontsize="small", ncols=3)
    return Chart(name="outcomes", caption="Outcome of complaints at each stage.", png=_png(figure))


def trend(report: Report) -> Chart:
    """Complaints, comments and compliments per period, with the share of avoidable contact."""
    t = report.table("trend")
    periods = [str(p) for p in t.column("Period")]
    figure = Figure(figsize=(WIDTH, HEIGHT))
    axes = figure.add_subplot()
    for i, name in enumerate(("Complaints", "Comments", "Compliments")):
        axes.plot(
            periods,
            [_number(v) for v in t.column(name)],
            marker="o",
            label=name,
            color=COLOURS[i * 2],
        )
    axes.set_ylabel("Received")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    share = axes.twinx()
    share.plot(
        periods,
        [_number(v) for v in t.column("% avoidable")],
        linestyle="--",
        marker="s",
        color=COLOURS[5],
        label="% avoidable contact",
    )
    share.set_ylabel("% of contacts avoidable")
    share.set_ylim(0, 100)
    lines = axes.get_legend_handles_labels()
    extra = share.get_legend_handles_labels()
    axes.legend(lines[0] + extra[0], lines[1] + extra[1], fontsize="small", loc="upper left")
    return Chart(
        name="trend",
        caption="Trend over the last periods: feedback received and avoidable contact.",
        png=_png(figure),
    )


DRAW: dict[str, Callable[[Report], Chart]] = {
    "complaints_by_service": complaints_by_service,
    "timeliness": timeliness,
    "outcomes": outcomes,
    "trend": trend,
}


def draw_all(report: Report) -> dict[str, Chart]:
    """Every chart the report's sections name."""
    return {name: DRAW[name](report) for s in report.sections for name in s.charts}
