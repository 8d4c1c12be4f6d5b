"""The value of a formula's numbers as printed: `0.952574(1 − 0.952574)` → 0.04517…

The formatting checks with it that a line's printed inputs give its printed result, and shows more
digits where they do not. It reads only what the formulas print: numbers, `+ − · /`, `²`, brackets,
a number written against a bracket (a product), `½`, `log`, `exp`, `tanh`, `σ`, `max`, `√(…)`, a
power in superscript digits (`0.9³`) and `1 if z > 0 else 0`; anything else is not arithmetic to it. Nothing is executed: the text is parsed
and only those operations are applied.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import re


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


_FUNCTIONS = {"log": math.log, "exp": math.exp, "tanh": math.tanh, "sigmoid": _sigmoid, "max": max,
              "sqrt": math.sqrt}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_SPELLING = [("·", "*"), ("−", "-"), ("²", "**2"), ("[", "("), ("]", ")"), ("½·", "0.5*"), ("½", "0.5*"),
             ("σ(", "sigmoid("), ("√(", "sqrt(")]
#: An exponent written in superscript digits, `0.9³`, `0.999¹²`: a power (the optimisers' βᵗ).
#: A negative one, `10⁻⁸`: a power of ten as a setting such as ε is written.
_SUPERSCRIPT = re.compile("⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_DIGITS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
#: A number or a closing bracket written against an opening bracket multiplies it: `2(4 − 0.3)`.
_JUXTAPOSED = re.compile(r"(?<=[\d.)])\s*(?=\()")


class NotArithmetic(ValueError):
    """The text is not a formula of numbers this module reads."""


_SLOT = re.compile(r"\{(\d+)\}")


def evaluate(text: str) -> float:
    """The value of printed arithmetic in float arithmetic; nan where it is undefined (log(0), x/0).

    Raises NotArithmetic for text that is not such arithmetic (names, words, an ellipsis)."""
    return _evaluated(_parsed(text), ())


def evaluate_template(template: str, numbers: tuple[float, ...]) -> float:
    """`evaluate` of `template` with `numbers` in its slots `{0}`, `{1}`, …: the same value as the text
    with the numbers written in, where each is written as a bracket would hold it. The template is
    parsed once."""
    return _evaluated(_parsed_template(template), numbers)


@functools.lru_cache(maxsize=512)
def _parsed_template(template: str) -> ast.expr:
    return _parsed(_SLOT.sub(r"(_\1)", template))


def _parsed(text: str) -> ast.expr:
    python = _SUPERSCRIPT.sub(lambda found: f"**({found.group().translate(_DIGITS)})", text)
    for printed, spelled in _SPELLING:
        python = python.replace(printed, spelled)
    python = _JUXTAPOSED.sub("*", python)
    try:
        return ast.parse(python, mode="eval").body
    except SyntaxError:
        raise NotArithmetic(text) from None


def _evaluated(tree: ast.expr, numbers: tuple[float, ...]) -> float:
    try:
        return float(_value(tree, numbers))
    except (ZeroDivisionError, ValueError, OverflowError) as error:
        if isinstance(error, NotArithmetic):
            raise
        return math.nan


def _value(node: ast.AST, numbers: tuple[float, ...]) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id.startswith("_") and node.id[1:].isdigit():
        return numbers[int(node.id[1:])]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _value(node.operand, numbers)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_value(node.left, numbers), _value(node.right, numbers))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and _is_two(node.right):
        base = _value(node.left, numbers)
        return base * base
    if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant)
            and type(node.right.value) is int):
        return _value(node.left, numbers) ** node.right.value
    if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and isinstance(node.right, ast.UnaryOp)
            and isinstance(node.right.op, ast.USub) and isinstance(node.right.operand, ast.Constant)
            and type(node.right.operand.value) is int):
        return _value(node.left, numbers) ** -node.right.operand.value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
            and not node.keywords):
        return float(_FUNCTIONS[node.func.id](*(_value(argument, numbers) for argument in node.args)))
    if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1 \
            and isinstance(node.test.ops[0], ast.Gt):
        test = node.test
        chosen = node.body if _value(test.left, numbers) > _value(test.comparators[0], numbers) else node.orelse
        return _value(chosen, numbers)
    raise NotArithmetic(ast.dump(node))


def _is_two(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == 2
