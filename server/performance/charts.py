"""Server-side charts: plain geometry for inline SVG, so a chart needs no JavaScript and no other site.

The templates draw what these functions compute; the numbers stay Decimal until they become pixels.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

# The drawing area inside the SVG's viewBox (user units); CSS scales the whole SVG.
# Narrow enough that a 360 px phone shows the whole chart with readable labels, no sideways scrolling.
WIDTH, HEIGHT = 420, 220
LEFT, RIGHT, TOP, BOTTOM = 50, 52, 12, 44  # the right margin holds the reference line's label
STEP = Decimal(25)  # grid lines every 25 percentage points


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: Decimal
    period: str
    faint: bool = False  # drawn hollow: shown, but it does not count (e.g. below the minimum sample)


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    points: list[Point]
    path: str  # "M x y L x y ..."; a period without data breaks the line instead of bridging it


@dataclass(frozen=True)
class Tick:
    at: float
    label: str

    @property
    def lines(self) -> list[str]:
        """ "Agu 2026" as two lines (month over year), so six labels fit side by side on a phone."""
        return self.label.rsplit(" ", 1)


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[Series]
    reference_y: float | None  # the horizontal line at `reference` (e.g. 100% = target reached)


@dataclass(frozen=True)
class SeriesData:
    key: str
    label: str
    values: list[Decimal | None]
    faint: list[bool] | None = None


def _scale_top(values: list[Decimal], reference: Decimal | None) -> Decimal:
    """The smallest multiple of STEP that holds every value, with a step of room above the reference."""
    highest = max([*values, reference + STEP if reference is not None else 2 * STEP])
    return (highest / STEP).to_integral_value(rounding=ROUND_CEILING) * STEP


def line_chart(
    labels: list[str],
    series: list[SeriesData],
    *,
    periods: list[str] | None = None,
    reference: Decimal | None = None,
) -> LineChart:
    """One x position per label (oldest first), y from 0 up to a rounded maximum."""
    count = len(labels)
    periods = periods or labels
    plot_right, plot_bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    present = [v for s in series for v in s.values if v is not None]
    top_value = _scale_top(present, reference)

    def x(index: int) -> float:
        if count == 1:
            return (LEFT + plot_right) / 2
        # Half a slot of padding at each end so the first and last labels fit under their points.
        slot = (plot_right - LEFT) / count
        return round(LEFT + slot * (index + 0.5), 2)

    def y(value: Decimal) -> float:
        clamped = min(max(value, Decimal(0)), top_value)
        return round(plot_bottom - float(clamped / top_value) * (plot_bottom - TOP), 2)

    drawn: list[Series] = []
    for data in series:
        points: list[Point] = []
        commands: list[str] = []
        pen_down = False
        for index, value in enumerate(data.values):
            if value is None:
                pen_down = False
                continue
            point = Point(x(index), y(value), value, periods[index], bool(data.faint and data.faint[index]))
            points.append(point)
            commands.append(f"{'L' if pen_down else 'M'} {point.x:g} {point.y:g}")
            pen_down = True
        drawn.append(Series(data.key, data.label, points, " ".join(commands)))
    steps = int(top_value // STEP)
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=plot_right,
        top=TOP,
        bottom=plot_bottom,
        x_ticks=[Tick(x(i), label) for i, label in enumerate(labels)],
        y_ticks=[Tick(y(STEP * n), f"{STEP * n:g}%") for n in range(steps + 1)],
        series=drawn,
        reference_y=y(reference) if reference is not None else None,
    )
