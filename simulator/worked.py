"""Worked solutions: the complete calculation of a step or an epoch as an HTML page or Markdown.

Every line is the text `formatting` gives the inspector and the command line, so a handout shows the
same numbers as the screen. The records of an epoch are computed on a copy of the training, so
exporting never advances the real run.
"""

from __future__ import annotations

import copy
import html
import re

from .formatting import (describe, factor_line, format_number, gradient_line, record_lines, running_product_line,
                         simplification_line)
from .errors import ConfigError
from .notation import shown_indices, subscript_indices
from .path_text import chain_path_lines
from .records import EpochRecord, FactorRecord, GradientRecord, Record
from .stepper import Stepper
from .training import Training

#: A name with indices in the lectures' notation: w111, b21, z12, o11, x1, ŷ2, y1, w1_10_2.
#: A name with indices; a square may follow (`1 − o11²`), though Python counts "²" as a word character.
_INDEXED_NAME = re.compile(r"(?<![\w])([wbzoxy]|ŷ)(\d+(?:_\d+)*)(?!(?!²)\w)")
#: Largest number of records written into one worked solution (an epoch of a large dataset is not a handout).
MAX_RECORDS = 20_000


def to_html(text: str) -> str:
    """Plain engine text as HTML, escaped, with indices as subscripts: `w111` → `w<sub>111</sub>`."""
    escaped = html.escape(text, quote=False)

    def subscript(match: re.Match) -> str:
        return f"{match.group(1)}<sub>{shown_indices(match.group(2))}</sub>"

    return _INDEXED_NAME.sub(subscript, escaped)


def to_unicode_subscripts(text: str) -> str:
    """Plain engine text with indices as Unicode subscripts (`w111` → `w₁₁₁`), for plain-text output."""
    return _INDEXED_NAME.sub(lambda match: match.group(1) + subscript_indices(match.group(2)), text)


# -- which records ------------------------------------------------------------------------------
def step_records(stepper: Stepper) -> list[Record]:
    """Every record of the batch the stepper shows (or of the next one), its epoch's end included."""
    if stepper.records and stepper.batch is None:
        return list(stepper.records)
    if stepper.training.finished:
        raise ConfigError("training has stopped; there is no step to write out (reset or step back first)")
    scratch = Stepper(copy.deepcopy(stepper.training))
    scratch.next_record()
    return [scratch.records[0]] + scratch.finish_batch()


def epoch_records(stepper: Stepper) -> list[Record]:
    """Every record from the batch under way (or the next one) to the end of its epoch, on a copy."""
    training = stepper.training
    if training.finished:
        raise ConfigError("training has stopped; there is no epoch to write out (reset or step back first)")
    if _records_per_sample(training) * (training.n_samples - training.position) > MAX_RECORDS:
        raise ConfigError(f"an epoch of {training.n_samples:,} samples is too long for a worked solution; "
                          "export one step instead")
    scratch = Stepper(copy.deepcopy(training))
    return scratch.step("epoch")


def _records_per_sample(training: Training) -> int:
    """At most how many records one sample adds (forward, loss, chains of at most layers + 2 factors, update)."""
    network = training.network
    neurons = sum(layer.n_out for layer in network.layers)
    parameters = network.parameter_count()
    return neurons + 1 + parameters * (len(network.layers) + 3) + parameters


# -- grouping -----------------------------------------------------------------------------------
def sections(records: list[Record]) -> list[tuple[str, list[Record]]]:
    """The records under headings: each sample's calculation, then each update, each epoch's end."""
    result: list[tuple[str, list[Record]]] = []
    for record in records:
        if record.kind == "update":
            heading = f"Epoch {record.epoch}: update after sample {record.sample}"
        elif record.kind == "epoch":
            heading = describe(record)
        else:
            heading = f"Epoch {record.epoch}, sample {record.sample} (dataset row {record.row})"
        if not result or result[-1][0] != heading:
            result.append((heading, []))
        result[-1][1].append(record)
    return result


def _lines(records: list[Record], digits: int) -> list[tuple[str, str]]:
    """(style, text) lines of one section: factors with their running products, gradients as results."""
    lines: list[tuple[str, str]] = []
    phase = None
    for record in records:
        title = _phase_title(record)
        if title != phase:
            lines.append(("phase", title))
            phase = title
        if isinstance(record, FactorRecord):
            lines.append(("factor", f"{factor_line(record, digits)}    ({running_product_line(record, digits)})"))
            if record.simplification is not None:
                lines.append(("factor", simplification_line(record, digits)))
            lines += [("factor", line) for line in chain_path_lines(record, digits)]
        elif isinstance(record, GradientRecord):
            lines.append(("result", gradient_line(record, digits)))
            lines += [("factor", line) for line in chain_path_lines(record, digits)]
        else:
            style = "result" if isinstance(record, EpochRecord) else "line"
            lines += [(style, line) for line in record_lines(record, digits)]
    return lines


def _phase_title(record: Record) -> str:
    if record.kind == "forward":
        return "Forward pass"
    if record.kind == "loss":
        return "Loss"
    if record.kind in ("factor", "gradient"):
        return f"Backward pass: ∂L/∂{record.parameter}"
    if record.kind == "update":
        return "Updates (every parameter moves at once)"
    return "Mean loss of the epoch"


# -- output -------------------------------------------------------------------------------------
_CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; max-width: 60em; margin: 2em auto;
       padding: 0 1em; color: #111; line-height: 1.45; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #bbb; margin-top: 1.6em; }
h3 { font-size: 1em; margin: 1em 0 0.3em 0; }
p { margin: 0.2em 0; } .meta { color: #444; } .factor { margin-left: 1.5em; }
.result { font-weight: bold; } .warning { color: #b00020; font-weight: bold; }
sub { font-size: 0.75em; }
@media print { h2 { page-break-after: avoid; } }
"""


def worked_html(records: list[Record], title: str, context: list[str], digits: int) -> str:
    """A self-contained HTML page (inline CSS) of `records`; `context` lines describe the set-up."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
             f"<h1>{to_html(title)}</h1>"]
    parts += [f'<p class="{"warning" if "MISTAKEN" in line else "meta"}">{to_html(line)}</p>' for line in context]
    for heading, group in sections(records):
        parts.append(f"<h2>{to_html(heading)}</h2>")
        for style, text in _lines(group, digits):
            if style == "phase":
                parts.append(f"<h3>{to_html(text)}</h3>")
            else:
                parts.append(f'<p class="{style}">{to_html(text)}</p>')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", to_unicode_subscripts(text))


def worked_markdown(records: list[Record], title: str, context: list[str], digits: int) -> str:
    """The same content as `worked_html` in Markdown, indices as Unicode subscripts."""
    parts = [f"# {_md(title)}", ""]
    parts += [f"{'**' + _md(line) + '**' if 'MISTAKEN' in line else _md(line)}  " for line in context]
    for heading, group in sections(records):
        parts += ["", f"## {_md(heading)}"]
        for style, text in _lines(group, digits):
            if style == "phase":
                parts += ["", f"### {_md(text)}", ""]
            elif style == "factor":
                parts.append(f"- {_md(text)}")
            elif style == "result":
                parts.append(f"- **{_md(text)}**")
            else:
                parts.append(f"- {_md(text)}")
    parts.append("")
    return "\n".join(parts)


def context_lines(training: Training, digits: int) -> list[str]:
    """What the numbers depend on: the network, the loss, the learning rate, the order and the rule."""
    network, config = training.network, training.config
    sizes = "-".join(str(size) for size in network.sizes)
    activations = ", ".join(layer.activation for layer in network.layers)
    batch = "the whole dataset" if config.batch_size == 0 else str(config.batch_size)
    lines = [f"Network {sizes} (activations: {activations}); loss {training.loss.name}; "
             f"learning rate η = {format_number(config.learning_rate, 17)}; batch size {batch}; "
             + ("samples in order." if config.order == "sequential" else f"samples shuffled each epoch (seed {config.seed})."),
             f"Numbers are shown to {digits} significant digits; the calculation uses full precision."]
    if not config.optimizer.plain:
        lines.append(f"Optimiser: {config.optimizer.describe()}, with PyTorch's update rule.")
    if config.update_rule == "in_place":
        lines.append("MISTAKEN UPDATE RULE (in place): later layers are updated before the gradient passes "
                     "through them. This is not gradient descent.")
    return lines
