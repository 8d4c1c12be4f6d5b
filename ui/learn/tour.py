"""The guided tour: one full training step of the regression example, panel by panel.

A small non-modal callout points at the panel that shows each phase while the tour steps the real
training there; Next, Back and Skip move through it. It opens by itself only on the first start
(from `ui.app.run_gui`), and again from Help ▸ Guided Tour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from simulator.examples import DEFAULT_EXAMPLE
from simulator.records import Record
from simulator.worked import to_html

from . import learn_menu

#: QSettings key: set once the tour has been shown (finished or skipped).
SEEN_KEY = "tour/seen"
CALLOUT_WIDTH = 340
MARGIN = 12


def _after_forward(record: Record | None, upcoming: Record | None) -> bool:
    return upcoming is not None and upcoming.kind == "loss"


@dataclass(frozen=True)
class TourStep:
    """One stop: the panel pointed at (`target(window)`), the words, and where training should be:
    revealed until `until(current, upcoming)` holds (None: at the start; `finish`: the whole sample)."""

    title: str
    text: str
    target: Callable
    until: Callable | None = None
    finish: bool = False


STEPS = (
    TourStep("The network",
             "This is the lectures' 2-2-1 network: two inputs, two hidden neurons, one output, every weight "
             "and bias labelled with its value. One training step takes one sample through it: forward, "
             "loss, backward, update. Next takes you through one.",
             lambda window: window.view),
    TourStep("The data",
             "Each row is one sample. The highlighted row is the one the next step trains on: inputs "
             "cgpa and resume_score, target lpa.",
             lambda window: window.docks["dataset"]),
    TourStep("1. Forward pass",
             "Each neuron computes z = Σ w·x + b and its output o = f(z). The values now appear next to "
             "the neurons; the output neuron shows the prediction ŷ.",
             lambda window: window.view, _after_forward),
    TourStep("2. The loss",
             "The loss compares the prediction with the target: L = (y − ŷ)². The Inspector shows every "
             "formula with the engine's numbers substituted.",
             lambda window: window.docks["inspector"], lambda current, upcoming: current is not None
             and current.kind == "loss"),
    TourStep("3. Backward pass",
             "The chain rule gives each parameter's gradient as a product of factors, ∂L/∂ŷ · ∂ŷ/∂z · …, "
             "starting at the loss. Step (F10) shows one factor at a time; here is the whole gradient of "
             "w211, with the running product.",
             lambda window: window.docks["inspector"], lambda current, upcoming: current is not None
             and current.kind == "gradient"),
    TourStep("4. The update",
             "Only when every gradient is known do all parameters move at once: w ← w − η·∂L/∂w. The edges "
             "just updated are drawn in green, with their new values.",
             lambda window: window.view, finish=True),
    TourStep("The loss plot",
             "After each epoch (one pass over all four samples) the mean loss is plotted here. Run (F5) "
             "trains on; Step Back (Ctrl+F10) goes back; Learn ▸ Practice Mode asks you for each value "
             "first. Help ▸ Guided Tour shows this tour again.",
             lambda window: window.docks["loss_plot"], finish=True),
)


class TourCallout(QFrame):
    """The callout and the frame around the panel it points at; both are children of the window."""

    def __init__(self, window):
        super().__init__(window)
        self.window_ = window
        self.setObjectName("tour_callout")
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet("#tour_callout { background: #fffbe6; border: 2px solid #e0a100; border-radius: 6px; }"
                           "QLabel { color: #111; background: transparent; }")
        self.setFixedWidth(CALLOUT_WIDTH)
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.text = QLabel(self)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.counter = QLabel(self)
        self.back_button = QPushButton("Back", self)
        self.next_button = QPushButton("Next", self)
        self.skip_button = QPushButton("Skip Tour", self)
        self.back_button.setToolTip("The previous step of the tour (Backspace)")
        self.next_button.setToolTip("The next step of the tour (Enter); the training moves on with it")
        self.skip_button.setToolTip("Close the tour (Escape); Help ▸ Guided Tour shows it again")
        # Enter presses the focused button, as in a dialog: Next has the focus at every stop.
        for button in (self.back_button, self.next_button, self.skip_button):
            button.setAutoDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.counter)
        buttons.addStretch(1)
        buttons.addWidget(self.skip_button)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self.frame = QWidget(window)
        self.frame.setObjectName("tour_frame")
        self.frame.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.frame.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.frame.setStyleSheet("#tour_frame { border: 3px solid #e0a100; border-radius: 4px; background: transparent; }")
        self.hide()
        self.frame.hide()

    def point_at(self, target: QWidget) -> None:
        """Frame `target` and put the callout beside it, inside the window, where there is most room."""
        window = self.window_
        top_left = target.mapTo(window, QPoint(0, 0))
        rect = QRect(top_left, target.size())
        self.frame.setGeometry(rect)
        self.adjustSize()
        size = self.size()
        area = window.rect()
        room = {"right": area.right() - rect.right(), "left": rect.left(), "below": area.bottom() - rect.bottom(),
                "above": rect.top()}
        side = max(room, key=room.get)
        # Beside a panel the callout lines up with its bottom: the tops of panels hold what matters
        # (the inspector's formula, the network's first layer).
        bottom = rect.bottom() - size.height() - MARGIN
        if side == "right" and room["right"] >= size.width() + MARGIN:
            x, y = rect.right() + MARGIN, bottom
        elif side == "left" and room["left"] >= size.width() + MARGIN:
            x, y = rect.left() - size.width() - MARGIN, bottom
        elif side == "below" and room["below"] >= size.height() + MARGIN:
            x, y = rect.left() + MARGIN, rect.bottom() + MARGIN
        elif side == "above" and room["above"] >= size.height() + MARGIN:
            x, y = rect.left() + MARGIN, rect.top() - size.height() - MARGIN
        else:                       # no room beside it: inside the panel, at its top right
            x, y = rect.right() - size.width() - MARGIN, rect.top() + MARGIN
        x = max(MARGIN, min(x, area.width() - size.width() - MARGIN))
        y = max(MARGIN, min(y, area.height() - size.height() - MARGIN))
        self.setGeometry(x, y, size.width(), size.height())
        self.frame.show()
        self.frame.raise_()
        self.show()
        self.raise_()


class GuidedTour(QObject):
    """Walks `window` through STEPS; `index` is the stop shown, -1 when the tour is closed."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.index = -1
        self.callout = TourCallout(window)
        self.callout.next_button.clicked.connect(self.next)
        self.callout.back_button.clicked.connect(self.back)
        self.callout.skip_button.clicked.connect(self.close)
        # While the tour shows, Escape ends it and Backspace goes back, wherever the focus is.
        for key, slot in ((Qt.Key.Key_Escape, self.close), (Qt.Key.Key_Backspace, self.back)):
            shortcut = QShortcut(QKeySequence(key), self.callout)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        window.installEventFilter(self)
        # The panel pointed at and the widgets holding it: when any of them moves, resizes or hides (a
        # panel opened or closed beside it), the callout follows it, or the tour ends if it is gone.
        self._watched: list[QWidget] = []
        self._follow = QTimer(self)
        self._follow.setSingleShot(True)
        self._follow.setInterval(0)
        self._follow.timeout.connect(self._follow_target)

    @property
    def showing(self) -> bool:
        return self.index >= 0

    def start(self) -> None:
        """Open the regression example if another session is open (asking to save first), then stop 1."""
        window = self.window
        if window.document.session.title != _regression_title() or not window.document.undo_stack.isClean():
            window.open_example(DEFAULT_EXAMPLE)
            if window.document.session.title != _regression_title():
                return                              # the user cancelled
        QSettings().setValue(SEEN_KEY, True)
        self.show_step(0)

    def show_step(self, index: int) -> None:
        self.index = index
        step = STEPS[index]
        self._position_training(step)
        callout = self.callout
        callout.title.setText(f"<b>{to_html(step.title)}</b>")
        callout.text.setText(to_html(step.text))
        callout.counter.setText(f"{index + 1} of {len(STEPS)}")
        callout.back_button.setEnabled(index > 0)
        callout.next_button.setText("Done" if index == len(STEPS) - 1 else "Next")
        target = step.target(self.window)
        target.show()
        target.raise_()
        callout.point_at(target)
        self._watch(target)
        callout.next_button.setFocus()
        self.window.show_message(f"Guided tour, {index + 1} of {len(STEPS)}: {step.title}")

    def _position_training(self, step: TourStep) -> None:
        """Put training where this stop talks about: from the start, reveal the records it needs."""
        controller = self.window.controller
        controller.reset()
        stepper = self.window.document.stepper
        if step.finish:
            controller.reveal_next("sample")
            return
        if step.until is None:
            return
        while not step.until(stepper.current, stepper.upcoming()):
            if not controller.reveal_next():
                break

    def next(self) -> None:
        if self.index + 1 < len(STEPS):
            self.show_step(self.index + 1)
        else:
            self.close()

    def back(self) -> None:
        if self.index > 0:
            self.show_step(self.index - 1)

    def _watch(self, target: QWidget | None) -> None:
        for widget in self._watched:
            widget.removeEventFilter(self)
        self._watched = []
        while target is not None and target is not self.window:
            target.installEventFilter(self)
            self._watched.append(target)
            target = target.parentWidget()

    def _follow_target(self) -> None:
        """Put the callout beside the target where it is now; end the tour if the target is out of view."""
        if not self.showing:
            return
        target = STEPS[self.index].target(self.window)
        if not target.isVisible() or target.visibleRegion().isEmpty():
            self.close()
        else:
            self.callout.point_at(target)

    def close(self) -> None:
        """End the tour (Skip or Done, or its panel closed); training stays where the tour left it."""
        self._watch(None)
        self._follow.stop()
        self.index = -1
        self.callout.hide()
        self.callout.frame.hide()
        self.window.show_message("Guided tour closed: Help ▸ Guided Tour shows it again")

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window and self.showing and event.type() == QEvent.Type.Resize:
            self.callout.point_at(STEPS[self.index].target(self.window))
        elif watched is self.window and self.showing and event.type() == QEvent.Type.LayoutRequest:
            self._follow.start()      # a panel opened, closed or moved: the target may have moved
        elif (self.showing and watched in self._watched
              and event.type() in (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Hide)):
            self._follow.start()      # once the layout has settled
        return super().eventFilter(watched, event)


def _regression_title() -> str:
    from simulator.examples import load_example
    return load_example(DEFAULT_EXAMPLE).title


def install_tour(window) -> GuidedTour:
    """Help ▸ Guided Tour on `window`; the tour itself is started by `start` or `show_on_first_start`."""
    tour = GuidedTour(window)
    window.guided_tour = tour
    help_menu = next((action.menu() for action in window.menuBar().actions()
                      if action.text().replace("&", "") == "Help"), None)
    if help_menu is not None:
        action = help_menu.addAction("Guided &Tour")
        action.setStatusTip("One training step of the regression example, panel by panel")
        action.triggered.connect(tour.start)
        help_menu.insertAction(help_menu.actions()[0], action)
        window.tour_action = action
        menu = learn_menu(window)
        menu.addSeparator()
        menu.addAction(action)
    return tour


def show_on_first_start(window) -> bool:
    """Start the tour if it has never been shown (QSettings) and the regression example is open (a file
    opened from the command line is left alone); True if it started."""
    if QSettings().value(SEEN_KEY, False) in (True, "true"):
        return False
    if window.document.session.title != _regression_title():
        return False
    window.guided_tour.start()
    return window.guided_tour.showing
