"""The main window's actions, menus and toolbar, and the Help texts built from them."""

from __future__ import annotations

import html
from typing import Callable

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QStyle, QToolBar

from simulator.stepper import GRANULARITIES

from .controller import GRANULARITY_LABELS, SPEEDS
from .inspector import DELTA_NOTATION_KEY
from .learn.exercises_dialog import export_exercises
from .learn.script_export import export_training_script
from .learn.worked_export import export_worked_solution

GRANULARITY_TIPS = {
    "factor": "Each step shows one factor of the chain rule (and one neuron of the forward pass)",
    "phase": "Each step shows a layer's forward pass, the loss, one parameter's gradient, or the updates",
    "stage": "Each step shows one phase of training: the forward pass, the loss, the backward pass (every "
             "gradient), the updates",
    "sample": "Each step trains on one whole sample",
    "epoch": "Each step trains one whole epoch",
}


def speed_label(speed: int) -> str:
    """`1 step/s`, `5 steps/s`, or `As fast as possible` for 0."""
    if speed == 0:
        return "As fast as possible"
    return f"{speed} step/s" if speed == 1 else f"{speed} steps/s"


def shortcut_text(action: QAction) -> str:
    """The action's shortcuts as the platform writes them: `Ctrl+Shift+Z, Ctrl+Y`."""
    return ", ".join(key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts())


def make_action(parent: QObject, text: str, slot: Callable[[], object] | None = None,
                shortcuts: tuple = (), tip: str = "", icon: QIcon | None = None,
                checkable: bool = False) -> QAction:
    """A QAction whose tooltip names its first shortcut: `Step (F10)`."""
    action = QAction(text, parent)
    action.setShortcuts([QKeySequence(key) for key in shortcuts])
    action.setCheckable(checkable)
    if icon is not None:
        action.setIcon(icon)
    if slot is not None:
        action.triggered.connect(lambda: slot())
    set_tip(action, tip or text.replace("&", "").rstrip("…"))
    return action


def set_tip(action: QAction, tip: str) -> None:
    """Tooltip with the first shortcut in brackets; the status tip without."""
    shortcuts = action.shortcuts()
    keys = shortcuts[0].toString(QKeySequence.SequenceFormat.NativeText) if shortcuts else ""
    action.setToolTip(f"{tip} ({keys})" if keys else tip)
    action.setStatusTip(tip)


class WindowActions:
    """Every action of the main window, connected to `window`'s slots and its controller."""

    def __init__(self, window):
        self.window = window
        controller = window.controller
        style = window.style()

        def icon(pixmap: QStyle.StandardPixmap) -> QIcon:
            return style.standardIcon(pixmap)

        pixmaps = QStyle.StandardPixmap
        keys = QKeySequence.StandardKey
        act = make_action
        # File
        self.new = act(window, "&New", window.new_document, (keys.New,), "Start again from the regression example")
        self.open = act(window, "&Open…", window.open_dialog, (keys.Open,), "Open a saved session")
        self.save = act(window, "&Save", window.save, (keys.Save,),
                        "Save the session with its parameters as trained so far")
        self.save_as = act(window, "Save &As…", window.save_as, ("Ctrl+Shift+S",), "Save the session to a new file")
        self.save_untrained = act(window, "Save &Untrained Copy As…", window.save_untrained_copy, (),
                                  "Save the starting parameters, before any training, with the same data and "
                                  "settings to another file")
        self.import_csv = act(window, "&Import CSV…", window.import_csv, (), "Replace the dataset with a CSV file")
        self.export_plot_png = act(window, "Loss plot as &PNG…", window.export_plot_png)
        self.export_plot_csv = act(window, "Loss history as &CSV…", window.export_plot_csv)
        self.export_graph_png = act(window, "Network picture as P&NG…", window.export_graph_png)
        self.export_graph_svg = act(window, "Network picture as &SVG…", window.export_graph_svg)
        self.export_worked_step = act(window, "&Worked Solution of This Step…",
                                      lambda: export_worked_solution(window, "step"), (),
                                      "Every calculation of the current step as an HTML page or Markdown")
        self.export_worked_epoch = act(window, "Worked Solution of This &Epoch…",
                                       lambda: export_worked_solution(window, "epoch"), (),
                                       "Every calculation from the current step to the end of its epoch")
        self.export_pytorch = act(window, "Training as P&yTorch Script…",
                                  lambda: export_training_script(window, "pytorch"), (),
                                  "A runnable PyTorch script that trains the same network the same way and "
                                  "prints the same losses and parameters")
        self.export_keras = act(window, "Training as &Keras Script…", lambda: export_training_script(window, "keras"),
                                (), "A runnable Keras script that trains the same network the same way")
        self.export_exercises = act(window, "Export Exer&cises…", lambda: export_exercises(window), (),
                                    "A set of problems to work by hand, with answer keys, for a class")
        self.quit = act(window, "&Quit", window.close, ("Ctrl+Q",), "Quit the app")
        # Edit
        stack = window.document.undo_stack
        self.undo = stack.createUndoAction(window, "&Undo")
        self.undo.setShortcuts([QKeySequence(keys.Undo)])
        self.redo = stack.createRedoAction(window, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for action, tip in ((self.undo, "Undo the last edit"), (self.redo, "Redo the edit undone last")):
            set_tip(action, tip)
        self.edit_value = act(window, "&Edit Selected Value", window.edit_selected, ("F2",),
                              "Type a new value for the selected weight, bias or cell")
        # Simulation
        self.step = act(window, "&Step", controller.step, ("F10",), "Step", icon(pixmaps.SP_MediaSkipForward))
        self.step_into = act(window, "Step &Into", controller.step_into, ("F11",),
                             "Step into: a finer step", icon(pixmaps.SP_ArrowDown))
        self.step_out = act(window, "Step &Out", controller.step_out, ("Shift+F11",),
                            "Step out: finish this sample", icon(pixmaps.SP_ArrowUp))
        self.step_back = act(window, "Step &Back", controller.step_back, ("Ctrl+F10", "Alt+Left"),
                             "Step back one step at the chosen granularity", icon(pixmaps.SP_MediaSkipBackward))
        self.back_to_start = act(window, "Back to Star&t", controller.back_to_start, (),
                                 "Back to the start of training (or to your last edit)",
                                 icon(pixmaps.SP_MediaSeekBackward))
        self.next_term = act(window, "Next Ter&m of the Sum", controller.next_term, ("F9",),
                             "Light the next term of a sum over paths on the graph, with its numbers")
        self.previous_term = act(window, "Pre&vious Term of the Sum", controller.previous_term, ("Shift+F9",),
                                 "Light the previous term of a sum over paths on the graph")
        self.run = act(window, "&Run / Continue", controller.run, ("F5",), "Run", icon(pixmaps.SP_MediaPlay))
        self.pause = act(window, "&Pause", controller.pause, ("Shift+F5",), "Pause", icon(pixmaps.SP_MediaPause))
        self.run_pause = act(window, "Run", controller.toggle_run, (), "Run (F5)", icon(pixmaps.SP_MediaPlay))
        self.run_to_end = act(window, "Run to &End", controller.run_to_end, ("Ctrl+F5",),
                              "Run to end: train at full speed", icon(pixmaps.SP_MediaSeekForward))
        self.reset = act(window, "R&eset", controller.reset, ("Ctrl+R",),
                         "Reset to the start of training", icon(pixmaps.SP_BrowserReload))
        self.granularity = self._radio_group(
            {name: GRANULARITY_LABELS[name] for name in GRANULARITIES}, window.set_granularity, GRANULARITY_TIPS)
        self.speed = self._radio_group({speed: speed_label(speed) for speed in SPEEDS}, window.set_speed)
        # View
        self.zoom_in = act(window, "Zoom &In", window.view.zoom_in, (keys.ZoomIn, "Ctrl+="), "Zoom in on the network")
        self.zoom_out = act(window, "Zoom &Out", window.view.zoom_out, (keys.ZoomOut,), "Zoom out")
        self.fit = act(window, "&Fit Network", window.view.fit, ("Ctrl+0",), "Fit the network to the view")
        self.sample_losses = self._mirror(window.loss_plot.samples_box, "Loss per &Sample",
                                          "Also plot the loss of every sample")
        self.log_scale = self._mirror(window.loss_plot.log_box, "&Logarithmic Loss Axis", "Plot the loss on a log scale")
        self.delta_notation = act(window, "&δ Notation", tip="Write ∂L/∂z as δ, each neuron's δ shown where the "
                                  "backward pass reaches it, and gradients as δ times the input", checkable=True)
        self.delta_notation.setChecked(bool(QSettings().value(DELTA_NOTATION_KEY, False, type=bool)))
        # The inspector is made after the actions: looked up when the option changes.
        self.delta_notation.toggled.connect(lambda on: window.inspector.set_delta_notation(on))
        self.presentation = act(window, "Presentation &Mode", shortcuts=("Ctrl+Shift+P",), checkable=True,
                                tip="Larger fonts and thicker lines throughout, for a projector")
        # Help
        self.getting_started = act(window, "&Getting Started", window.show_getting_started, (keys.HelpContents,))
        self.shortcuts = act(window, "&Keyboard Shortcuts", window.show_shortcuts)
        self.about = act(window, "&About Backprop Simulator", window.show_about)
        self.about.setMenuRole(QAction.MenuRole.AboutRole)
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)

    def _mirror(self, box, text: str, tip: str) -> QAction:
        """A checkable action that stays in step with the check box `box` of a panel."""
        action = make_action(self.window, text, tip=tip, checkable=True)
        action.setChecked(box.isChecked())
        action.toggled.connect(box.setChecked)
        box.toggled.connect(action.setChecked)
        return action

    def _radio_group(self, labels: dict, slot: Callable, tips: dict | None = None) -> dict:
        """Checkable actions, one per key of `labels`, exclusive; `slot(key)` when one is chosen."""
        group = QActionGroup(self.window)
        actions = {}
        for key, label in labels.items():
            action = QAction(label, group)
            action.setCheckable(True)
            action.setStatusTip((tips or {}).get(key, label))
            action.triggered.connect(lambda _checked=False, key=key: slot(key))
            actions[key] = action
        return actions

    # -- menus and toolbar ---------------------------------------------------------------------
    def build_menus(self, recent_menu_filler: Callable, examples: list[tuple[str, str]],
                    dock_actions: list[QAction]) -> None:
        """The menu bar; `examples` are (name, title) pairs; `dock_actions` toggle the panels."""
        bar = self.window.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new, self.open])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(lambda: recent_menu_filler(self.recent_menu))
        self.examples_menu = file_menu.addMenu("E&xamples")
        for name, title in examples:
            action = self.examples_menu.addAction((title or name).replace("&", "&&"))
            action.setData(name)
            action.setStatusTip(f"Open the built-in example {name!r}")
            action.triggered.connect(lambda _checked=False, name=name: self.window.open_example(name))
        file_menu.addSeparator()
        file_menu.addActions([self.save, self.save_as, self.save_untrained])
        file_menu.addSeparator()
        file_menu.addAction(self.import_csv)
        export = file_menu.addMenu("&Export")
        export.addActions([self.export_plot_png, self.export_plot_csv, self.export_graph_png, self.export_graph_svg])
        export.addSeparator()
        export.addActions([self.export_worked_step, self.export_worked_epoch])
        export.addSeparator()
        export.addActions([self.export_pytorch, self.export_keras])
        file_menu.addAction(self.export_exercises)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo, self.redo])
        edit.addSeparator()
        edit.addAction(self.edit_value)
        view = bar.addMenu("&View")
        panels = view.addMenu("&Panels")
        panels.addActions(dock_actions)
        view.addSeparator()
        view.addActions([self.zoom_in, self.zoom_out, self.fit])
        view.addSeparator()
        view.addActions([self.sample_losses, self.log_scale])
        view.addSeparator()
        view.addAction(self.delta_notation)
        view.addSeparator()
        view.addAction(self.presentation)
        view.addSeparator()
        simulation = bar.addMenu("&Simulation")
        simulation.addActions([self.step, self.step_into, self.step_out, self.step_back, self.back_to_start])
        simulation.addSeparator()
        simulation.addActions([self.next_term, self.previous_term])
        simulation.addSeparator()
        simulation.addActions([self.run, self.pause, self.run_to_end, self.reset])
        simulation.addSeparator()
        simulation.addMenu("Step &Granularity").addActions(list(self.granularity.values()))
        simulation.addMenu("Run &Speed").addActions(list(self.speed.values()))
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.getting_started, self.shortcuts])
        help_menu.addSeparator()
        help_menu.addAction(self.about)

    def build_toolbar(self) -> QToolBar:
        """Step, Step Into, Step Out, Run/Pause, Run to End, Reset, and the granularity and speed combos."""
        bar = QToolBar("Simulation", self.window)
        bar.setObjectName("simulation_toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addActions([self.step_back, self.step, self.step_into, self.step_out])
        bar.addSeparator()
        bar.addActions([self.run_pause, self.run_to_end, self.reset])
        run_button = bar.widgetForAction(self.run_pause)
        widths = []
        for running in (True, False):   # one width for both texts, so the combos do not jump
            self.show_running(running)
            widths.append(run_button.sizeHint().width())
        run_button.setMinimumWidth(max(widths))
        bar.addSeparator()
        self.granularity_combo = self._combo(bar, "Step by:", self.granularity,
                                             "How much one step (F10) shows", self.window.set_granularity)
        self.speed_combo = self._combo(bar, "Speed:", self.speed, "How fast Run (F5) steps", self.window.set_speed)
        return bar

    def _combo(self, bar: QToolBar, label: str, actions: dict, tip: str, slot: Callable) -> QComboBox:
        caption = QLabel(label, bar)
        caption.setContentsMargins(8, 0, 4, 0)
        bar.addWidget(caption)
        combo = QComboBox(bar)
        for key, action in actions.items():
            combo.addItem(action.text(), key)
        combo.setToolTip(tip)
        # As wide as its longest choice in any font ("Chain-rule factor" in presentation mode): a full
        # toolbar moves its last items behind its » button rather than cut a choice short.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        combo.activated.connect(lambda index: slot(combo.itemData(index)))
        caption.setBuddy(combo)
        bar.addWidget(combo)
        return combo

    def show_choice(self, combo: QComboBox, actions: dict, key) -> None:
        """Check the radio action `key` and select it in `combo` without triggering either."""
        actions[key].setChecked(True)
        combo.setCurrentIndex(combo.findData(key))

    def show_running(self, running: bool) -> None:
        """Run/Pause button: Pause while a run is under way, Run otherwise."""
        pixmap = QStyle.StandardPixmap.SP_MediaPause if running else QStyle.StandardPixmap.SP_MediaPlay
        self.run_pause.setIcon(self.window.style().standardIcon(pixmap))
        self.run_pause.setText("Pause" if running else "Run")
        self.run_pause.setToolTip("Pause (Shift+F5)" if running else "Run (F5)")
        self.run.setEnabled(not running)
        self.pause.setEnabled(running)

    # -- help texts ----------------------------------------------------------------------------
    def shortcuts_html(self) -> str:
        """A table of every action that has a shortcut, in menu order."""
        rows = []
        for action in (self.new, self.open, self.save, self.save_as, self.quit, self.undo, self.redo,
                       self.edit_value, self.step, self.step_into, self.step_out, self.step_back, self.next_term,
                       self.previous_term, self.run, self.pause,
                       self.run_to_end, self.reset, self.zoom_in, self.zoom_out, self.fit, self.presentation, self.getting_started):
            name = action.statusTip() or action.text().replace("&", "")
            rows.append(f"<tr><td><b>{html.escape(shortcut_text(action))}</b></td>"
                        f"<td>{html.escape(name)}</td></tr>")
        return "<table cellspacing=6>" + "".join(rows) + "</table>"

