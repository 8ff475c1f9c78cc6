"""Charts as inline SVG text: ranked horizontal bars and stacked bars, for the quarterly report.

Pure functions from rows of numbers to SVG markup, written to sit inside an HTML page (no XML
declaration, no namespace needed there) and to print on A4: 680 px wide, the width of an A4 page
inside its margins at 96 px to the inch. Every text is escaped; the only font named is the
generic `sans-serif`, so nothing is fetched and the reader's own font draws it. Each chart has a
`<title>` and an `aria-label` for screen readers, and the numbers are written beside the bars, so the
chart reads without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 680
INK = "#1d2733"
MUTED = "#606c7a"
GRID = "#d9dee5"
ACCENT = "#4e5e9e"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the reader sees it: "1,240" or "71%"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


@dataclass(frozen=True)
class Stack:
    label: str
    values: tuple[int, ...]  # one per series, in the series' order
    note: str = ""  # under the label, e.g. "provisional"


def _text(value: str, limit: int) -> str:
    """Escaped, and cut with an ellipsis when longer than `limit` characters (a bar's label is one line)."""
    value = " ".join(value.split())
    if len(value) > limit:
        value = value[:limit - 1].rstrip() + "…"
    return escape(value, quote=True)


def _open(width: int, height: int, title: str) -> list[str]:
    t = _text(title, 200)
    return [f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{t}" font-family="sans-serif" font-size="12">', f"<title>{t}</title>"]


def bar_chart(bars: Sequence[Bar], title: str, color: str = ACCENT, width: int = WIDTH, label_width: int = 190,
              bar_height: int = 18, gap: int = 7) -> str:
    """A ranked horizontal bar chart: one row per bar, in the order given, its value written after it."""
    top = 6
    height = top + max(len(bars), 1) * (bar_height + gap) + 4
    parts = _open(width, height, title)
    value_room = 70
    span = width - label_width - value_room
    peak = max((b.value for b in bars), default=0) or 1
    if not bars:
        parts.append(f'<text x="0" y="{top + bar_height - 4}" fill="{MUTED}">Nothing to show for this quarter.</text>')
    for i, b in enumerate(bars):
        y = top + i * (bar_height + gap)
        w = max(b.value, 0) / peak * span
        mid = y + bar_height / 2 + 4
        parts.append(f'<text x="{label_width - 8}" y="{mid:.1f}" text-anchor="end" fill="{INK}">'
                     f'{_text(b.label, 30)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height}" rx="2" fill="{color}"/>')
        parts.append(f'<text x="{label_width + w + 6:.1f}" y="{mid:.1f}" fill="{INK}">{_text(b.shown, 14)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_chart(stacks: Sequence[Stack], series: Sequence[Series], title: str, width: int = WIDTH,
                  height: int = 240) -> str:
    """Vertical stacked bars, one per column (a quarter), with a legend above, each segment's count in it (when
    it is tall enough) and the column's total above it."""
    legend_h, axis_h = 42, 38
    plot_top, plot_bottom = legend_h + 8, height - axis_h
    parts = _open(width, height, title)
    x = 0
    for s in series:
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" rx="2" fill="{s.color}"/>'
                     f'<text x="{x + 17}" y="14" fill="{INK}">{_text(s.label, 24)}</text>')
        x += 30 + 7 * len(s.label)
    peak = max((sum(st.values) for st in stacks), default=0) or 1
    n = max(len(stacks), 1)
    slot = width / n
    bar_w = min(90, slot * 0.6)
    parts.append(f'<line x1="0" y1="{plot_bottom}" x2="{width}" y2="{plot_bottom}" stroke="{GRID}"/>')
    for i, st in enumerate(stacks):
        cx = slot * i + slot / 2
        y: float = plot_bottom
        for s, v in zip(series, st.values):
            if v <= 0:
                continue
            h = v / peak * (plot_bottom - plot_top)
            y -= h
            parts.append(f'<rect x="{cx - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{s.color}"><title>{_text(s.label, 40)}: {v}</title></rect>')
            if h >= 14:
                parts.append(f'<text x="{cx:.1f}" y="{y + h / 2 + 4:.1f}" text-anchor="middle" '
                             f'fill="{text_on(s.color)}">{v}</text>')
        parts.append(f'<text x="{cx:.1f}" y="{y - 5:.1f}" text-anchor="middle" fill="{MUTED}">{sum(st.values)}</text>')
        parts.append(f'<text x="{cx:.1f}" y="{plot_bottom + 16}" text-anchor="middle" fill="{INK}" '
                     f'font-weight="bold">{_text(st.label, 16)}</text>')
        if st.note:
            parts.append(f'<text x="{cx:.1f}" y="{plot_bottom + 31}" text-anchor="middle" fill="{MUTED}">'
                         f'{_text(st.note, 20)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def text_on(color: str) -> str:
    """White or ink, whichever reads better on `color` (#rrggbb): ink on a light fill (WCAG relative luminance)."""
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * channel(color[1:3]) + 0.7152 * channel(color[3:5]) + 0.0722 * channel(color[5:7])
    return INK if lum > 0.3 else "#ffffff"


def quarter_grid(rows: Sequence[tuple[str, Sequence[str]]], series: Sequence[Series], title: str,
                 cell: int = 64, height: int = 20, label_width: int = 48) -> str:
    """A year-by-quarter grid: one row per year, a cell per quarter coloured by its verdict (the series' key) and
    its verdict written in it, so it reads without colour; an empty key leaves the cell blank (before the start,
    after the report). The quarters' names head the columns."""
    colors = {s.key: s for s in series}
    head, gap = 16, 3
    width = label_width + 4 * (cell + gap)
    total = head + max(len(rows), 1) * (height + gap)
    parts = _open(width, total, title)
    for q in range(4):
        x = label_width + q * (cell + gap) + cell / 2
        parts.append(f'<text x="{x:.1f}" y="12" text-anchor="middle" fill="{MUTED}">Q{q + 1}</text>')
    for i, (label, keys) in enumerate(rows):
        y = head + i * (height + gap)
        parts.append(f'<text x="{label_width - 8}" y="{y + height / 2 + 4:.1f}" text-anchor="end" fill="{INK}" '
                     f'font-weight="bold">{_text(label, 8)}</text>')
        for q, key in enumerate(keys[:4]):
            x = label_width + q * (cell + gap)
            s = colors.get(key)
            if s is None:
                parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{height}" rx="2" fill="none" '
                             f'stroke="{GRID}"/>')
                continue
            parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{height}" rx="2" fill="{s.color}"/>'
                         f'<text x="{x + cell / 2:.1f}" y="{y + height / 2 + 4:.1f}" text-anchor="middle" '
                         f'fill="{text_on(s.color)}">{_text(s.label, 10)}</text>')
    parts.append("</svg>")
    return "".join(parts)
