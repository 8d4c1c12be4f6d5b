"""The sheets of an exercise set: the student's sheet and the answer key, as HTML, Markdown, LaTeX and JSON.

Every formula of a key is the text `formatting` gives the inspector and the worked solutions; the JSON
holds each problem's session (as a session file holds it, so Open reads it) and every asked value at
full precision. The LaTeX needs only the article class and amsmath.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import ConfigError
from .exercises import ExerciseSpec, Problem, parse_choices
from .formatting import factor_line, format_number, gradient_line, record_lines, running_product_line
from .losses import get_loss
from .optimizers import Optimizer
from .path_text import chain_path_lines
from .records import FactorRecord, GradientRecord, Record
from .session import write_atomically
from .worked import _INDEXED_NAME, to_html, to_unicode_subscripts

FORMATS = ("html", "md", "tex", "json")
JSON_FORMAT = "backprop-sim-exercises/1"
#: The record kinds each asked part needs worked out, the parts before it included.
_KINDS = {"forward": ("forward",), "loss": ("forward", "loss"),
          "gradients": ("forward", "loss", "factor", "gradient"),
          "updates": ("forward", "loss", "factor", "gradient", "update")}
_PART_TITLES = {"forward": "Forward pass", "loss": "Loss", "gradients": "Gradients",
                "updates": "Updates (one step)"}


def parse_formats(text: str) -> tuple[str, ...]:
    """`html,md` → ('html', 'md'); ConfigError naming an unknown format."""
    return parse_choices(text, FORMATS, "format")


# -- the content, as plain engine text --------------------------------------------------------------
def shown_name(name: str) -> str:
    """An answer's name as the sheets write it: `dL/dw111` → `∂L/∂w111`, `w111_new` → `new w111`, `y_hat` → `ŷ`."""
    if name.startswith("dL/d"):
        return "∂L/∂" + name[4:]
    if name.endswith("_new"):
        return "new " + name[:-4]
    return "ŷ" + name[5:] if name.startswith("y_hat") else name


def setup_lines(problem: Problem, spec: ExerciseSpec) -> list[str]:
    """The problem as given: network, loss, learning rate, parameters and the sample."""
    session = problem.session
    network, loss = session.network, get_loss(session.loss)
    labels = [("y", "ŷ")] if network.n_outputs == 1 else [(f"y{k}", f"ŷ{k}") for k in range(1, network.n_outputs + 1)]
    hidden_count = len(network.layers) - 1
    hidden = f"hidden layer{'s' if hidden_count > 1 else ''} {spec.activation}, " if hidden_count else ""
    lines = [f"Network {spec.shape_text} ({hidden}output {network.layers[-1].activation}); loss "
             f"L = {loss.text(labels)} ({loss.title}); learning rate η = {format_number(session.training.learning_rate, 17)}; "
             f"{_rule_text(session.training.optimizer)} on this one sample."]
    for index, layer in enumerate(network.layers, start=1):
        values = [f"{ref.name} = {format_number(network.get(ref), 17)}" for ref in network.parameters()
                  if ref.layer == index]
        lines.append(f"Layer {index}: " + ", ".join(values))
    row = session.dataset.rows[0]
    columns = session.dataset.columns
    lines.append("Sample: " + ", ".join(f"{name} = {format_number(value, 17)}" for name, value in zip(columns, row)))
    return lines


def _rule_text(optimizer: Optimizer) -> str:
    if optimizer.plain:
        return "plain gradient descent, w ← w − η·∂L/∂w,"
    return f"one step of {optimizer.describe()} from a fresh start (every moment 0, t = 1)"


def asked_lines(problem: Problem, spec: ExerciseSpec) -> list[tuple[str, list[str]]]:
    """(part title, the shown names it asks) for every asked part."""
    parts = []
    for part in spec.ask:
        names = [name for name in problem.answers if _part_of(name) == part]
        parts.append((_PART_TITLES[part], [shown_name(name) for name in names]))
    return parts


def _part_of(name: str) -> str:
    if name == "L":
        return "loss"
    if name.startswith("dL/d"):
        return "gradients"
    return "updates" if name.endswith("_new") else "forward"


def worked_lines(records: list[Record], spec: ExerciseSpec) -> list[tuple[str, str]]:
    """(style, text) lines of a problem's worked solution, up to the last asked part; style is `phase`,
    `line`, `factor` or `result`."""
    kinds = _KINDS[spec.ask[-1]]
    digits, lines, phase = spec.digits, [], None
    for record in records:
        if record.kind not in kinds:
            continue
        title = _phase_title(record)
        if title != phase:
            lines.append(("phase", title))
            phase = title
        if isinstance(record, FactorRecord):
            lines.append(("factor", f"{factor_line(record, digits)}    ({running_product_line(record, digits)})"))
            lines += [("factor", line) for line in chain_path_lines(record, digits)]
        elif isinstance(record, GradientRecord):
            lines.append(("result", gradient_line(record, digits)))
            lines += [("factor", line) for line in chain_path_lines(record, digits)]
        else:
            lines += [("line", line) for line in record_lines(record, digits)]
    return lines


def _phase_title(record: Record) -> str:
    if record.kind in ("factor", "gradient"):
        return f"Backward pass: ∂L/∂{record.parameter}"
    return {"forward": "Forward pass", "loss": "Loss", "update": "Updates (every parameter moves at once)"}[record.kind]


def answer_rows(problem: Problem, digits: int) -> list[tuple[str, str]]:
    return [(shown_name(name), format_number(value, digits)) for name, value in problem.answers.items()]


@dataclass(frozen=True, slots=True)
class ProblemText:
    """A problem's text, made once for every format: the set-up lines, the asked parts (title, shown
    names), the answers (shown name, value at the set's digits) and the worked solution's (style, line)."""

    number: int
    setup: list[str]
    asked: list[tuple[str, list[str]]]
    answers: list[tuple[str, str]]
    worked: list[tuple[str, str]]


def problem_text(problem: Problem, spec: ExerciseSpec) -> ProblemText:
    return ProblemText(problem.number, setup_lines(problem, spec), asked_lines(problem, spec),
                       answer_rows(problem, spec.digits), worked_lines(problem.records, spec))


def _title(spec: ExerciseSpec, key: bool) -> str:
    return f"Backpropagation exercises, set {spec.seed}" + (": answer key" if key else "")


def _intro(spec: ExerciseSpec, key: bool) -> str:
    if key:
        return (f"Answers to {spec.digits} significant digits (the calculation uses full precision); "
                "each worked solution is the simulator's own calculation of the step.")
    return (f"For each problem, do one training step by hand on the sample given and write each value "
            f"to {spec.digits} significant digits. Names follow the lectures: w111 is the weight of layer 1 "
            "from input 1 to neuron 1, z is a neuron's weighted sum and o its output.")


# -- HTML -------------------------------------------------------------------------------------------
_CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; max-width: 60em; margin: 2em auto;
       padding: 0 1em; color: #111; line-height: 1.45; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #bbb; margin-top: 1.6em; }
h3 { font-size: 1em; margin: 1em 0 0.3em 0; } p { margin: 0.2em 0; } .factor { margin-left: 1.5em; }
.result { font-weight: bold; } sub { font-size: 0.75em; }
table { border-collapse: collapse; } td { padding: 0.15em 0.8em 0.15em 0; }
.blank { display: inline-block; min-width: 8em; border-bottom: 1px solid #555; }
@media print { .problem { page-break-inside: avoid; } h2 { page-break-after: avoid; } }
"""


def _html_head(spec: ExerciseSpec, key: bool) -> list[str]:
    title = _title(spec, key)
    return ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
            f"<h1>{html.escape(title)}</h1>", f"<p>{to_html(_intro(spec, key))}</p>"]


def _html_problem(text: ProblemText, key: bool) -> list[str]:
    parts = ['<div class="problem">', f"<h2>Problem {text.number}</h2>"]
    parts += [f"<p>{to_html(line)}</p>" for line in text.setup]
    if key:
        parts += ["<h3>Answers</h3>", "<table>"]
        parts += [f"<tr><td>{to_html(name)}</td><td>{to_html(value)}</td></tr>" for name, value in text.answers]
        parts += ["</table>", "<h3>Worked solution</h3>"]
        parts += [f"<h3>{to_html(line)}</h3>" if style == "phase" else f'<p class="{style}">{to_html(line)}</p>'
                  for style, line in text.worked]
    else:
        for part, names in text.asked:
            parts += [f"<h3>{to_html(part)}</h3>", "<table>"]
            parts += [f'<tr><td>{to_html(name)} =</td><td><span class="blank"></span></td></tr>' for name in names]
            parts.append("</table>")
    return parts + ["</div>"]


# -- Markdown ---------------------------------------------------------------------------------------
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", to_unicode_subscripts(text))


def _md_head(spec: ExerciseSpec, key: bool) -> list[str]:
    return [f"# {_md(_title(spec, key))}", "", _md(_intro(spec, key))]


def _md_problem(text: ProblemText, key: bool) -> list[str]:
    parts = ["", f"## Problem {text.number}", ""] + [f"{_md(line)}  " for line in text.setup]
    if key:
        parts += ["", "### Answers", "", "| quantity | value |", "| --- | --- |"]
        parts += [f"| {_md(name)} | {_md(value)} |" for name, value in text.answers]
        parts += ["", "### Worked solution"]
        for style, line in text.worked:
            if style == "phase":
                parts += ["", f"#### {_md(line)}", ""]
            else:
                parts.append(f"- **{_md(line)}**" if style == "result" else f"- {_md(line)}")
    else:
        for part, names in text.asked:
            parts += ["", f"### {_md(part)}", ""] + [f"- {_md(name)} = ____________" for name in names]
    return parts


# -- LaTeX ------------------------------------------------------------------------------------------
_TEX_SYMBOLS = {"∂": r"\partial ", "·": r"\cdot ", "−": "-", "η": r"\eta ", "←": r"\leftarrow ",
                "σ": r"\sigma ", "½": r"\tfrac{1}{2}", "Σ": r"\Sigma ", "δ": r"\delta ", "→": r"\rightarrow ",
                "≈": r"\approx ", "…": r"\ldots ", "×": r"\times ", "α": r"\alpha ", "β": r"\beta ",
                "ε": r"\varepsilon ", "μ": r"\mu ", "λ": r"\lambda ", "√": r"\surd "}
_TEX_TEXT = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
             "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "–": "--"}
_SUPERSCRIPTS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹ᵗ", "-0123456789t")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉ₖⱼ", "0123456789kj")
#: A name with indices (groups 1, 2), a symbol (3), a letter with a hat, m̂ (4), a run of superscripts
#: (5) or of subscripts (6): each becomes math.
_TEX_TOKEN = re.compile(_INDEXED_NAME.pattern + "|([" + "".join(_TEX_SYMBOLS) + "])|([A-Za-z])\u0302"
                        "|([⁻⁰¹²³⁴⁵⁶⁷⁸⁹ᵗ]+)|([₀₁₂₃₄₅₆₇₈₉ₖⱼ]+)")


def to_tex(text: str) -> str:
    """Plain engine text as LaTeX text: names with subscripts, symbols in math mode, specials escaped."""
    pieces, end = [], 0
    for match in _TEX_TOKEN.finditer(text):
        pieces.append(_tex_text(text[end:match.start()]))
        name, indices, symbol, hatted, raised, lowered = match.groups()
        if symbol:
            math_text = _TEX_SYMBOLS[symbol]   # a command keeps its space: $\partial w_{1}$
        elif hatted:
            math_text = rf"\hat{{{hatted}}}"
        elif raised:
            math_text = f"^{{{raised.translate(_SUPERSCRIPTS)}}}"
        elif lowered:
            math_text = f"_{{{lowered.translate(_SUBSCRIPTS)}}}"
        else:
            math_text = (r"\hat{y}" if name == "ŷ" else name) + f"_{{{indices.replace('_', ',')}}}"
        pieces.append(f"${math_text}$")
        end = match.end()
    pieces.append(_tex_text(text[end:]))
    return "".join(pieces).replace("$$", "")


def _tex_text(text: str) -> str:
    out = []
    for char in text:
        if char in _TEX_TEXT:
            out.append(_TEX_TEXT[char])
        elif char == "ŷ":
            out.append(r"$\hat{y}$")
        elif ord(char) < 128:
            out.append(char)
        else:
            raise ConfigError(f"the character {char!r} (U+{ord(char):04X}) has no LaTeX form in the exercise sheets")
    return "".join(out)


def _tex_head(spec: ExerciseSpec, key: bool) -> list[str]:
    return [r"\documentclass[11pt]{article}", r"\usepackage{amsmath}",
            r"\setlength{\parindent}{0pt}\setlength{\parskip}{3pt}\sloppy", r"\begin{document}",
            rf"\section*{{{to_tex(_title(spec, key))}}}", to_tex(_intro(spec, key)), ""]


def _tex_problem(text: ProblemText, key: bool) -> list[str]:
    parts = [rf"\subsection*{{Problem {text.number}}}"] + [to_tex(line) + r"\\" for line in text.setup]
    if key:
        parts += [r"\subsubsection*{Answers}", r"\begin{tabular}{ll}"]
        parts += [rf"{to_tex(name)} & {to_tex(value)}\\" for name, value in text.answers]
        parts += [r"\end{tabular}", r"\subsubsection*{Worked solution}"]
        for style, line in text.worked:
            if style == "phase":
                parts.append(rf"\paragraph{{{to_tex(line)}}}\mbox{{}}\\")
            else:
                line = to_tex(line)
                parts.append((rf"\textbf{{{line}}}" if style == "result" else
                              rf"\hspace*{{1.5em}}{line}" if style == "factor" else line) + r"\par")
    else:
        for part, names in text.asked:
            parts += [rf"\paragraph{{{to_tex(part)}}}\mbox{{}}\\", r"\begin{tabular}{ll}"]
            parts += [rf"{to_tex(name)} $=$ & \rule{{10em}}{{0.4pt}}\\[4pt]" for name in names]
            parts.append(r"\end{tabular}")
    return parts


# -- JSON -------------------------------------------------------------------------------------------
def exercises_json(problems: list[Problem], spec: ExerciseSpec) -> str:
    """Every problem's session and its asked values by name, at full precision."""
    data = {"format": JSON_FORMAT,
            "settings": {"count": spec.count, "seed": spec.seed, "shape": spec.shape_text,
                         "activation": spec.activation, "loss": spec.loss, "optimizer": spec.optimizer,
                         "learning_rate": spec.learning_rate, "ask": list(spec.ask), "digits": spec.digits},
            "problems": [{"number": problem.number, "session": problem.session.to_dict(),
                          "answers": problem.answers} for problem in problems]}
    return json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False) + "\n"


# -- a set, one problem at a time --------------------------------------------------------------------
_RENDER = {"html": (_html_head, _html_problem, ["</body>", "</html>", ""]),
           "md": (_md_head, _md_problem, [""]),
           "tex": (_tex_head, _tex_problem, [r"\end{document}", ""])}


class SheetSet:
    """The sheets of a set in `formats`, built one problem at a time (`add`: each problem's text is made
    once and written in every format), then written to a folder (`write`)."""

    def __init__(self, spec: ExerciseSpec, formats: tuple[str, ...] = FORMATS):
        self.spec, self.formats = spec, formats
        self.problems: list[Problem] = []
        self._parts = {(kind, key): _RENDER[kind][0](spec, key) for kind in formats if kind in _RENDER
                       for key in (False, True)}

    def add(self, problem: Problem) -> None:
        text = problem_text(problem, self.spec)
        for (kind, key), parts in self._parts.items():
            parts += _RENDER[kind][1](text, key)
        self.problems.append(problem)

    def text(self, kind: str, key: bool) -> str:
        """The student's sheet (`key` False) or the answer key in `kind` (html, md or tex)."""
        return "\n".join(self._parts[kind, key] + _RENDER[kind][2])

    def write(self, folder: str | Path) -> list[Path]:
        """Write every file of `writing(folder)`; returns their paths."""
        return [path for path in self.writing(folder)]

    def writing(self, folder: str | Path) -> Iterator[Path]:
        """Write `exercises.<ext>` and `answers.<ext>` for each format (json: `exercises.json` with the
        answers, and one session file per problem under `sessions/`) into `folder`, one file each time
        the iterator is advanced (a window can write a large set between redraws); yields each path."""
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"{folder} is a file, not a folder; choose a folder for the exercises")
        _make_folder(folder)
        for kind in self.formats:
            if kind == "json":
                yield _write(folder / "exercises.json", exercises_json(self.problems, self.spec))
                _make_folder(folder / "sessions")
                for problem in self.problems:
                    yield _write(folder / "sessions" / f"problem-{problem.number:02d}.json", problem.session.to_json())
            else:
                for stem, key in (("exercises", False), ("answers", True)):
                    yield _write(folder / f"{stem}.{kind}", self.text(kind, key))

    def file_count(self) -> int:
        """How many files `writing` writes."""
        return sum(1 + len(self.problems) if kind == "json" else 2 for kind in self.formats)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot make the folder {folder}: {error.strerror or error}") from None


def sheets(problems: list[Problem], spec: ExerciseSpec, formats: tuple[str, ...] = FORMATS) -> SheetSet:
    """The sheets of `problems`, ready to read (`text`) or write."""
    result = SheetSet(spec, formats)
    for problem in problems:
        result.add(problem)
    return result


def write_sheets(problems: list[Problem], spec: ExerciseSpec, folder: str | Path,
                 formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """`SheetSet.write` of `problems`."""
    return sheets(problems, spec, formats).write(folder)


def _write(path: Path, text: str) -> Path:
    write_atomically(path, text)
    return path

