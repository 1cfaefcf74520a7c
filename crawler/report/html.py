"""The report as one self-contained HTML file: plotly charts with plotly.js
inlined, so it opens anywhere, offline, and loads nothing from outside."""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go

from crawler.report.data import NEVER_ASKED, ReportData

STATE_COLOURS = {
    "archived": "#2e7d32",
    "not_found": "#9e9e9e",
    "redirected": "#1565c0",
    "duplicate": "#6a1b9a",
    "failed": "#c62828",
    "blocked": "#ef6c00",
    "unrecognized": "#f9a825",
    NEVER_ASKED: "#e0e0e0",
}
TOP_SOURCES = 8
_CONFIG = {"displaylogo": False, "responsive": True}
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; }
td, th { border-bottom: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; }
.bad { color: #c62828; font-weight: bold; } .note { color: #666; }
"""


def _layout(fig: go.Figure, title: str, **extra: Any) -> go.Figure:
    fig.update_layout(
        title=title, template="plotly_white", height=420, margin={"t": 60, "b": 60}, **extra
    )
    return fig


def coverage_figure(data: ReportData) -> go.Figure:
    fig = go.Figure()
    cov = data.coverage
    if cov is not None:
        labels = [f"{low}-{high}" if low != high else str(low) for low, high in cov.buckets]
        for state, counts in cov.counts.items():
            if any(counts):
                fig.add_bar(
                    x=labels,
                    y=counts,
                    name=state,
                    marker_color=STATE_COLOURS.get(state, "#795548"),
                )
    return _layout(
        fig,
        "Coverage of the code space (codes per state, by range)",
        barmode="stack",
        bargap=0,
        xaxis_title="story codes",
        yaxis_title="codes",
    )


def per_day_figure(data: ReportData) -> go.Figure:
    top = [source for source, _ in data.per_source[:TOP_SOURCES]]
    days = list(data.per_day)
    fig = go.Figure()
    for source in [*top, "other"]:
        counts = [
            sum(n for s, n in data.per_day[day].items() if s not in top)
            if source == "other"
            else data.per_day[day].get(source, 0)
            for day in days
        ]
        if any(counts):
            fig.add_bar(x=days, y=counts, name=source)
    return _layout(
        fig,
        "Stories per day of publication, by source",
        barmode="stack",
        xaxis_title="published (the story's own date)",
        yaxis_title="stories",
    )


def per_source_figure(data: ReportData) -> go.Figure:
    shown = list(reversed(data.per_source[:25]))
    fig = go.Figure(
        go.Bar(
            x=[n for _, n in shown],
            y=[source for source, _ in shown],
            orientation="h",
            marker_color="#2e7d32",
        )
    )
    return _layout(fig, "Stories per source (current revisions, all time)", xaxis_title="stories")


def field_figures(data: ReportData) -> list[go.Figure]:
    runs = data.field_coverage
    if not runs:
        return []
    labels = [f"{run.started_at[:16]} {run.run_id[-6:]}" for run in runs]
    fields = sorted({name for run in runs for name in run.present})
    heat = go.Figure(
        go.Heatmap(
            x=labels,
            y=fields,
            z=[[run.present.get(name) for run in runs] for name in fields],
            zmin=0,
            zmax=100,
            colorscale="RdYlGn",
            colorbar={"title": "% present"},
        )
    )
    _layout(heat, "Field coverage over recent runs (% of the run's records with the field)")
    layouts = sorted({name for run in runs for name in run.layouts})
    mix = go.Figure()
    for layout in layouts:
        mix.add_bar(x=labels, y=[run.layouts.get(layout, 0) for run in runs], name=layout)
    _layout(mix, "Records per page layout over recent runs", barmode="stack")
    return [heat, mix]


def runs_figure(data: ReportData) -> go.Figure:
    fig = go.Figure()
    by_status: dict[str, list[dict[str, Any]]] = {}
    for run in data.runs:
        by_status.setdefault(str(run.get("exit_status", run.get("status"))), []).append(run)
    for status, runs in sorted(by_status.items()):
        fig.add_scatter(
            x=[run.get("started_at") for run in runs],
            y=[run.get("new_records") or 0 for run in runs],
            mode="markers",
            name=f"exit {status}",
            marker={"size": 9, "color": "#2e7d32" if status == "0" else None},
            text=[run["run_id"] for run in runs],
        )
    return _layout(fig, "Runs: new records, by exit status", yaxis_title="new records")


def _runs_table(data: ReportData, last: int = 50) -> str:
    rows = []
    for run in reversed(data.runs[-last:]):
        status = run.get("exit_status", run.get("status"))
        cells = [
            run["run_id"],
            run.get("spider") or "",
            run.get("started_at") or "",
            run.get("finished_at") or "",
            f"{status} {run.get('exit_meaning') or ''}".strip(),
            run.get("new_records", ""),
        ]
        css = "" if status == 0 else ' class="bad"'
        rows.append(
            "<tr>" + "".join(f"<td{css}>{html.escape(str(c))}</td>" for c in cells) + "</tr>"
        )
    head = "".join(
        f"<th>{h}</th>" for h in ("run", "spider", "started", "finished", "exit", "new records")
    )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render(data: ReportData, generated_at: str) -> str:
    """The whole report; plotly.js is inlined once, with the first chart."""
    sections: list[tuple[str, list[go.Figure], str]] = [
        ("Coverage", [coverage_figure(data)], ""),
        ("Stories", [per_day_figure(data), per_source_figure(data)], ""),
        (
            "Fields",
            field_figures(data),
            ""
            if data.field_coverage
            else '<p class="note">No run summary carries field statistics yet.</p>',
        ),
        ("Runs", [runs_figure(data)], _runs_table(data)),
    ]
    states = ", ".join(f"{state} {n}" for state, n in sorted(data.states.items())) or "empty"
    body = [
        "<h1>Story archive report</h1>",
        f"<p>{html.escape(data.archive_dir)}: {html.escape(states)}.",
        f" Generated {html.escape(generated_at)}.</p>",
    ]
    first = True
    for title, figures, extra in sections:
        body.append(f"<h2>{title}</h2>")
        for fig in figures:
            body.append(fig.to_html(full_html=False, include_plotlyjs=first, config=_CONFIG))
            first = False
        body.append(extra)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Story archive report</title>"
        f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
