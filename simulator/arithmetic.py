"""The value of a formula's numbers as printed: `0.952574(1 − 0.952574)` → 0.04517…

The formatting checks with it that a line's printed inputs give its printed result, and shows more
digits where they do not. It reads only what the formulas print: numbers, `+ − · /`, `²`, brackets,
a number written against a bracket (a product), `½`, `log`, `exp`, `tanh`, `σ`, `max` and
`1 if z > 0 else 0`; anything else is not arithmetic to it. Nothing is executed: the text is parsed
and only those operations are applied.
"""

from __future__ import annotations

import ast
import math
import operator
import re


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


_FUNCTIONS = {"log": math.log, "exp": math.exp, "tanh": math.tanh, "sigmoid": _sigmoid, "max": max}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_SPELLING = [("·", "*"), ("−", "-"), ("²", "**2"), ("[", "("), ("]", ")"), ("½·", "0.5*"), ("½", "0.5*"),
             ("σ(", "sigmoid(")]
#: A number or a closing bracket written against an opening bracket multiplies it: `2(4 − 0.3)`.
_JUXTAPOSED = re.compile(r"(?<=[\d.)])\s*(?=\()")


class NotArithmetic(ValueError):
    """The text is not a formula of numbers this module reads."""


def evaluate(text: str) -> float:
    """The value of printed arithmetic in float arithmetic; nan where it is undefined (log(0), x/0).

    Raises NotArithmetic for text that is not such arithmetic (names, words, an ellipsis)."""
    python = text
    for printed, spelled in _SPELLING:
        python = python.replace(printed, spelled)
    python = _JUXTAPOSED.sub("*", python)
    try:
        tree = ast.parse(python, mode="eval")
    except SyntaxError:
        raise NotArithmetic(text) from None
    try:
        return float(_value(tree.body))
    except (ZeroDivisionError, ValueError, OverflowError) as error:
        if isinstance(error, NotArithmetic):
            raise
        return math.nan


def _value(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _value(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_value(node.left), _value(node.right))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and _is_two(node.right):
        base = _value(node.left)
        return base * base
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
            and not node.keywords):
        return float(_FUNCTIONS[node.func.id](*(_value(argument) for argument in node.args)))
    if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1 \
            and isinstance(node.test.ops[0], ast.Gt):
        chosen = node.body if _value(node.test.left) > _value(node.test.comparators[0]) else node.orelse
        return _value(chosen)
    raise NotArithmetic(ast.dump(node))


def _is_two(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == 2
