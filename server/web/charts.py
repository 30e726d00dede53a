"""Geometry of the dashboard's charts, drawn as inline SVG by templates/dashboard/_charts.html.

Positions are percentages of the chart's width (no viewBox), so the bars follow the width of
the screen while the text keeps its size on a phone. Every number is also written as text.
"""
ROW_PX = 46          # one row: its label line and its bar
BAR_SPAN = 78        # per cent of the width the longest bar takes; the rest holds its number
TILE_PX = 50
COLUMNS = 3


def bar_chart(chart_id, title, rows, series):
    """rows: [(label, [value per series])]; series: [(css_class, name)], stacked left to right.
    The first series is the main figure; the others are named beside it when not zero."""
    top = max((sum(values) for _label, values in rows), default=0) or 1
    drawn = []
    for index, (label, values) in enumerate(rows):
        x, segments = 0.0, []
        for (css, name), value in zip(series, values):
            width = BAR_SPAN * value / top
            segments.append({"css": css, "name": name, "value": value,
                             "x": round(x, 2), "width": round(width, 2)})
            x += width
        drawn.append({"label": label, "y": index * ROW_PX, "segments": segments,
                      "end": round(x, 2), "text": _row_text(series, values)})
    return {"id": chart_id, "title": title, "rows": drawn, "series": series,
            "height": max(len(rows), 1) * ROW_PX, "span": BAR_SPAN,
            "summary": "；".join(f"{row['label']}：{row['text']}" for row in drawn) or "暂无数据"}


def _row_text(series, values):
    total = sum(values)
    extra = [f"{name} {value}" for (_css, name), value in zip(series[1:], values[1:]) if value]
    return f"{total}（{'，'.join(extra)}）" if extra else str(total)


def coverage_tiles(chart_id, title, counties):
    """One tile per county, three to a row: covered (green) or not yet (amber)."""
    width = 100 / COLUMNS
    tiles = [{"name": c["name"], "covered": c["covered"],
              "status": "已覆盖" if c["covered"] else "尚未巡查",
              "x": round((i % COLUMNS) * width, 3), "y": (i // COLUMNS) * TILE_PX,
              "width": round(width - 1.5, 3)} for i, c in enumerate(counties)]
    rows = -(-len(tiles) // COLUMNS)
    return {"id": chart_id, "title": title, "tiles": tiles, "height": max(rows, 1) * TILE_PX,
            "summary": "；".join(f"{t['name']}：{t['status']}" for t in tiles)}
