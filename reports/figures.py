"""Which plots the page shows, from a report's numbers: a per-case scatter of the two leading methods of a
setting, and each method's score across settings (against the scale factor of robustness tracks that rescale
one body group, and per setting otherwise)."""

from __future__ import annotations

from a2bench.reports.plots import Point, lines_svg, scatter_svg
from a2bench.reports.runs import Report, Section
from a2bench.reports.table import Column, Leaderboard, build_leaderboard

MAX_METRICS = 4  # metrics plotted across settings


def scatter_figure(section: Section, board: Leaderboard, columns: list[Column], salt: str) -> tuple[str | None, str]:
    """The per-case scatter of the two best methods on the first case metric (None when fewer than two methods
    share two scored cases), and its caption."""
    for column in columns:
        index = board.columns.index(column)
        ranked = sorted((row for row in board.rows if row.cells[index].value is not None),
                        key=lambda row: row.cells[index].value, reverse=column.higher_is_better)
        if len(ranked) < 2:
            continue
        first, second = ranked[0].name, ranked[1].name
        a, b = section.methods[first].get("per_case", {}), section.methods[second].get("per_case", {})
        points = [(a[c][column.key], b[c][column.key]) for c in sorted(set(a) & set(b))
                  if column.key in a[c] and column.key in b[c]]
        if len(points) < 2:
            continue
        better = "above" if column.higher_is_better else "below"
        caption = (f"{column.heading} per case: {second} (y) against {first} (x), {len(points)} cases. Points "
                   f"{better} the diagonal are cases where {second} does better.")
        return scatter_svg(points, first, second, f"{column.heading} per case", salt), caption
    return None, ""


def _scale_track(setting: str) -> tuple[str, float] | None:
    """(group, factor) of a robustness track that rescales exactly one body group, else None."""
    from a2bench.data.derive import parse_setting
    from a2bench.errors import A2BenchError

    try:
        parsed = parse_setting(setting)
    except A2BenchError:
        return None
    if parsed.kind == "track" and len(parsed.scales) == 1 and not parsed.drop and not parsed.anchor:
        return parsed.scales[0]
    return None


def _point(board: Leaderboard, method: str, index: int, x: float) -> Point | None:
    for row in board.rows:
        if row.name == method and row.cells[index].value is not None:
            cell = row.cells[index]
            low, high = cell.ci95 or (None, None)
            return Point(x, cell.value, low, high)  # type: ignore[arg-type]
    return None


def across_settings_svgs(report: Report) -> list[str]:
    """Plots of the report's settings (none with a single setting), one per metric with values (at most
    MAX_METRICS): score against the scale factor per body group when there are such tracks, else per setting."""
    if len(report.sections) < 2:
        return []
    boards = {section.setting: build_leaderboard(section) for section in report.sections}
    methods = list(dict.fromkeys(m for section in report.sections for m in section.methods))
    columns = {c.key: c for board in boards.values() for c in board.columns}
    svgs: list[str] = []
    for key, column in columns.items():
        indices = {s: [c.key for c in b.columns].index(key) for s, b in boards.items()
                   if key in [c.key for c in b.columns]}
        tracks = {s: track for s in indices if (track := _scale_track(s))}
        salt = f"x{len(svgs)}"
        if tracks:
            panels = {}
            for group in sorted({group for group, _ in tracks.values()}):
                chosen = sorted([(factor, s) for s, (g, factor) in tracks.items() if g == group]
                                + ([(1.0, "self")] if "self" in indices else []))
                panels[f"{group} scaled"] = _series(boards, indices, methods, chosen)
            svg = lines_svg(panels, "scale factor (1 = self)", column.heading, salt) if _plotted(panels) else None
        else:
            panels = {f"{column.heading} per setting": _series(boards, indices, methods,
                                                               [(i, s) for i, s in enumerate(indices)])}
            svg = lines_svg(panels, "setting", column.heading, salt, categories=list(indices)) \
                if _plotted(panels) else None
        if svg:
            svgs.append(svg)
        if len(svgs) == MAX_METRICS:
            break
    return svgs


def _series(boards: dict[str, Leaderboard], indices: dict[str, int], methods: list[str],
            chosen: list[tuple[float, str]]) -> dict[str, list[Point]]:
    """Per method, its points at the chosen (x, setting) pairs where it has a value."""
    series = {}
    for method in methods:
        points = [p for x, s in chosen if (p := _point(boards[s], method, indices[s], x)) is not None]
        if points:
            series[method] = points
    return series


def _plotted(panels: dict[str, dict[str, list[Point]]]) -> bool:
    return any(series for series in panels.values())
