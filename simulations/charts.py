"""Server-rendered SVG chart of the capital year by year: no JavaScript, no inline style (CSP);
the page shows the same figures in a table for screen readers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from policies.swiss import amount

WIDTH, HEIGHT = 480, 300
LEFT, RIGHT, TOP, BOTTOM = 80, 14, 14, 48
FONT = 16
# Colour and dash pattern, so the lines differ without colour too.
STYLES = [("#0b3d6e", ""), ("#b3261e", "8 5")]


def _nice_max(value: Decimal) -> Decimal:
    if value <= 0:
        return Decimal(1000)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = magnitude * Decimal(str(step))
        if top >= value:
            return top
    return value


def _frame(*, title: str, desc: str, top: Decimal, y) -> list[str]:
    """The chart's opening, title and description, and the amount grid (five lines, 0 to top)."""
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
    ]
    for i in range(5):
        value = top * i / 4
        yy = y(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}" '
                     f'stroke="#d5dce3" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{yy + 5:.1f}" text-anchor="end" font-size="{FONT}" '
                     f'fill="#44505f">{amount(value, decimals=0)}</text>')
    return parts


def capital_chart_svg(series: list[tuple[str, list[list]]], *, title: str, desc: str) -> SafeString:
    """series: [(label, [[year, age, capital], ...]), ...]."""
    points = [(int(r[1]), Decimal(str(r[2]))) for _, rows in series for r in rows]
    if not points:
        return SafeString("")
    ages = [a for a, _ in points]
    lo, hi = min(ages), max(ages)
    span = max(hi - lo, 1)
    top = _nice_max(max(c for _, c in points))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(age: int) -> float:
        return LEFT + (age - lo) / span * plot_w

    def y(capital: Decimal) -> float:
        return TOP + plot_h - float(capital / top) * plot_h

    parts = _frame(title=title, desc=desc, top=top, y=y)
    step = 1 if span <= 12 else 5 if span <= 40 else 10
    for age in range(lo, hi + 1):
        if (age - lo) % step == 0 or age == hi:
            parts.append(f'<text x="{x(age):.1f}" y="{HEIGHT - BOTTOM + 22}" text-anchor="middle" '
                         f'font-size="{FONT}" fill="#44505f">{age}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 4}" text-anchor="middle" '
                 f'font-size="{FONT}" fill="#44505f">{escape(_age_label())}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#44505f"/>')
    for index, (label, rows) in enumerate(series):
        color, dash = STYLES[index % len(STYLES)]
        coords = " ".join(f"{x(int(r[1])):.1f},{y(Decimal(str(r[2]))):.1f}" for r in rows)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" '
                     f'stroke-width="3"{dash_attr}><title>{escape(label)}</title></polyline>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node above is escaped


def _age_label() -> str:
    return gettext("Âge")


def dated_chart_svg(points: list[tuple[date, Decimal]], *, title: str, desc: str) -> SafeString:
    """One line of amounts by date (a policy's surrender value): the same drawing as
    capital_chart_svg, with the years on the horizontal axis. The page shows the same figures
    in a table."""
    if not points:
        return SafeString("")
    points = sorted(points)
    first, last = points[0][0].toordinal(), points[-1][0].toordinal()
    span = max(last - first, 1)
    top = _nice_max(max(value for _, value in points))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + (day.toordinal() - first) / span * plot_w

    def y(value: Decimal) -> float:
        return TOP + plot_h - float(value / top) * plot_h

    parts = _frame(title=title, desc=desc, top=top, y=y)
    # A tick on each 1 January inside the range (or the first date's year when there is none).
    ticks = [date(year, 1, 1) for year in range(points[0][0].year, points[-1][0].year + 1)
             if points[0][0] <= date(year, 1, 1)] or [points[0][0]]
    step = 1 if len(ticks) <= 6 else 2 if len(ticks) <= 12 else 5
    for index, tick in enumerate(ticks):
        if index % step == 0:
            parts.append(f'<text x="{x(tick):.1f}" y="{HEIGHT - BOTTOM + 22}" '
                         f'text-anchor="middle" font-size="{FONT}" fill="#44505f">{tick.year}'
                         f'</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#44505f"/>')
    color, _dash = STYLES[0]
    coords = " ".join(f"{x(day):.1f},{y(value):.1f}" for day, value in points)
    parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="3">'
                 f'<title>{escape(title)}</title></polyline>')
    for day, value in points[-1:]:  # the current value, marked
        parts.append(f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="5" fill="{color}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node above is escaped
