"""The main window: the network in the middle, the panels docked around it, menus, toolbar, status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QAbstractItemView, QDockWidget, QFileDialog, QFrame, QLabel, QMainWindow, QMenu, QMessageBox,
                               QProgressBar, QScrollArea, QStyle, QTabBar, QWidget)

from simulator.errors import SimulatorError
from simulator.examples import DEFAULT_EXAMPLE, example_names, load_example
from simulator.session import load

from . import resources
from .actions import WindowActions
from .controller import SPEEDS, Controller
from .document import Change
from .dataset_panel import DatasetPanel
from .document import Document
from .graph.network_view import NetworkView
from .graph_maps import link_input_space
from .input_space import InputSpacePanel
from .map_source import MapSource
from .inspector import InspectorPanel
from .learn import install as install_learn_tools
from .learn.practice import install_practice
from .learn.tour import install_tour
from .loss_plot import LossPlotPanel
from .metrics_panel import MetricsPanel
from .presentation import Presentation
from .settings_panel import SettingsPanel
from .size_gate import SizeGate
from .structure_panel import StructurePanel

APP_TITLE = "Backprop Simulator"
SESSION_FILTER = "Backprop sessions (*.json)"
MAX_RECENT = 8
MESSAGE_MS = 6000
#: The version of the panel layout a window saves: raised when panels come or go, so that a layout
#: remembered from an earlier version (which would leave a new panel wherever Qt puts it) is dropped.
LAYOUT_VERSION = 3


class MainWindow(QMainWindow):
    """One document, its controller, the network view and the panels."""

    def __init__(self, document: Document | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document or Document(load_example(DEFAULT_EXAMPLE))
        self.controller = Controller(self.document, self)
        self.resize(1280, 800)
        self.view = NetworkView(self.document, self)
        self.setCentralWidget(self.view)
        self._build_docks()
        self.window_actions = WindowActions(self)
        self.window_actions.build_menus(self._fill_recent_menu, [(name, load_example(name).title) for name in example_names()],
                                 [dock.toggleViewAction() for dock in self.docks.values()])
        self.addToolBar(self.window_actions.build_toolbar())
        self.presentation = Presentation(self)
        self.window_actions.presentation.toggled.connect(self.presentation.set_on)
        self.learn_tools = install_learn_tools(self)
        install_practice(self)
        install_tour(self)
        self._build_status_bar()
        self._connect()
        self.restore_settings()
        self._update_title()
        self._running_changed(self.controller.running)

    # -- construction --------------------------------------------------------------------------
    def _build_docks(self) -> None:
        document, controller = self.document, self.controller
        self.inspector = InspectorPanel(document, controller, self)
        self.loss_plot = LossPlotPanel(document, self)
        self.dataset_panel = DatasetPanel(document, controller, self)
        self.settings_panel = SettingsPanel(document, self)
        self.structure_panel = StructurePanel(document, self)
        self.metrics_panel = MetricsPanel(document, self)
        self.map_source = MapSource(document, self)
        self.input_space = InputSpacePanel(document, self.map_source, self)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self.docks = {
            "inspector": self._dock("inspector", "&Inspector", self.inspector, right),
            # Panels larger than their room scroll rather than make the window larger than the screen or
            # take the network's width (presentation mode makes them larger).
            "settings": self._dock("settings", "Training &Settings", _scrolled(self.settings_panel), right, "Settings"),
            "structure": self._dock("structure", "Network S&tructure", _scrolled(self.structure_panel), right, "Structure"),
            "loss_plot": self._dock("loss_plot", "&Loss Plot", self.loss_plot, bottom),
            "dataset": self._dock("dataset", "&Dataset", self.dataset_panel, bottom),
            "metrics": self._dock("metrics", "&Metrics", self.metrics_panel, bottom),
            "input_space": self._dock("input_space", "I&nput Space", _scrolled(self.input_space), right),
        }
        # The inspector shares its column with the panels used only while setting up, so the network
        # keeps most of the width; the loss plot and the data (with the current row) stay in view.
        self.tabifyDockWidget(self.docks["inspector"], self.docks["settings"])
        self.tabifyDockWidget(self.docks["settings"], self.docks["structure"])
        self.tabifyDockWidget(self.docks["structure"], self.docks["input_space"])
        self.splitDockWidget(self.docks["loss_plot"], self.docks["dataset"], Qt.Orientation.Horizontal)
        self.tabifyDockWidget(self.docks["dataset"], self.docks["metrics"])
        self.docks["dataset"].raise_()     # the table first; Metrics is one click away
        self.docks["metrics"].visibilityChanged.connect(self.metrics_panel.set_shown)
        self.docks["dataset"].raise_()
        self.docks["inspector"].raise_()
        self.resizeDocks([self.docks["inspector"]], [400], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["loss_plot"]], [250], Qt.Orientation.Vertical)
        # The table has the predictions and each row's loss beside the data: it gets the larger share.
        self.resizeDocks([self.docks["loss_plot"], self.docks["dataset"]], [400, 480], Qt.Orientation.Horizontal)

    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea,
              tab: str | None = None) -> QDockWidget:
        """A panel: `title` in View ▸ Panels, `tab` (short, so four tabs fit the column) on its tab."""
        dock = QDockWidget(tab or title.replace("&", ""), self)
        dock.setObjectName(f"{name}_dock")
        dock.setWidget(widget)
        dock.toggleViewAction().setText(title)
        dock.toggleViewAction().setStatusTip(f"Show or hide the {title.replace('&', '').lower()} panel")
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.position_label = QLabel(self)
        self.position_label.setToolTip("Where training is: epoch, sample and phase")
        self.position_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_text = ""   # the whole text of the last status message (it may be shown cut)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%v of %m epochs")
        self.progress.setToolTip("Epochs trained")
        self.progress.hide()
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(SizeGate(self.position_label, self))   # its text changes every frame of a run

    def _connect(self) -> None:
        document, controller = self.document, self.controller
        document.changed.connect(self._document_changed)
        controller.running_changed.connect(self._running_changed)
        controller.running_changed.connect(self.loss_plot.set_running)
        controller.term_changed.connect(lambda: self.view.network_scene().set_term(controller.focused_term()))
        for source in (controller.message, document.message, self.view.message, self.dataset_panel.message):
            source.connect(self.show_message)
        link_input_space(self)

    def _document_changed(self, change: Change) -> None:
        if change & (Change.RECORDS | Change.POSITION | Change.SETTINGS | Change.STRUCTURE):
            self._update_position()
        if change & (Change.FILE | Change.SETTINGS):
            self._update_title()

    # -- status and title ----------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """A message in the status bar for a few seconds; one too long for the room left of the position
        text is cut with an ellipsis, and the whole text is the status bar's tooltip."""
        bar = self.statusBar()
        permanent = [widget for widget in (self.progress, self.position_label.parentWidget()) if widget.isVisible()]
        right = min((widget.geometry().left() for widget in permanent), default=bar.width())
        room = max(right - 2 * bar.style().pixelMetric(QStyle.PixelMetric.PM_LayoutHorizontalSpacing) - 12, 40)
        shown = bar.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room)
        self.status_text = text
        bar.setToolTip(text if shown != text else "")
        bar.showMessage(shown, MESSAGE_MS)

    def _update_position(self) -> None:
        self.position_label.setText(self.controller.position_text())
        training = self.document.training
        # QProgressBar repaints itself at once when its text changes; with updates off it is painted
        # with the rest of the window instead, which a full-speed run does 30 times a second.
        self.progress.setUpdatesEnabled(False)
        self.progress.setMaximum(training.config.epochs)
        self.progress.setValue(min(training.epoch, training.config.epochs))
        self.progress.setUpdatesEnabled(True)

    def _running_changed(self, running: bool) -> None:
        self.window_actions.show_running(running)
        self.progress.setVisible(running)
        self._update_position()

    def _update_title(self) -> None:
        mistake = " — MISTAKEN UPDATE RULE" if self.document.training.config.update_rule == "in_place" else ""
        self.setWindowTitle(f"{self.document.title}[*]{mistake} — {APP_TITLE}")
        self.setWindowModified(self.document.modified)

    # -- simulation choices --------------------------------------------------------------------
    def set_granularity(self, granularity: str) -> None:
        self.controller.set_granularity(granularity)
        self.window_actions.show_choice(self.window_actions.granularity_combo, self.window_actions.granularity, granularity)

    def set_speed(self, speed: int) -> None:
        self.controller.set_speed(speed)
        self.window_actions.show_choice(self.window_actions.speed_combo, self.window_actions.speed, speed)

    def edit_selected(self) -> None:
        """F2: edit the current cell of a focused table, otherwise the value selected in the graph."""
        focus = self.focusWidget()
        if isinstance(focus, QAbstractItemView) and focus.currentIndex().isValid():
            focus.edit(focus.currentIndex())
            return
        item = self.view.selected_item()
        if item is None:
            self.show_message("Select a weight or bias first (click it, or Tab into the network), then press F2")
            return
        item.edit()

    # -- files ---------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the user cancels (or saving failed)."""
        if not self.document.modified:
            return True
        answer = QMessageBox.question(
            self, APP_TITLE, f"Save the changes to {self.document.title} before continuing?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_document(self) -> None:
        """The regression example as a new, untitled session."""
        self.controller.pause()
        if not self.maybe_save():
            return
        session = load_example(DEFAULT_EXAMPLE)
        session.title = ""
        self.document.replace_session(session)
        self.show_message("New session from the regression example")

    def open_example(self, name: str) -> None:
        self.controller.pause()
        if not self.maybe_save():
            return
        self.document.replace_session(load_example(name))
        self.view.fit()
        self.show_message(f"Opened the example {name!r}")

    def open_dialog(self) -> None:
        self.controller.pause()
        if not self.maybe_save():
            return
        path, _filter = QFileDialog.getOpenFileName(self, "Open Session", self._last_folder(), SESSION_FILTER)
        if path:
            self.open_path(path, asked=True)

    def open_path(self, path: str, asked: bool = False) -> bool:
        """Open a session file; on an error show it and keep the current document."""
        self.controller.pause()
        if not asked and not self.maybe_save():
            return False
        try:
            session = load(path)
        except SimulatorError as error:
            QMessageBox.warning(self, APP_TITLE, f"Could not open {Path(path).name}:\n{error}")
            return False
        self.document.replace_session(session, path)
        self._remember(path)
        self.view.fit()
        self.show_message(f"Opened {path}")
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(str(self.document.path))

    def save_as(self) -> bool:
        self.controller.pause()
        start = str(Path(self._last_folder()) / (self.document.path.name if self.document.path else "session.json"))
        path, _filter = QFileDialog.getSaveFileName(self, "Save Session As", start, SESSION_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return self.save_to(path)

    def save_untrained_copy(self) -> bool:
        """Save the starting parameters (what training starts from) with the same data and settings to
        another file; the document keeps its own file and modified flag."""
        self.controller.pause()
        stem = self.document.path.stem if self.document.path else "session"
        start = str(Path(self._last_folder()) / f"{stem}-untrained.json")
        path, _filter = QFileDialog.getSaveFileName(self, "Save Untrained Copy As", start, SESSION_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        try:
            self.document.save_untrained_copy(path)
        except (SimulatorError, OSError) as error:
            QMessageBox.critical(self, APP_TITLE, f"Could not save {Path(path).name}:\n{error}")
            return False
        self._remember(path)
        self.show_message(f"Saved the starting parameters, before any training, to {path}")
        return True

    def save_to(self, path: str) -> bool:
        """Save atomically; on failure show why and leave the document (and its modified flag) as it was."""
        try:
            self.document.save(path)
        except (SimulatorError, OSError) as error:
            QMessageBox.critical(self, APP_TITLE, f"Could not save {Path(path).name}:\n{error}")
            return False
        self._remember(path)
        self.show_message(f"Saved {path}")
        return True

    def import_csv(self) -> None:
        self.controller.pause()
        self.dataset_panel.import_csv()

    def _export(self, caption: str, suffix: str, file_filter: str, write) -> None:
        """Ask for a file name, then `write(path)`; report the result in the status bar."""
        self.controller.pause()
        stem = self.document.path.stem if self.document.path else "network"
        start = str(Path(self._last_folder()) / f"{stem}-{caption.split()[0].lower()}.{suffix}")
        path, _filter = QFileDialog.getSaveFileName(self, f"Export {caption}", start, file_filter)
        if not path:
            return
        try:
            write(path)
        except (SimulatorError, OSError) as error:
            QMessageBox.critical(self, APP_TITLE, f"Could not export {Path(path).name}:\n{error}")
            return
        self.show_message(f"Exported {caption.lower()} to {path}")

    def export_plot_png(self) -> None:
        self._export("Loss plot", "png", "PNG images (*.png)", self.loss_plot.export_png)

    def export_plot_csv(self) -> None:
        self._export("Loss history", "csv", "CSV files (*.csv)", self.loss_plot.export_csv)

    def export_graph_png(self) -> None:
        self._export("Network picture", "png", "PNG images (*.png)", self.view.export_png)

    def export_graph_svg(self) -> None:
        self._export("Network picture", "svg", "SVG images (*.svg)", self.view.export_svg)

    # -- recent files --------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = QSettings().value("recent_files", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _remember(self, path: str) -> None:
        path = str(Path(path).resolve())
        files = [path] + [item for item in self.recent_files() if item != path]
        settings = QSettings()
        settings.setValue("recent_files", files[:MAX_RECENT])
        settings.setValue("last_folder", str(Path(path).parent))

    def _last_folder(self) -> str:
        return str(QSettings().value("last_folder", str(Path.home())))

    def _fill_recent_menu(self, menu: QMenu) -> None:
        menu.clear()
        files = self.recent_files()
        for number, path in enumerate(files, start=1):
            action = menu.addAction(f"&{number} {Path(path).name}")
            action.setStatusTip(path)
            action.setToolTip(path)
            action.triggered.connect(lambda _checked=False, path=path: self.open_recent(path))
        if not files:
            menu.addAction("No recent files").setEnabled(False)

    def open_recent(self, path: str) -> None:
        if not Path(path).is_file():
            QSettings().setValue("recent_files", [item for item in self.recent_files() if item != path])
            QMessageBox.warning(self, APP_TITLE, f"{path} no longer exists; it was removed from the recent files.")
            return
        self.open_path(path)

    # -- help ----------------------------------------------------------------------------------
    def show_getting_started(self) -> None:
        QMessageBox.information(self, "Getting Started", resources.GETTING_STARTED)

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard Shortcuts", self.window_actions.shortcuts_html())

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_TITLE}", resources.about_html())

    # -- settings and closing ------------------------------------------------------------------
    def restore_settings(self) -> None:
        """Window geometry, panel layout, step granularity, run speed and precision from QSettings."""
        settings = QSettings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, LAYOUT_VERSION)   # a layout saved for other panels is not used
        granularity = str(settings.value("simulation/granularity", self.controller.granularity))
        self.set_granularity(granularity if granularity in self.window_actions.granularity else "factor")
        speed = _int_setting(settings, "simulation/speed", self.controller.speed)
        self.set_speed(speed if speed in SPEEDS else self.controller.speed)
        self.document.set_digits(_int_setting(settings, "display/digits", self.document.digits))
        self.window_actions.presentation.setChecked(self.presentation.restore_setting())

    def save_settings(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        settings.setValue("simulation/granularity", self.controller.granularity)
        settings.setValue("simulation/speed", self.controller.speed)
        settings.setValue("display/digits", self.document.digits)

    def dock_sizes(self) -> dict[str, tuple[int, int]]:
        """The width and height of every panel in view, to put the layout back with `restore_dock_sizes`
        after a panel that takes room (Practice) has been closed."""
        return {name: (dock.width(), dock.height()) for name, dock in self.docks.items() if self._in_view(dock)}

    @staticmethod
    def _in_view(dock: QDockWidget) -> bool:
        """Shown in the window and not behind another panel's tab."""
        return dock.isVisible() and not dock.isFloating() and not dock.visibleRegion().isEmpty()

    def restore_dock_sizes(self, sizes: dict[str, tuple[int, int]]) -> None:
        """Put the panels named in `sizes` back to those sizes (the ones since closed are left out)."""
        shown = [(self.docks[name], size) for name, size in sizes.items() if self._in_view(self.docks[name])]
        if not shown:
            return
        docks = [dock for dock, _size in shown]
        self.resizeDocks(docks, [size[0] for _dock, size in shown], Qt.Orientation.Horizontal)
        self.resizeDocks(docks, [size[1] for _dock, size in shown], Qt.Orientation.Vertical)

    def childEvent(self, event) -> None:
        """The tabs of docks sharing a place show their whole names: never "Inspe…"; when the
        column is too narrow for all of them (large fonts), the tab bar scrolls instead."""
        super().childEvent(event)
        child = event.child()
        if event.type() == QEvent.Type.ChildPolished and isinstance(child, QTabBar):
            child.setElideMode(Qt.TextElideMode.ElideNone)
            child.setUsesScrollButtons(True)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.controller.pause()
        if not self.maybe_save():
            event.ignore()
            return
        self.save_settings()
        event.accept()


def _scrolled(panel: QWidget) -> QScrollArea:
    """`panel` in a frameless scroll area that gives it the whole width, and scrolls sideways only when
    the column is narrower than the panel can be (nothing is cut off)."""
    area = QScrollArea(panel.parentWidget())
    area.setWidget(panel)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


def _int_setting(settings: QSettings, key: str, default: int) -> int:
    """An integer from QSettings (INI files store text); `default` when absent or not a number."""
    value = settings.value(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
