"""The network as a graphics scene: layer columns left to right, items redrawn from the document."""

from __future__ import annotations

from collections import Counter

import numpy as np

from PySide6.QtCore import QPointF, QRectF, QTimer, Signal
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from simulator.formatting import format_number
from simulator.records import FactorRecord, PathTerm
from ui.overlay import Overlay, overlay_from

from ..document import Change
from . import full_layout, style
from .edge_item import EdgeItem
from .item_state import edge_states, neuron_states
from .label_item import PADDING_X, PADDING_Y, LabelItem
from .label_layout import LabelRequest, place_labels
from .legend_item import LegendItem
from .neuron_item import NeuronItem

#: Networks with at most this many neurons in every layer and this many hidden layers show every label
#: at once; larger ones show weights only for the current step, the selection and the item under the
#: mouse: all of them at once cannot be read.
FULL_LABELS_MAX_NEURONS = 4
FULL_LABELS_MAX_HIDDEN = 3
#: With more weights than this between two layers, a weight's label is its value (its name is in its
#: tooltip): labels as wide as `w111 = −0.123457` do not fit side by side on the edges.
NARROW_LABELS_ABOVE = 6
#: Width over height the full layout aims for when labels need more room: narrower than the graph at
#: 1280×800 with every panel (about 2.3), so that a 2-4-4-1 network fits that width at 70 % and shows
#: whole once the panels below the graph are hidden.
VIEW_ASPECT = 2.0
#: In presentation mode (style.SCALE > 1) weight labels are values alone (their names in the tooltip,
#: the legend says what ∂ and δ are), the rows start closer and a crowded gap between columns widens
#: rather than the rows moving apart: the labels grow and the drawing does not, so fitted to the same
#: area its numbers really are larger on screen.
PRESENTATION_ASPECT = 3.0
PRESENTATION_ROW_SHARE = 1.2
#: In a large network the current step's weights are labelled when there are at most this many; a
#: forward step into a wide layer shows its neuron's values and leaves the weights to the formula.
COMPACT_HIGHLIGHT_LABELS = 4
#: An input layer larger than this is drawn compactly: small circles close together, and the inputs'
#: labels shown where there is room (always for the current step, the selection and the hovered input).
LARGE_INPUT_LAYER = 8
COMPACT_INPUT_RADIUS, COMPACT_INPUT_SPACING = 11.0, 28.0
#: Neurons of a network that shows every label: smaller circles once a column has three rows, since
#: its labels, not its circles, need the room.
FULL_RADIUS, DENSE_RADIUS = 24.0, 18.0
#: The area the network is laid out in (scene units, about pixels at 100 % zoom).
NOMINAL_WIDTH, NOMINAL_HEIGHT = 780.0, 420.0
INPUT_MARGIN, OUTPUT_MARGIN, COMPACT_OUTPUT_MARGIN = 120.0, 160.0, 140.0
LABEL_GAP = 3.0
LEGEND_GAP = 8.0
#: The least distance between two columns of a network that shows every label; the plan widens a gap
#: whose labels need more.
MIN_COLUMN_GAP = 200.0
#: Room kept around the drawing (scene units).
EXTENT_MARGIN = 4.0
#: At most about this many of an input's distinct values are measured for the width of its label.
MEASURED_VALUES = 512
#: Where along an edge its label may sit (fraction from source to target), in order of preference.
EDGE_FRACTIONS = (0.3, 0.5, 0.7, 0.4, 0.6, 0.2, 0.8, 0.25, 0.75, 0.45, 0.55, 0.15, 0.85)
#: In a large network, labels of edges that converge on one neuron start near their sources.
NEAR_SOURCE_FRACTIONS = (0.22, 0.3, 0.15, 0.38, 0.45, 0.5, 0.55, 0.62, 0.7, 0.78)
#: Then beside the edge, just above or below it, at these fractions.
BESIDE_FRACTIONS = (0.5, 0.35, 0.65, 0.25, 0.75)


def is_large(sizes: list[int]) -> bool:
    """Whether a network of `sizes` is too large to label every weight at once."""
    return max(sizes) > FULL_LABELS_MAX_NEURONS or len(sizes) - 2 > FULL_LABELS_MAX_HIDDEN


def is_crowded(sizes: list[int]) -> bool:
    """Whether weight labels must be short (the value alone) for every label to show at once."""
    return max(a * b for a, b in zip(sizes, sizes[1:])) > NARROW_LABELS_ABOVE


class NetworkScene(QGraphicsScene):
    """Builds neuron and edge items from `document.network`; refreshes them when the document changes."""

    edit_requested = Signal(object)   # the NeuronItem or EdgeItem whose value should be edited
    rebuilt = Signal()                # items were replaced after a structural change
    focus_changed = Signal()          # an item was hovered, left, selected or deselected

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self.compact = False
        self.narrow = False
        self.compact_inputs = False
        self._neurons: dict[tuple[int, int], NeuronItem] = {}
        self._edges: dict[tuple[int, int, int], EdgeItem] = {}
        self._legend: LegendItem | None = None
        self._busy = False
        self._overlay = Overlay()
        #: The term of a sum over paths lit on the graph (shown only while its factor is the current step).
        self._term: PathTerm | None = None
        self._placed: tuple | None = None   # what the labels were last placed for (None: place them)
        #: When every label shows: the largest size of each label and its edge labels' centres.
        self._reserved: full_layout.Reserved | None = None
        self._anchors: dict[tuple[int, int, int], full_layout.Anchor] = {}
        self.setBackgroundBrush(style.SCENE_BACKGROUND)
        document.changed.connect(self._document_changed)
        # One refresh per turn of the event loop however many changes arrive (stepping in a loop makes
        # several); drawing waits for it anyway.
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self.rebuild()

    def _document_changed(self, change) -> None:
        if change & Change.STRUCTURE:
            self.rebuild()
        elif change & Change.DISPLAY:
            self.relayout()
        elif change & (Change.PARAMETERS | Change.RECORDS | Change.POSITION | Change.DATA):
            self.schedule_refresh()

    # -- lookup --------------------------------------------------------------------------------
    def neuron_item(self, layer: int, neuron: int) -> NeuronItem:
        """Neuron `neuron` (1-based) of `layer` (0 = inputs)."""
        return self._neurons[(layer, neuron)]

    def edge_item(self, layer: int, source: int, target: int) -> EdgeItem:
        """The item of weight w{layer}{source}{target}."""
        return self._edges[(layer, source, target)]

    def neuron_items(self) -> list[NeuronItem]:
        return list(self._neurons.values())

    def edge_items(self) -> list[EdgeItem]:
        return list(self._edges.values())

    def label_items(self) -> list[LabelItem]:
        return [label for item in self.neuron_items() for label in item.labels()] + \
               [edge.label for edge in self.edge_items()]

    def ordered_items(self) -> list[QGraphicsItem]:
        """Inputs, then per neuron its incoming weights and the neuron (the engine's parameter order)."""
        sizes = self.document.network.sizes
        order: list[QGraphicsItem] = [self._neurons[(0, i)] for i in range(1, sizes[0] + 1)]
        for layer in range(1, len(sizes)):
            for target in range(1, sizes[layer] + 1):
                order += [self._edges[(layer, source, target)] for source in range(1, sizes[layer - 1] + 1)]
                order.append(self._neurons[(layer, target)])
        return order

    def set_term(self, term: PathTerm | None) -> None:
        """Light one term of the current factor's sum over paths (None: the whole sum): its path's neurons
        and edges, with the numbers of that term alone."""
        if term != self._term:
            self._term = term
            self.schedule_refresh()

    def lit_term(self) -> PathTerm | None:
        """The term lit as of the last refresh (None when the current step is not its sum)."""
        current = self._overlay.current
        return self._term if isinstance(current, FactorRecord) and self._term in current.terms else None

    def overlay(self) -> Overlay:
        """What the revealed records show, as of the last refresh."""
        return self._overlay

    def legend(self) -> LegendItem | None:
        return self._legend

    def request_edit(self, item: QGraphicsItem) -> None:
        self.edit_requested.emit(item)

    # -- building ------------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Replace every item after a structural change."""
        self._busy = True
        self.clear()
        self._neurons.clear()
        self._edges.clear()
        sizes = self.document.network.sizes
        n_layers = len(sizes) - 1
        self.compact = is_large(sizes)
        self.narrow = not self.compact and (is_crowded(sizes) or style.SCALE > 1)   # see PRESENTATION_ASPECT
        radius = (16.0 if self.compact else FULL_RADIUS if max(sizes) <= 2 else DENSE_RADIUS) * style.SCALE
        self.compact_inputs = sizes[0] > LARGE_INPUT_LAYER
        for layer, size in enumerate(sizes):
            for neuron in range(1, size + 1):
                item = NeuronItem(layer, neuron, n_layers, COMPACT_INPUT_RADIUS * style.SCALE
                                  if layer == 0 and self.compact_inputs else radius)
                self._neurons[(layer, neuron)] = item
                self._add_with_labels(item, item.labels())
        for layer in range(1, len(sizes)):
            for target in range(1, sizes[layer] + 1):
                for source in range(1, sizes[layer - 1] + 1):
                    edge = EdgeItem(layer, self._neurons[(layer - 1, source)], self._neurons[(layer, target)])
                    self._edges[(layer, source, target)] = edge
                    self._add_with_labels(edge, [edge.label])
        self._legend = LegendItem(short_labels=self.narrow)
        self.addItem(self._legend)
        self._busy = False
        self._reserved = None
        self._push_states()   # the labels' texts first: a layout that shows them all is sized by them
        self._layout(sizes, radius)
        self.refresh()
        self.rebuilt.emit()

    def relayout(self) -> None:
        """Lay the items out again (the display precision changes how wide labels get)."""
        if self._neurons:
            self._reserved = None
            self._push_states()
            self._layout(self.document.network.sizes, self._radius())
            self.refresh()

    def _add_with_labels(self, item: QGraphicsItem, labels: list[LabelItem]) -> None:
        self.addItem(item)
        for label in labels:
            label.hide()
            self.addItem(label)

    def _layout(self, sizes: list[int], radius: float) -> None:
        """Columns left to right, each centred vertically; the legend under them."""
        self._placed = None   # moved items: the labels are placed again
        n_layers = len(sizes) - 1
        min_dx = self._compact_column_spacing(radius) if self.compact else MIN_COLUMN_GAP
        output_margin = COMPACT_OUTPUT_MARGIN if self.compact else OUTPUT_MARGIN
        dx = max(min_dx, (NOMINAL_WIDTH - INPUT_MARGIN - output_margin) / n_layers)
        dy = self._row_spacing(max(sizes), radius)
        if style.SCALE > 1 and not self.compact:
            # Presentation mode: the rows move closer by what the larger circles and labels take above
            # and below them (and a little more, for the height the larger toolbar and panels take from
            # the graph), so the drawing stays about as tall as normal and its fitted text is larger.
            grown = (1 - 1 / style.SCALE) * (2 * radius + 2 * self._label_room())
            dy -= PRESENTATION_ROW_SHARE * grown / max(max(sizes) - 1, 1)
        dxs = [dx] * n_layers
        if not self.compact:
            self._reserved = self._largest_labels()
            aspect = VIEW_ASPECT if style.SCALE == 1 else PRESENTATION_ASPECT
            plan = full_layout.plan(sizes, radius, self._reserved, INPUT_MARGIN, dx, dy, aspect)
            dxs, dy, self._anchors = list(plan.dxs), plan.dy, plan.anchors
        for (layer, neuron), item in self._neurons.items():
            row_dy = COMPACT_INPUT_SPACING * style.SCALE if layer == 0 and self.compact_inputs else dy
            item.setPos(*full_layout.position(sizes, layer, neuron, INPUT_MARGIN, dxs, row_dy))
        for edge in self._edges.values():
            edge.update_geometry()
        width = max(NOMINAL_WIDTH, INPUT_MARGIN + sum(dxs) + output_margin)
        rows = [(size - 1) * (COMPACT_INPUT_SPACING * style.SCALE if layer == 0 and self.compact_inputs else dy)
                for layer, size in enumerate(sizes)]
        height = max(rows) + 2 * radius + 2 * self._label_room()
        network_rect = QRectF(0, -height / 2, width, height)
        if not self.compact:
            # Every label's box is reserved: the drawing is as large as they are, and at least nominal.
            reserved = self._reserved_rect()
            network_rect = reserved if reserved.width() >= NOMINAL_WIDTH else network_rect.united(reserved)
        self._legend.fit_width(network_rect.width())
        legend_size = self._legend.boundingRect()
        self._legend.setPos(network_rect.center().x() - legend_size.width() / 2, network_rect.bottom() + LEGEND_GAP)
        margin = EXTENT_MARGIN
        self._extent = network_rect.united(self._legend.sceneBoundingRect()).adjusted(-margin, -margin, margin, margin)
        self.setSceneRect(self._extent)

    def _radius(self) -> float:
        """The radius of the neurons (a large input layer's circles are smaller)."""
        return self._neurons[(1, 1)].radius

    def _largest_labels(self) -> full_layout.Reserved:
        """Every label's largest size in any phase (and never less than it was reserved at before)."""
        # Stands for numbers not revealed yet (gradients, new values): as wide as nearly all of them, so a
        # label rarely outgrows its spot and the network is rarely laid out again while stepping.
        sample = -0.00123456789
        edges = {key: edge.largest_label(sample) for key, edge in self._edges.items()}
        tops, bottoms, sides = {}, {}, {}
        inputs = self._widest_inputs()
        for key, neuron in self._neurons.items():
            largest = neuron.largest_labels(inputs[key[1]] if neuron.is_input else sample)
            for label, store in ((neuron.top_label, tops), (neuron.bottom_label, bottoms), (neuron.side_label, sides)):
                if largest.get(label, (0.0, 0.0)) != (0.0, 0.0):
                    store[key] = largest[label]
        old = self._reserved
        if old is not None:
            for new, before in ((edges, old.edges), (tops, old.tops), (bottoms, old.bottoms), (sides, old.sides)):
                for key, size in before.items():
                    known = new.get(key, (0.0, 0.0))
                    new[key] = (max(known[0], size[0]), max(known[1], size[1]))
        return full_layout.Reserved(edges, tops, bottoms, sides)

    def _widest_inputs(self) -> dict[int, float]:
        """Per input (1-based), the value training sees that is written widest: an input's label shows
        the data, known before any step, so its spot is no wider than the data needs. A data edit to a
        wider value lays the network out again (`_outgrown`)."""
        X, digits = self.document.training.X, self.document.digits
        widest = {}
        for column in range(X.shape[1]):
            values = np.unique(X[:, column])
            if values.size > MEASURED_VALUES:    # the extremes and an even spread between them
                values = np.concatenate([values[:: values.size // MEASURED_VALUES], values[-1:]])
            widths = [style.label_metrics().horizontalAdvance(format_number(float(value), digits))
                      for value in values]
            widest[column + 1] = float(values[int(np.argmax(widths))]) if widths else 0.0
        return widest

    def _reserved_rect(self) -> QRectF:
        """Everything a network that shows every label may draw: circles and every reserved box."""
        rect = QRectF()
        for box in self._reserved_boxes():
            rect = rect.united(QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1]))
        return rect

    def _reserved_boxes(self) -> list[full_layout.Box]:
        reserved, radius = self._reserved, self._radius()
        boxes = []
        for key, neuron in self._neurons.items():
            centre = (neuron.pos().x(), neuron.pos().y())
            boxes.append((centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius))
            if key in reserved.tops:
                boxes.append(full_layout.top_box(centre, radius, reserved.tops[key]))
            if key in reserved.bottoms:
                boxes.append(full_layout.bottom_box(centre, radius, reserved.bottoms[key]))
            if key in reserved.sides:
                boxes.append(full_layout.side_box(centre, radius, reserved.sides[key], neuron.is_input))
        for key, anchor in self._anchors.items():
            boxes.append(full_layout.label_box(anchor, reserved.edges[key], reserved.edges[key]))
        return boxes

    def _compact_column_spacing(self, radius: float) -> float:
        """Wide enough for a neuron's values to fit between two columns of circles."""
        sample = f"z = {format_number(-0.123456789, self.document.digits)}"
        widest = style.label_metrics().horizontalAdvance(sample) + 2 * PADDING_X
        return widest + 2 * radius + 2 * LABEL_GAP + 6

    def _label_room(self) -> float:
        """Height kept above and below a neuron for its labels: two lines, or a margin when compact."""
        if self.compact:
            return 10.0
        line = style.label_metrics(bold=True).height()
        return 2 * line + 2 * PADDING_Y + LABEL_GAP

    def _row_spacing(self, largest: int, radius: float) -> float:
        """Distance between neurons of a column: room for a bias label above and values below."""
        if self.compact:
            needed, most = 2 * radius + 22, 100.0
        else:
            needed, most = 2 * radius + 2 * self._label_room() + 8, 240.0
        share = (NOMINAL_HEIGHT - 2 * radius - 2 * self._label_room()) / max(largest - 1, 1)
        return max(needed, min(most, share))

    # -- refreshing ----------------------------------------------------------------------------
    def schedule_refresh(self) -> None:
        """Refresh once control returns to the event loop."""
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def refresh_pending(self) -> bool:
        return self._refresh_timer.isActive()

    def refresh(self) -> None:
        """Push every item its state (texts, colours, highlight) read from the document, then place the labels."""
        self._refresh_timer.stop()
        document = self.document
        if self._busy or not self._neurons:
            return
        if document.network.sizes != self._sizes():
            self.rebuild()
            return
        self._push_states()
        if self._placement_inputs() != self._placed:   # a run's next weights usually take the same room
            self.place_labels()

    def _push_states(self) -> None:
        """Give every item its state as the document has it now."""
        document = self.document
        overlay = self._overlay = overlay_from(document.stepper.shown)
        term = self.lit_term()
        if term is not None:
            overlay.highlight = frozenset(term.highlight)
        states = neuron_states(document, overlay, self.compact, self.narrow, term)
        for key, neuron in self._neurons.items():
            neuron.set_state(states[key])
        labels = {key: state.label for key, state in states.items()}
        for key, state in edge_states(document, overlay, self.compact, labels, self.narrow).items():
            self._edges[key].set_state(state)

    def _sizes(self) -> list[int]:
        sizes = [0] * (1 + max(layer for layer, _ in self._neurons))
        for layer, _neuron in self._neurons:
            sizes[layer] += 1
        return sizes

    def label_demand_changed(self) -> None:
        """Selection or hover changed: the labels that must be visible may be different."""
        if not self._busy and self._neurons:
            self.place_labels()
        self.focus_changed.emit()

    def _placement_inputs(self) -> tuple:
        """What `place_labels` depends on that can change without a new layout: every label's size (0
        when empty) and which items are highlighted, selected or hovered."""
        items = [*self._neurons.values(), *self._edges.values()]
        return (self.compact, tuple((label.width(), label.height()) for label in self.label_items()),
                tuple((item.highlighted, item.hovered, item.isSelected()) for item in items))

    def place_labels(self) -> None:
        """Position every label; hide those that are empty, not wanted, or would overlap another."""
        if not self.compact:
            self._place_every_label()
            return
        self._placed = self._placement_inputs()
        obstacles = [item.circle_rect() for item in self._neurons.values()]
        obstacles.append(self._legend.sceneBoundingRect())
        requests = []
        for neuron in self._neurons.values():
            if neuron.is_input and self.compact_inputs:
                requests += self._input_requests(neuron)
            else:
                obstacles += self._place_fixed(neuron)
        requests += [request for neuron in self._neurons.values() if (request := self._neuron_request(neuron))]
        few = sum(edge.highlighted for edge in self._edges.values()) <= COMPACT_HIGHLIGHT_LABELS
        wanted = [edge for edge in self._edges.values()
                  if not edge.label.is_empty() and edge.wants_label(self.compact, few)]
        targets = Counter((edge.layer, edge.target) for edge in wanted)
        sources = Counter((edge.layer, edge.source) for edge in wanted)
        for edge in set(self._edges.values()).difference(wanted):
            edge.label.hide()
        for edge in wanted:
            converging = targets[(edge.layer, edge.target)] >= sources[(edge.layer, edge.source)]
            requests.append(self._edge_request(edge, converging))
        placed = place_labels(obstacles, requests)
        for request in requests:
            label = request.key
            rect = placed.get(label)
            label.setVisible(rect is not None)
            if rect is not None:
                label.place(rect.topLeft())
        # The rectangle only grows between layouts, so the view does not shift while stepping.
        self._extent = self._extent.united(self._visible_label_rect())
        self.setSceneRect(self._extent)

    def _place_every_label(self) -> None:
        """A network that shows every label: each goes in the box reserved for it at the last layout.
        A label grown past its box (a weight edited to a long number) lays the network out again."""
        if self._outgrown():
            self._layout(self.document.network.sizes, self._radius())
        self._placed = self._placement_inputs()
        for neuron in self._neurons.values():
            centre, r = (neuron.pos().x(), neuron.pos().y()), neuron.radius
            boxes = ((neuron.top_label, full_layout.top_box(centre, r, neuron.top_label.size())),
                     (neuron.bottom_label, full_layout.bottom_box(centre, r, neuron.bottom_label.size())),
                     (neuron.side_label, full_layout.side_box(centre, r, neuron.side_label.size(), neuron.is_input)))
            for label, box in boxes:
                label.setVisible(not label.is_empty())
                label.place(QPointF(box[0], box[1]))
        for key, edge in self._edges.items():
            label, anchor = edge.label, self._anchors.get(key)
            label.setVisible(anchor is not None and not label.is_empty())
            if anchor is not None:
                box = full_layout.label_box(anchor, self._reserved.edges[key], label.size())
                label.place(QPointF(box[0], box[1]))

    def _outgrown(self) -> bool:
        """Whether a label is larger than the box reserved for it."""
        reserved = self._reserved
        if reserved is None:
            return True
        pairs = [(edge.label, reserved.edges.get(key)) for key, edge in self._edges.items()]
        for key, neuron in self._neurons.items():
            pairs += [(neuron.top_label, reserved.tops.get(key)), (neuron.bottom_label, reserved.bottoms.get(key)),
                      (neuron.side_label, reserved.sides.get(key))]
        for label, size in pairs:
            if not label.is_empty() and (size is None or label.width() > size[0] or label.height() > size[1]):
                return True
        return False

    def _place_fixed(self, neuron: NeuronItem) -> list[QRectF]:
        """Put the labels that always sit in the same place; their rectangles become obstacles."""
        centre, r = neuron.pos(), neuron.radius
        fixed = [(neuron.side_label, self._side_anchor(neuron))]
        if not self.compact:
            above = centre.y() - r - LABEL_GAP - neuron.top_label.height() / 2
            below = centre.y() + r + LABEL_GAP + neuron.bottom_label.height() / 2
            fixed += [(neuron.top_label, QPointF(centre.x(), above)), (neuron.bottom_label, QPointF(centre.x(), below))]
        rects = []
        for label, anchor in fixed:
            label.setVisible(not label.is_empty())
            if label.is_empty():
                continue
            label.place(QPointF(anchor.x() - label.width() / 2, anchor.y() - label.height() / 2))
            rects.append(label.sceneBoundingRect())
        return rects

    def _input_requests(self, neuron: NeuronItem) -> list[LabelRequest]:
        """A large input layer's labels are placed like the others: they show where there is room, and
        always for the current step's inputs, the selection and the input under the mouse."""
        label = neuron.side_label
        if label.is_empty():
            label.hide()
            return []
        centre = self._side_anchor(neuron)
        shift = COMPACT_INPUT_SPACING * style.SCALE / 2
        anchors = [centre, QPointF(centre.x(), centre.y() - shift), QPointF(centre.x(), centre.y() + shift)]
        urgent = neuron.highlighted or neuron.isSelected() or neuron.hovered
        return [LabelRequest(label, (label.width(), label.height()), anchors, urgent=urgent, base=True)]

    def _side_anchor(self, neuron: NeuronItem) -> QPointF:
        label, centre = neuron.side_label, neuron.pos()
        offset = neuron.radius + LABEL_GAP + 2 + label.width() / 2
        return QPointF(centre.x() - offset if neuron.is_input else centre.x() + offset, centre.y())

    def _neuron_request(self, neuron: NeuronItem) -> LabelRequest | None:
        """In a large network a neuron's values show only when it is highlighted, selected or hovered."""
        label = neuron.bottom_label
        if not self.compact or label.is_empty():
            return None
        if not (neuron.highlighted or neuron.isSelected() or neuron.hovered):
            label.hide()
            return None
        centre, r = neuron.pos(), neuron.radius
        w, h = label.width(), label.height()
        reach_x, reach_y = r + LABEL_GAP + w / 2, r + LABEL_GAP + h / 2
        corner_x, corner_y = 0.7 * r + LABEL_GAP + w / 2, 0.7 * r + LABEL_GAP + h / 2
        offsets = [(reach_x, 0), (-reach_x, 0), (0, reach_y), (0, -reach_y), (corner_x, corner_y),
                   (corner_x, -corner_y), (-corner_x, corner_y), (-corner_x, -corner_y)]
        anchors = [QPointF(centre.x() + dx, centre.y() + dy) for dx, dy in offsets]
        return LabelRequest(label, (w, h), anchors, urgent=True, base=False)

    def _edge_request(self, edge: EdgeItem, converging: bool) -> LabelRequest:
        """Anchors along the edge, then beside it; in a large network toward the end where edges fan out."""
        label = edge.label
        urgent = edge.highlighted or edge.isSelected() or edge.hovered
        if not self.compact:
            fractions = EDGE_FRACTIONS
        elif converging:
            fractions = NEAR_SOURCE_FRACTIONS
        else:
            fractions = tuple(1 - fraction for fraction in NEAR_SOURCE_FRACTIONS)
        anchors = [edge.point_at(fraction) for fraction in fractions]
        shifts = (label.height() / 2 + LABEL_GAP, label.height() / 2 + LABEL_GAP + edge.source_item.radius)
        for shift in shifts:
            for fraction in BESIDE_FRACTIONS:
                point = edge.point_at(fraction)
                anchors += [QPointF(point.x(), point.y() - shift), QPointF(point.x(), point.y() + shift)]
        return LabelRequest(label, (label.width(), label.height()), anchors, urgent=urgent, base=not self.compact)

    def _visible_label_rect(self) -> QRectF:
        rect = QRectF()
        for label in self.label_items():
            if label.isVisible():
                rect = rect.united(label.sceneBoundingRect())
        return rect.adjusted(-8, -8, 8, 8) if not rect.isNull() else rect
