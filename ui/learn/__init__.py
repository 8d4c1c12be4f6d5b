"""Panels and dialogs that show why training does what it does: landscapes, rates, checks, references."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QDockWidget, QMenu

from simulator.analysis import focus_rows
from simulator.errors import SimulatorError
from simulator.network import Network

from ..inspector import to_unicode_subscripts
from ..document import Change

#: Height a landscape panel asks for when it is opened: enough for a readable plot at 1280 × 800.
DOCK_HEIGHT = 330
SCOPE_LABELS = {"sample": "Current sample", "dataset": "Whole dataset (mean)"}
SCOPE_TIPS = {"sample": "The loss of the sample (or batch) the stepper is on, or will start next",
              "dataset": "The mean loss over every row of the dataset"}


def fill_parameter_combo(combo: QComboBox, network: Network, preferred: str | None = None) -> None:
    """Every weight and bias as `w₁₁₁`, with the engine name as item data; keeps `preferred` if it exists."""
    combo.blockSignals(True)
    combo.clear()
    for ref in network.parameters():
        combo.addItem(to_unicode_subscripts(ref.name), ref.name)
    index = combo.findData(preferred) if preferred else -1
    combo.setCurrentIndex(max(index, 0))
    combo.blockSignals(False)


def rows_text(document, scope: str) -> str:
    """Whose loss a Learn view shows, for its readout: `row 2`, `rows 1, 2`, `mean of the 4 rows`."""
    if scope == "dataset":
        return f"mean of the {document.training.n_samples:,} rows"
    try:
        rows = focus_rows(document.training, document.stepper.batch, scope)
    except SimulatorError:
        return "the current sample"
    shown = ", ".join(str(int(row) + 1) for row in rows[:8]) + (", …" if len(rows) > 8 else "")
    return f"row{'s' if len(rows) > 1 else ''} {shown}"


def fill_scope_combo(combo: QComboBox) -> None:
    for scope, label in SCOPE_LABELS.items():
        combo.addItem(label, scope)
        combo.setItemData(combo.count() - 1, SCOPE_TIPS[scope], Qt.ItemDataRole.ToolTipRole)


class RedrawScheduler(QObject):
    """Calls `redraw` once per event-loop turn however many changes arrive, and only while `widget` is
    visible; a change while hidden is redrawn when it is shown again (`widget` calls `shown()`)."""

    def __init__(self, widget, redraw):
        super().__init__(widget)
        self._widget, self._redraw = widget, redraw
        self._pending = False
        self.stale = True

    def request(self) -> None:
        self.stale = True
        if not self._pending and self._widget.isVisible():
            self._pending = True
            QTimer.singleShot(0, self, self._run)

    def shown(self) -> None:
        if self.stale:
            self.request()

    def _run(self) -> None:
        self._pending = False
        if self._widget.isVisible() and self.stale:
            self.stale = False
            self._redraw()


def learn_menu(window):
    """The window's top-level Learn menu, created before Help when no one has made it yet."""
    bar = window.menuBar()
    for action in bar.actions():
        menu = action.menu()
        if menu is not None and (menu.objectName() == "learn_menu" or action.text().replace("&", "") == "Learn"):
            return menu
    help_action = next((action for action in bar.actions() if action.text().replace("&", "") == "Help"), None)
    menu = QMenu("&Learn", window)
    menu.setObjectName("learn_menu")
    if help_action is not None:
        bar.insertMenu(help_action, menu)
    else:
        bar.addMenu(menu)
    return menu


class LearnTools(QObject):
    """The landscape docks and the analysis dialogs of one main window, and their Learn-menu entries."""

    def __init__(self, window):
        super().__init__(window)
        from .landscape_panel import LandscapePanel
        from .surface_panel import SurfacePanel

        self.window = window
        document = window.document
        self.landscape = LandscapePanel(document, window)
        self.surface = SurfacePanel(document, window)
        self.docks = {"landscape": self._dock("landscape", "Loss Landscape: &One Parameter", self.landscape),
                      "surface": self._dock("surface", "Loss Landscape: &Two Parameters", self.surface)}
        self.dialogs: dict = {}
        menu = learn_menu(window)
        menu.addSeparator()
        for dock in self.docks.values():
            menu.addAction(dock.toggleViewAction())
        self.lr_lab_action = self._dialog_action(
            menu, "Learning-&Rate Lab…", "Train copies of the network with several learning rates and compare",
            "lr_lab")
        self.gradient_check_action = self._dialog_action(
            menu, "&Gradient Check…", "Compare backpropagation's gradients with finite differences",
            "gradient_check")
        self.compare_action = self._dialog_action(
            menu, "Compare with &PyTorch…", "Train the same model with PyTorch and compare every epoch", "compare")
        # The learning aids that live in other menus are listed here too, so the Learn menu has them all.
        menu.addSeparator()
        actions = window.window_actions
        menu.addActions([actions.step_back, actions.export_worked_step, actions.export_worked_epoch])
        self.mistaken_rule_action = QAction("&Mistaken Update Rule (In Place)", window)
        self.mistaken_rule_action.setCheckable(True)
        tip = ("Demonstrate the common mistake: update each layer before the gradient is carried back through "
               "it (Training Settings ▸ Update rule); Ctrl+Z undoes")
        self.mistaken_rule_action.setStatusTip(tip)
        self.mistaken_rule_action.setToolTip(tip)
        self.mistaken_rule_action.triggered.connect(self._set_mistaken_rule)
        document.changed.connect(self._document_changed)
        self._show_update_rule()
        menu.addAction(self.mistaken_rule_action)

    def _set_mistaken_rule(self, on: bool) -> None:
        self.window.document.edit_config(update_rule="in_place" if on else "simultaneous")

    def _document_changed(self, change: Change) -> None:
        if change & Change.SETTINGS:
            self._show_update_rule()

    def _show_update_rule(self) -> None:
        self.mistaken_rule_action.setChecked(self.window.document.session.training.update_rule == "in_place")

    def _dock(self, name: str, title: str, widget):
        window = self.window
        dock = QDockWidget(title.replace("&", ""), window)
        dock.setObjectName(f"{name}_dock")
        dock.setWidget(widget)
        toggle = dock.toggleViewAction()
        toggle.setText(title)
        toggle.setStatusTip(f"Show or hide the {title.replace('&', '').lower()} panel")
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        window.tabifyDockWidget(window.docks["loss_plot"], dock)
        dock.hide()
        toggle.triggered.connect(lambda checked: checked and self.show_dock(name))
        return dock

    def _dialog_action(self, menu: QMenu, text: str, tip: str, name: str) -> QAction:
        action = QAction(text, self.window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda: self.open_dialog(name))
        menu.addAction(action)
        return action

    def open_dialog(self, name: str):
        """Show the dialog `name` (made on first use, then kept with its choices) and bring it forward."""
        dialog = self.dialogs.get(name)
        if dialog is None:
            dialog = self._make_dialog(name)
            if dialog is None:
                return None
            self.dialogs[name] = dialog
        dialog.show()
        dialog.activateWindow()
        return dialog

    def _make_dialog(self, name: str):
        from .gradient_check_dialog import GradientCheckDialog
        from .compare_dialog import CompareDialog, torch_missing_message
        from .lr_lab import LearningRateLabDialog

        document = self.window.document
        if name == "gradient_check":
            return GradientCheckDialog(document, self.window)
        if name == "lr_lab":
            return LearningRateLabDialog(document, self.window)
        if name == "compare":
            return CompareDialog(document, self.window) if torch_missing_message(self.window) else None
        raise ValueError(name)

    def show_dock(self, name: str) -> None:
        dock = self.docks[name]
        dock.show()
        dock.raise_()
        if not dock.isFloating() and dock.height() < DOCK_HEIGHT:
            self.window.resizeDocks([dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)


def install(window) -> LearnTools:
    """Add the Learn tools to `window` (before it restores its saved layout, so the docks are restored too)."""
    return LearnTools(window)
