"""A network small enough to show every label: the spacing of its columns and rows, and one fixed spot
per label, reserved at the largest size the label takes in any phase (forward, backward, update).

Labels keep their spot while stepping, so nothing jumps when a gradient or a new value appears, and no
two labels can overlap: each is drawn inside the box reserved for it. An edge's label is centred on its
edge (a fraction 0.2 to 0.8 of the way from source to target) or set right beside it; of the free spots
the one crossing the fewest other edges wins, so it is clear which edge a label belongs to. When some
label finds no free spot the columns or rows move apart (whichever keeps the drawing closest to the
view's proportions) and the placement starts again.

Boxes here are plain (left, top, right, bottom) tuples: a placement tries thousands of them.
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]
Size = tuple[float, float]
EdgeKey = tuple[int, int, int]      # (layer, source, target), as w{layer}{source}{target}
NeuronKey = tuple[int, int]         # (layer, neuron), layer 0 the inputs
#: Where an edge label goes: the centre of its reserved box, and whether the box is centred on the edge
#: (0), just above (−1) or below (+1) it, or just left (−2) or right (+2) of it; a smaller label then
#: keeps to the edge's side of the box.
Anchor = tuple[float, float, int]

#: Space kept between a label and a circle, another label or the neuron it belongs to (scene units).
GAP = 3.0
#: Where along its edge a label may be centred, in order of preference.
FRACTIONS = (0.3, 0.7, 0.5, 0.4, 0.6, 0.35, 0.65, 0.25, 0.75, 0.45, 0.55, 0.2, 0.8, 0.15, 0.85)
#: Then right beside the edge (just above or below it, then just left or right of it) at these fractions.
BESIDE_FRACTIONS = (0.5, 0.35, 0.65, 0.25, 0.75, 0.2, 0.8)
GROWTH = 1.08
MAX_ATTEMPTS = 20
#: How many narrower gaps are tried once a spacing is found.
TIGHTEN_TRIES = 4
#: Height kept under the network for the legend when matching the view's proportions.
LEGEND_ROOM = 50.0


@dataclass(frozen=True, slots=True)
class Reserved:
    """The largest size of every label: edges' by EdgeKey; neurons' top, bottom and side by NeuronKey."""

    edges: dict[EdgeKey, Size]
    tops: dict[NeuronKey, Size]
    bottoms: dict[NeuronKey, Size]
    sides: dict[NeuronKey, Size]


@dataclass(frozen=True, slots=True)
class Plan:
    """The distance between each two columns, between rows, and the centre of every edge label
    (missing: no room was found)."""

    dxs: tuple[float, ...]
    dy: float
    anchors: dict[EdgeKey, Anchor]
    complete: bool

    def __repr__(self) -> str:
        dxs = ", ".join(f"{dx:.1f}" for dx in self.dxs)
        return f"Plan(dxs=({dxs}), dy={self.dy:.1f}, {len(self.anchors)} edge labels, complete={self.complete})"


def position(sizes: list[int], layer: int, neuron: int, left: float, dxs, dy: float) -> tuple[float, float]:
    """Centre of neuron `neuron` (1-based) of `layer`: columns left to right `dxs` apart, each centred on y = 0."""
    return left + sum(dxs[:layer]), (neuron - (sizes[layer] + 1) / 2) * dy


def top_box(centre: tuple[float, float], radius: float, size: Size) -> Box:
    """Above the circle, its bottom edge GAP clear of it."""
    x, y = centre
    return (x - size[0] / 2, y - radius - GAP - size[1], x + size[0] / 2, y - radius - GAP)


def bottom_box(centre: tuple[float, float], radius: float, size: Size) -> Box:
    """Below the circle, its top edge GAP clear of it."""
    x, y = centre
    return (x - size[0] / 2, y + radius + GAP, x + size[0] / 2, y + radius + GAP + size[1])


def side_box(centre: tuple[float, float], radius: float, size: Size, left: bool) -> Box:
    """Beside the circle (left of an input, right of an output), vertically centred on it."""
    x, y = centre
    near = radius + GAP + 2
    x0 = x - near - size[0] if left else x + near
    return (x0, y - size[1] / 2, x0 + size[0], y + size[1] / 2)


def row_spacing(sizes: list[int], radius: float, reserved: Reserved) -> float:
    """The least distance between two neurons of a column that keeps their own labels apart."""
    needed = 2 * radius + 2 * GAP
    for (layer, neuron), bottom in reserved.bottoms.items():
        if neuron < sizes[layer]:
            top = reserved.tops.get((layer, neuron + 1), (0.0, 0.0))
            needed = max(needed, 2 * radius + 3 * GAP + bottom[1] + top[1] + GAP)
    for (layer, neuron), side in reserved.sides.items():
        if neuron < sizes[layer]:
            below = reserved.sides.get((layer, neuron + 1), (0.0, 0.0))
            needed = max(needed, (side[1] + below[1]) / 2 + GAP)
    return needed


def plan(sizes: list[int], radius: float, reserved: Reserved, left: float, dx: float, dy: float,
         aspect: float) -> Plan:
    """Spacing of at least (`dx`, `dy`) at which every edge label finds a spot. A gap between two
    columns where some label found none widens, or the rows move apart, whichever keeps the drawing
    closer to `aspect` (the view's width over height)."""
    dxs, dy = [dx] * (len(sizes) - 1), max(dy, row_spacing(sizes, radius, reserved))
    wanted = sum(size != (0.0, 0.0) for size in reserved.edges.values())
    right = radius + GAP + max((size[0] for size in reserved.sides.values()), default=0.0)
    above_below = max((size[1] for size in reserved.tops.values()), default=0.0) + \
        max((size[1] for size in reserved.bottoms.values()), default=0.0) + LEGEND_ROOM
    best = None
    for _attempt in range(MAX_ATTEMPTS):
        anchors = _try_orders(sizes, radius, reserved, left, dxs, dy, wanted)
        if len(anchors) == wanted:
            widest = max((size[0] for size in reserved.edges.values()), default=0.0)
            return _tightened(sizes, radius, reserved, left, Plan(tuple(dxs), dy, anchors, True), wanted,
                              min(dx, widest + 2 * radius + 4 * GAP), dy)
        if best is None or len(anchors) > len(best.anchors):
            best = Plan(tuple(dxs), dy, anchors, False)
        width = left + sum(dxs) + right
        height = (max(sizes) - 1) * dy + 2 * radius + above_below
        if width / height > aspect:
            dy *= GROWTH
        else:
            crowded = {key[0] for key, size in reserved.edges.items() if key not in anchors and size != (0.0, 0.0)}
            dxs = [dx * GROWTH if layer in crowded else dx for layer, dx in enumerate(dxs, start=1)]
    return best


def _try_orders(sizes, radius, reserved: Reserved, left, dxs, dy, wanted: int) -> dict[EdgeKey, Anchor]:
    """The most edge labels placed by any of the orders (all of them as soon as one order manages)."""
    anchors = {}
    for order in ORDERS:
        anchors = max(anchors, _place_edges(sizes, radius, reserved, left, dxs, dy, order), key=len)
        if len(anchors) == wanted:
            break
    return anchors


def _tightened(sizes, radius, reserved: Reserved, left, found: Plan, wanted: int, least_dx: float,
               least_dy: float) -> Plan:
    """`found` with its gaps moved closer again where every label still finds a spot: growing widens every
    crowded gap at once, and often only one of them needed it. A few tries, widest gap first."""
    dxs = list(found.dxs)
    tries = 0
    for index in sorted(range(len(dxs)), key=lambda i: -dxs[i]):
        while tries < TIGHTEN_TRIES and dxs[index] / GROWTH >= least_dx:
            tries += 1
            narrower = dxs[:index] + [dxs[index] / GROWTH] + dxs[index + 1:]
            anchors = _try_orders(sizes, radius, reserved, left, narrower, found.dy, wanted)
            if len(anchors) < wanted:
                break
            dxs, found = narrower, Plan(tuple(narrower), found.dy, anchors, True)
    return found


def _place_edges(sizes, radius, reserved: Reserved, left, dxs, dy, order) -> dict[EdgeKey, Anchor]:
    centres = {(layer, neuron): position(sizes, layer, neuron, left, dxs, dy)
               for layer, size in enumerate(sizes) for neuron in range(1, size + 1)}
    last = len(sizes) - 1
    taken: list[Box] = []
    for key, centre in centres.items():
        x, y = centre
        taken.append((x - radius - GAP, y - radius - GAP, x + radius + GAP, y + radius + GAP))
        if key in reserved.tops:
            taken.append(top_box(centre, radius, reserved.tops[key]))
        if key in reserved.bottoms:
            taken.append(bottom_box(centre, radius, reserved.bottoms[key]))
        if key in reserved.sides:
            taken.append(side_box(centre, radius, reserved.sides[key], left=key[0] == 0 and last > 0))
    lines = {key: _rim_line(centres[(key[0] - 1, key[1])], centres[(key[0], key[2])], radius)
             for key in reserved.edges}
    # A label stays within half its width of its gap: only boxes near the gap can be in its way.
    reach = max((size[0] for size in reserved.edges.values()), default=0.0) + GAP
    spans = {layer: (left + sum(dxs[:layer - 1]) - reach, left + sum(dxs[:layer]) + reach)
             for layer in range(1, len(sizes))}
    nearby = {layer: [box for box in taken if box[0] < x1 and box[2] > x0] for layer, (x0, x1) in spans.items()}
    anchors = {}
    for key in sorted(reserved.edges, key=order(sizes)):
        size = reserved.edges[key]
        if size == (0.0, 0.0):
            continue
        others = [line for other, line in lines.items() if other[0] == key[0] and other != key]
        spot = _best_spot(lines[key], size, nearby[key[0]], others)
        if spot is not None:
            anchors[key] = spot
            box = _box(spot[:2], size)
            for layer, (x0, x1) in spans.items():
                if box[0] < x1 and box[2] > x0:
                    nearby[layer].append(box)
    return anchors


def _steepest_first(sizes: list[int]):
    """Labels of the busiest gaps first, and there the steepest edges (they cross the most others)."""
    def key(edge: EdgeKey):
        layer, source, target = edge
        return (-sizes[layer - 1] * sizes[layer], -_slope(sizes, edge), layer, target, source)
    return key


def _flattest_first(sizes: list[int]):
    """Labels of the busiest gaps first, and there the flattest edges (they pass closest to neurons)."""
    def key(edge: EdgeKey):
        layer, source, target = edge
        return (-sizes[layer - 1] * sizes[layer], _slope(sizes, edge), layer, source, target)
    return key


def _by_target(sizes: list[int]):
    """Each neuron's incoming edges together, top to bottom."""
    def key(edge: EdgeKey):
        layer, source, target = edge
        return (layer, target, source)
    return key


def _slope(sizes: list[int], edge: EdgeKey) -> float:
    layer, source, target = edge
    return abs((source - (sizes[layer - 1] + 1) / 2) - (target - (sizes[layer] + 1) / 2))


#: The orders labels are placed in; a greedy placement that fails in one often succeeds in another.
ORDERS = (_steepest_first, _flattest_first, _by_target)


def _rim_line(start, end, radius) -> tuple[float, float, float, float]:
    """The visible part of an edge: from the rim of one circle to the rim of the other."""
    (x0, y0), (x1, y1) = start, end
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    if length <= 2 * radius:
        return (x0, y0, x1, y1)
    a, b = radius / length, 1 - radius / length
    return (x0 + a * (x1 - x0), y0 + a * (y1 - y0), x0 + b * (x1 - x0), y0 + b * (y1 - y0))


def _candidates(line, size: Size):
    """(centre x, centre y, side): on the edge (side 0), then just above (−1) or below (+1) it."""
    x0, y0, x1, y1 = line
    for t in FRACTIONS:
        yield (x0 + t * (x1 - x0), y0 + t * (y1 - y0), 0)
    shift = size[1] / 2 + GAP
    for t in BESIDE_FRACTIONS:
        x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        yield (x, y - shift, -1)
        yield (x, y + shift, 1)
    if abs(y1 - y0) > abs(x1 - x0) / 4:   # a steep edge: beside it is also to its left or right
        shift = size[0] / 2 + GAP
        for t in BESIDE_FRACTIONS:
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            if x - 2 * shift >= x0:   # within the gap between the two columns
                yield (x - shift, y, -2)
            if x + 2 * shift <= x1:
                yield (x + shift, y, 2)


def _best_spot(line, size: Size, taken: list[Box], others: list) -> Anchor | None:
    """The free candidate crossing the fewest other edges (the first one on a tie)."""
    best, best_crossings = None, None
    for spot in _candidates(line, size):
        box = _box(spot[:2], size)
        if any(_overlap(box, other) for other in taken):
            continue
        crossings = sum(_crosses(box, other) for other in others)
        if best is None or crossings < best_crossings:
            best, best_crossings = spot, crossings
            if crossings == 0:
                break
    return best


def label_box(anchor: Anchor, reserved: Size, size: Size) -> Box:
    """The box of a label of `size` in the spot `anchor` reserved at `reserved`: centred on its edge, or
    as close to it as the reserved box allows."""
    x, y, side = anchor
    left, top = x - size[0] / 2, y - size[1] / 2
    if side == 1:
        top = y - reserved[1] / 2
    elif side == -1:
        top = y + reserved[1] / 2 - size[1]
    elif side == 2:
        left = x - reserved[0] / 2
    elif side == -2:
        left = x + reserved[0] / 2 - size[0]
    return (left, top, left + size[0], top + size[1])


def _box(centre: tuple[float, float], size: Size) -> Box:
    x, y = centre
    return (x - size[0] / 2, y - size[1] / 2, x + size[0] / 2, y + size[1] / 2)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] + GAP and b[0] < a[2] + GAP and a[1] < b[3] + GAP and b[1] < a[3] + GAP


def _crosses(box: Box, line) -> bool:
    """Whether the segment `line` passes through `box` (edges run left to right, never vertical)."""
    x0, y0, x1, y1 = line
    left, right = max(box[0], min(x0, x1)), min(box[2], max(x0, x1))
    if left >= right or x1 == x0:
        return False
    slope = (y1 - y0) / (x1 - x0)
    ya, yb = y0 + slope * (left - x0), y0 + slope * (right - x0)
    return min(ya, yb) < box[3] and max(ya, yb) > box[1]
