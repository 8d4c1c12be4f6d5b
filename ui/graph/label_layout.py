"""Placing labels so that no two overlap: greedy over candidate positions, urgent labels may bump others."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable

from PySide6.QtCore import QPointF, QRectF

#: Space kept free around every label (scene units).
GAP = 1.5


@dataclass
class LabelRequest:
    """A label of `size` (w, h) that may be centred on any of `anchors`, tried in order."""

    key: Hashable
    size: tuple[float, float]
    anchors: list[QPointF]
    urgent: bool = False
    base: bool = True


@dataclass
class _Placed:
    key: Hashable
    rect: QRectF
    bumpable: bool


@dataclass
class LabelLayout:
    """Rectangles that are taken (circles, fixed labels, the legend) and the labels placed so far."""

    obstacles: list[QRectF] = field(default_factory=list)
    placed: list[_Placed] = field(default_factory=list)

    def result(self) -> dict[Hashable, QRectF]:
        return {item.key: item.rect for item in self.placed}

    def _blocked(self, rect: QRectF) -> bool:
        padded = rect.adjusted(-GAP, -GAP, GAP, GAP)
        return any(padded.intersects(other) for other in self.obstacles)

    def _clashes(self, rect: QRectF) -> list[_Placed]:
        padded = rect.adjusted(-GAP, -GAP, GAP, GAP)
        return [item for item in self.placed if padded.intersects(item.rect)]

    def try_free(self, request: LabelRequest, bumpable: bool) -> bool:
        """Place at the first anchor where nothing is in the way."""
        for anchor in request.anchors:
            rect = centred(anchor, request.size)
            if not self._blocked(rect) and not self._clashes(rect):
                self.placed.append(_Placed(request.key, rect, bumpable))
                return True
        return False

    def try_bumping(self, request: LabelRequest) -> bool:
        """Place at the first anchor where only ordinary labels are in the way, hiding them."""
        for anchor in request.anchors:
            rect = centred(anchor, request.size)
            if self._blocked(rect):
                continue
            clashes = self._clashes(rect)
            if all(item.bumpable for item in clashes):
                self.placed = [item for item in self.placed if item not in clashes]
                self.placed.append(_Placed(request.key, rect, False))
                return True
        return False


def centred(anchor: QPointF, size: tuple[float, float]) -> QRectF:
    width, height = size
    return QRectF(anchor.x() - width / 2, anchor.y() - height / 2, width, height)


def place_labels(obstacles: list[QRectF], requests: list[LabelRequest]) -> dict[Hashable, QRectF]:
    """Rectangles for the labels that could be placed; labels missing from the result stay hidden."""
    # Base labels go first in the given order (a stable layout while stepping); then urgent labels
    # still missing (the current step's, the selected or hovered item's), hiding base labels in
    # their way if there is no free spot. If an urgent label is still missing, the missing ones
    # are tried first once more and the better of the two layouts kept.
    placed = _place(obstacles, requests)
    missing = [request for request in requests if request.urgent and request.key not in placed]
    if missing:
        retry = _place(obstacles, missing + [request for request in requests if request not in missing])
        if sum(request.urgent and request.key not in retry for request in requests) < len(missing):
            return retry
    return placed


def _place(obstacles: list[QRectF], requests: list[LabelRequest]) -> dict[Hashable, QRectF]:
    layout = LabelLayout(list(obstacles))
    for request in requests:
        if request.base:
            layout.try_free(request, bumpable=not request.urgent)
    placed = set(layout.result())
    for request in requests:
        if request.urgent and request.key not in placed:
            if layout.try_free(request, bumpable=False) or layout.try_bumping(request):
                placed.add(request.key)
    return layout.result()
