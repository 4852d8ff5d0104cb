"""The reports' charts: SVG drawn server-side by matplotlib, in the font the reports embed.

Text is drawn as paths (`svg.fonttype = path`), so a chart reads the same in the HTML, in the PDF and in any
viewer, whatever fonts the reader's machine has. matplotlib's global state (its rc settings and font list)
is touched under one lock: the API may draw reports on several threads.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; only the SVG canvas is used

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

_LOCK = threading.Lock()
FONT_FAMILY = "Noto Sans SC"
PALETTE = ("#1f5fa8", "#e07b39", "#3a9a5b", "#c23b3b", "#7a5ba8", "#8c8c8c")


def font_dir() -> Path:
    """The vendored font (Noto Sans SC, OFL), shared with the staff UI's static files."""
    return Path(str(resources.files("pingan.web").joinpath("static/vendor/noto-sans-sc-2.004")))


@cache
def _register_fonts() -> None:
    for name in ("NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf"):
        font_manager.fontManager.addfont(str(font_dir() / name))


def _rc() -> Any:  # matplotlib types its keys as one Literal of every setting
    return {
        "svg.fonttype": "path",
        "svg.hashsalt": "pingan-report",  # the same chart gives the same SVG
        "font.family": [FONT_FAMILY],
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.unicode_minus": False,
    }


_ID = re.compile(r'id="([^"]+)"')


def _svg(figure: Figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = out.getvalue()
    text = text[text.index("<svg") :]  # the XML declaration and doctype cannot stand inside HTML
    # matplotlib numbers its ids per figure (patch_3, p1a2b…): several charts inline in one document must not
    # share one, or a chart clips to another's box. Each chart's ids get a prefix of its own content's hash.
    prefix = "c" + hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8] + "-"
    ids = set(_ID.findall(text))
    for name in sorted(ids, key=len, reverse=True):
        text = text.replace(f'id="{name}"', f'id="{prefix}{name}"')
        text = text.replace(f"#{name})", f"#{prefix}{name})").replace(f'href="#{name}"', f'href="#{prefix}{name}"')
    return text


def bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    unit: str = "",
    horizontal: bool = False,
    width_in: float = 7.0,
) -> str:
    """Grouped bars, one group per label (a station, a fraud type), one bar per named series."""
    with _LOCK, matplotlib.rc_context(_rc()):
        _register_fonts()
        height = max(2.4, 0.28 * len(labels) + 1.0) if horizontal else 2.8
        figure = Figure(figsize=(width_in, height))
        ax = figure.add_subplot()
        n = max(len(series), 1)
        step = 0.8 / n
        positions = list(range(len(labels)))
        for i, (name, values) in enumerate(series):
            offsets = [p - 0.4 + step * (i + 0.5) for p in positions]
            if horizontal:
                ax.barh(offsets, list(values), height=step, label=name, color=PALETTE[i % len(PALETTE)])
            else:
                ax.bar(offsets, list(values), width=step, label=name, color=PALETTE[i % len(PALETTE)])
        # Counts start at zero and step in whole numbers; a chart of nothing but zeros still reads 0 to 1.
        top = max((max(values, default=0) for _, values in series), default=0)
        value_axis = ax.xaxis if horizontal else ax.yaxis
        value_axis.set_major_locator(MaxNLocator(integer=all(float(v).is_integer() for _, vs in series for v in vs)))
        (ax.set_xlim if horizontal else ax.set_ylim)(0, top * 1.08 if top > 0 else 1)
        if horizontal:
            ax.set_yticks(positions, list(labels))
            ax.invert_yaxis()
            ax.set_xlabel(unit)
        else:
            ax.set_xticks(positions, list(labels), rotation=45 if len(labels) > 8 else 0, ha="right")
            ax.set_ylabel(unit)
        ax.set_title(title, loc="left", fontweight="bold")
        if len(series) > 1:
            ax.legend(frameon=False, fontsize=8, ncols=len(series))
        ax.grid(axis="x" if horizontal else "y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        return _svg(figure)


def lines(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str, unit: str = "") -> str:
    """A trend: one line per named series over the period's days (or weeks)."""
    with _LOCK, matplotlib.rc_context(_rc()):
        _register_fonts()
        figure = Figure(figsize=(7.0, 2.6))
        ax = figure.add_subplot()
        positions = list(range(len(labels)))
        for i, (name, values) in enumerate(series):
            ax.plot(positions, list(values), marker="o", markersize=3, label=name, color=PALETTE[i % len(PALETTE)])
        every = max(1, -(-len(labels) // 10))  # at most ten labels
        ax.set_xticks(positions[::every], list(labels)[::every])
        ax.set_ylabel(unit)
        top = max((max(values, default=0) for _, values in series), default=0)
        ax.set_ylim(0, top * 1.08 if top > 0 else 1)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, loc="left", fontweight="bold")
        ax.legend(frameon=False, fontsize=8, ncols=max(len(series), 1))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        return _svg(figure)
