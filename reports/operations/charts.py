"""Charts drawn on the server as SVG: geometry computed here, drawn by the templates.

No script and no style attribute: every size and colour is an SVG attribute, so the charts
show under a strict Content-Security-Policy and print as they are.
"""

from dataclasses import dataclass

from reports.operations.selectors import QuestionShare

BAR_AREA_HEIGHT = 160
BAR_WIDTH = 22
BAR_GAP = 6
LEFT = 36
TOP = 10


@dataclass
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value: int
    label_x: int


@dataclass
class HourChart:
    width: int
    height: int
    bars: list[Bar]
    axis_y: int
    top_value: int
    total: int


def hour_chart(counts: list[int]) -> HourChart:
    """A bar per hour of the day, scaled to the busiest hour."""
    top = max(counts) or 1
    bars = []
    for hour, value in enumerate(counts):
        height = round(BAR_AREA_HEIGHT * value / top)
        x = LEFT + hour * (BAR_WIDTH + BAR_GAP)
        bars.append(
            Bar(
                x=x,
                y=TOP + BAR_AREA_HEIGHT - height,
                width=BAR_WIDTH,
                height=height,
                label=f"{hour:02d}",
                value=value,
                label_x=x + BAR_WIDTH // 2,
            )
        )
    return HourChart(
        width=LEFT + 24 * (BAR_WIDTH + BAR_GAP),
        height=TOP + BAR_AREA_HEIGHT + 30,
        bars=bars,
        axis_y=TOP + BAR_AREA_HEIGHT,
        top_value=max(counts),
        total=sum(counts),
    )


CELL_WIDTH = 64
CELL_HEIGHT = 22
LABEL_WIDTH = 150
HEADER_HEIGHT = 48


@dataclass
class Cell:
    x: int
    y: int
    opacity: str
    text: str
    title: str


@dataclass
class HeatRow:
    y: int
    label: str
    title: str
    cells: list[Cell]


@dataclass
class ShareChart:
    width: int
    height: int
    columns: list[tuple[int, str]]
    rows: list[HeatRow]
    cell_width: int = CELL_WIDTH
    cell_height: int = CELL_HEIGHT


def share_chart(regions: list[str], questions: list[QuestionShare]) -> ShareChart:
    """A grid: one row per question, one column per area, shaded by the share with a concern."""
    columns = [(LABEL_WIDTH + i * CELL_WIDTH + CELL_WIDTH // 2, r) for i, r in enumerate(regions)]
    rows = []
    for index, question in enumerate(questions):
        y = HEADER_HEIGHT + index * CELL_HEIGHT
        cells = []
        for column, region in enumerate(regions):
            concerns, stations = question.areas.get(region, (0, 0))
            share = concerns / stations if stations else 0
            cells.append(
                Cell(
                    x=LABEL_WIDTH + column * CELL_WIDTH,
                    y=y,
                    opacity=f"{0.08 + 0.92 * share:.2f}" if stations else "0",
                    text=f"{round(100 * share)}%" if stations else "–",
                    title=f"{region}: {concerns}/{stations}",
                )
            )
        rows.append(HeatRow(y=y, label=question.code, title=question.text, cells=cells))
    return ShareChart(
        width=LABEL_WIDTH + max(len(regions), 1) * CELL_WIDTH,
        height=HEADER_HEIGHT + max(len(questions), 1) * CELL_HEIGHT + 4,
        columns=columns,
        rows=rows,
    )
