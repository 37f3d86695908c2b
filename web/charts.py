"""Bar charts drawn on the server as SVG shapes: no script, nothing loaded from elsewhere.

The functions return plain data (rectangles, labels, a legend) that the ``charts.html``
macros turn into SVG; each bar carries a title (the number it stands for), so a screen
reader or a mouse can read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLASSES = ("bar-a", "bar-b", "bar-c", "bar-d", "bar-e")


@dataclass
class Chart:
    """An SVG chart: its size, bars, axis labels and legend."""

    width: int
    height: int
    bars: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    top: int = 0
    empty: bool = False


def stacked(columns: list[str], series: dict[str, dict[str, int]], width: int = 640,
            height: int = 200) -> Chart:
    """One bar per column, stacked by series: ``series[name][column] = value``."""
    names = sorted(series)
    totals = [sum(series[n].get(c, 0) for n in names) for c in columns]
    top = max(totals, default=0)
    chart = Chart(width, height, top=top, empty=top == 0,
                  legend=[(n, CLASSES[k % len(CLASSES)]) for k, n in enumerate(names)])
    plot_h, base = height - 30, height - 20
    step = (width - 40) / max(len(columns), 1)
    for i, column in enumerate(columns):
        y = base
        for k, name in enumerate(names):
            value = series[name].get(column, 0)
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            chart.bars.append({"x": round(30 + i * step + 2, 1), "y": round(y, 1),
                               "w": round(max(step - 4, 1), 1), "h": round(h, 1),
                               "cls": CLASSES[k % len(CLASSES)], "title": f"{column} {name}: {value}"})
        if len(columns) <= 16 or i % 2 == 0:
            chart.labels.append({"x": round(30 + i * step + step / 2, 1), "y": height - 6,
                                 "text": column[5:] if len(column) == 10 else column})
    return chart


def grouped(groups: list[str], series: list[str], values: dict[tuple[str, str], int], width: int = 640,
            height: int = 200) -> Chart:
    """Side-by-side bars per group: ``values[(group, series)] = value``."""
    top = max(values.values(), default=0)
    chart = Chart(width, height, top=top, empty=top == 0,
                  legend=[(s, CLASSES[k % len(CLASSES)]) for k, s in enumerate(series)])
    plot_h, base = height - 30, height - 20
    step = (width - 40) / max(len(groups), 1)
    bar = max((step - 8) / max(len(series), 1), 1)
    for i, group in enumerate(groups):
        for k, name in enumerate(series):
            value = values.get((group, name), 0)
            h = plot_h * value / top if top else 0
            chart.bars.append({"x": round(30 + i * step + 4 + k * bar, 1), "y": round(base - h, 1),
                               "w": round(bar - 1, 1), "h": round(h, 1), "cls": CLASSES[k % len(CLASSES)],
                               "title": f"{group} {name}: {value}"})
        chart.labels.append({"x": round(30 + i * step + step / 2, 1), "y": height - 6, "text": group})
    return chart


def horizontal(items: list[tuple[str, float | None, str]], top: float, width: int = 640,
               bar: int = 18) -> Chart:
    """One horizontal bar per item: ``(label, value, text)``, drawn to ``value / top`` of the
    width, ``text`` written beside it (e.g. the counts behind a rate); a None value has no bar."""
    label_w, gap = 110, 6
    height = len(items) * (bar + gap) + gap
    chart = Chart(width, height, top=top, empty=all(v is None for _, v, _ in items))
    span = width - label_w - 150
    for k, (label, value, text) in enumerate(items):
        y = gap + k * (bar + gap)
        w = round(span * min(value / top, 1.0), 1) if value and top else 0
        if w:
            chart.bars.append({"x": label_w, "y": y, "w": w, "h": bar, "cls": CLASSES[0],
                               "title": f"{label}: {text}"})
        chart.labels.append({"x": label_w - 6, "y": y + bar - 5, "text": label, "anchor": "end"})
        chart.labels.append({"x": label_w + w + 6, "y": y + bar - 5, "text": text, "anchor": "start"})
    return chart
