"""Text of the paths from a parameter to the loss: how many, the sum over the next layer term by term,
each neuron's δ = ∂L/∂z under its own name, and every path's own product.

Shared by the inspector, the worked solutions and the command line, like `formatting`.
"""

from __future__ import annotations

from dataclasses import replace

from .formatting import describe, factor_line, fill, fill_numbers, format_number
from .records import FactorRecord, GradientRecord, Record


def paths_line(record: FactorRecord | GradientRecord) -> str:
    """`3 paths from w111 to L, one through each of z21, z22, z23`; "" when there is one path."""
    if record.paths <= 1:
        return ""
    terms = _terms(record)
    head = f"{record.paths} paths from {record.parameter} to L"
    if not terms:
        return head
    if all(term.paths == 1 for term in terms):
        return f"{head}, one through each of {', '.join(term.z_label for term in terms)}"
    return f"{head}: " + ", ".join(f"{term.paths} through {term.z_label}" for term in terms)


def describe_with_paths(record: Record) -> str:
    """The phase in words (`formatting.describe`), with the number of paths when there are several."""
    text = describe(record)
    if isinstance(record, (FactorRecord, GradientRecord)) and record.paths > 1:
        return f"{text} ({record.paths} paths from {record.parameter} to L)"
    return text


def _terms(record: FactorRecord | GradientRecord) -> tuple:
    if isinstance(record, GradientRecord):
        return record.factors[0].terms if record.factors else ()
    return record.terms


def _delta_symbol(symbol: str) -> str:
    """∂L/∂z21 → δ21; any other symbol unchanged."""
    return "δ" + symbol[5:] if symbol.startswith("∂L/∂z") else symbol


def factor_line_in_deltas(record: FactorRecord, digits: int) -> str:
    """`factor_line` with every ∂L/∂z written as its δ: `∂L/∂o11 = δ21·w211 + δ22·w212 = …`."""
    return factor_line(replace(record, symbols=tuple(map(_delta_symbol, record.symbols))), digits)


def term_lines(record: FactorRecord, digits: int, deltas: bool = False) -> list[str]:
    """The sum over the next layer term by term, then the terms added up:
    `term 1 of 3, the path through z21: ∂L/∂z21·w211 = (−0.0249)·0.294 = −0.00732` … and
    `∂L/∂o11 = (−0.00732) + 0.00448 + 0.0575 = 0.0547`."""
    terms = record.terms
    if not terms:
        return []
    lines = []
    for index, term in enumerate(terms, start=1):
        through = "the path" if term.paths == 1 else f"the {term.paths} paths"
        symbol = term.delta_name if deltas else f"∂L/∂{term.z_label}"
        lines.append(f"term {index} of {len(terms)}, {through} through {term.z_label}: {symbol}·{term.weight_name} = "
                     f"{fill_numbers('{0}·{1}', (term.delta, term.weight), digits, term.value)} = "
                     f"{format_number(term.value, digits)}")
    total = fill_numbers(_sum_template(len(terms)), tuple(term.value for term in terms), digits, record.value)
    lines.append(f"{record.label} = {total} = {format_number(record.value, digits)}")
    return lines


def delta_lines(record: FactorRecord, digits: int) -> list[str]:
    """The neuron's δ under its own name, where the chain first reaches it:
    `δ11 = ∂L/∂z11 = (δ21·w211 + δ22·w212)·∂o11/∂z11 = (0.5·0.1 + 0.2·0.3)·0.97 = 0.1067`, and the
    loss's simplified form of it (`δ21 = ŷ − y = …`) when the chain states one."""
    delta = record.delta
    if delta is None:
        return []
    value = format_number(delta.value, digits)
    if not delta.introduced:
        return [f"{delta.name} = {delta.label} = {value}, found on the chain of the neuron's first weight"]
    lines = [f"{delta.name} = {delta.label} = {fill(delta.template, tuple(map(_delta_symbol, delta.symbols)))} = "
             f"{fill_numbers(delta.template, delta.arguments, digits, delta.value)} = {value}"]
    simple = record.simplification
    if simple is not None:
        lines.append(f"{simple.reason[:1].upper()}{simple.reason[1:]} simplifies it: {delta.name} = "
                     f"{fill(simple.template, simple.symbols)} = "
                     f"{fill_numbers(simple.template, simple.arguments, digits, simple.value)} = "
                     f"{format_number(simple.value, digits)}")
    return lines


def delta_gradient_line(record: GradientRecord, digits: int) -> str:
    """`∂L/∂w111 = δ11·∂z11/∂w111 = δ11·x1 = 0.035·(−0.422) = −0.0148`; "" without a δ in the chain."""
    delta = next((factor.delta for factor in record.factors if factor.delta is not None), None)
    last = record.factors[-1] if record.factors else None
    if delta is None or last is None or last.delta is not None:
        return ""
    symbol = fill(last.template, last.symbols)
    return (f"∂L/∂{record.parameter} = {delta.name}·{last.label} = {delta.name}·{symbol} = "
            f"{fill_numbers('{0}·{1}', (delta.value, last.value), digits, record.value)} = "
            f"{format_number(record.value, digits)}")


def path_product_lines(record: GradientRecord, digits: int) -> list[str]:
    """Every path's own product, then their sum:
    `path 1, w111 → z11 → z21 → z31 → L: ∂L/∂ŷ·∂ŷ/∂z31·… = 0.125·1·… = 0.00198` … and
    `∂L/∂w111 = sum over the 3 paths = 0.00198 + (−0.00121) + (−0.0155) = −0.0148`."""
    products = record.path_products
    if not products:
        return []
    lines = [f"path {index}, {path.route}: {'·'.join(path.labels)} = "
             f"{fill_numbers(_product_template(len(path.values)), tuple(path.values), digits, path.value)} = "
             f"{format_number(path.value, digits)}"
             for index, path in enumerate(products, start=1)]
    total = fill_numbers(_sum_template(len(products)), tuple(path.value for path in products), digits, record.value)
    lines.append(f"∂L/∂{record.parameter} = sum over the {len(products)} paths = {total} = "
                 f"{format_number(record.value, digits)}")
    return lines


def _sum_template(count: int) -> str:
    """`{0} + {1} + {2}`: the numbers written in as `−0.0073 + 0.0045 + (−0.0575)`, each with digits
    enough that the sum as printed gives the printed total (see `formatting.fill_numbers`)."""
    return " + ".join(f"{{{index}}}" for index in range(count))


def _product_template(count: int) -> str:
    return "·".join(f"{{{index}}}" for index in range(count))


def chain_path_lines(record: Record, digits: int, deltas: bool = False) -> list[str]:
    """Every line above that applies to `record`, in reading order (for worked solutions and traces)."""
    lines = []
    if isinstance(record, FactorRecord):
        if record.index == 1 and record.paths > 1:
            lines.append(paths_line(record))
        lines += term_lines(record, digits, deltas)
        if deltas:
            lines += delta_lines(record, digits)
    elif isinstance(record, GradientRecord):
        if deltas and (line := delta_gradient_line(record, digits)):
            lines.append(line)
        lines += path_product_lines(record, digits)
    return lines

