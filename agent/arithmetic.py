"""Sums asked in words: "what's 2+2?", "what is 12 x 7?", "calculate (3 + 4) * 5".

The embedded model answered "what's 2+2?" with "2 plus 2 is 6". Plain arithmetic on numbers the request states is
worked out by the agent (four operations, powers and brackets, read with Python's own parser and nothing else run);
anything else is left to the model.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable

from agent.request_parts import OPENING

_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_LARGEST_POWER = 100  # "9 ^ 999999" would take the agent's time for a number nobody reads
SUM = "{expression} = {result}."
CANNOT_DIVIDE = "{expression} has no answer: it divides by zero."

# The whole request asks for a sum: "what's 2+2?", "what is 12 x 7", "how much is 3 * 4", "calculate 10 / 4"
_SUM = re.compile(
    OPENING + r"(?:what(?:'s|s|\s+is|\s+are)|how\s+much\s+is|calculate|compute|work\s+out|solve)\s+"
    r"(?P<expression>[\d\s.,()+\-*/x×÷^]*\d[\d\s.,()+\-*/x×÷^]*)(?:\s+please)?\s*[=?.!]*\s*$",
    re.IGNORECASE,
)


def _value(node: ast.AST) -> float:
    """The value of an expression tree of numbers, the four operations and powers; ValueError for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _value(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _LARGEST_POWER:
            raise ValueError("power too large")
        return _OPERATORS[type(node.op)](left, right)
    raise ValueError(f"not arithmetic: {ast.dump(node)}")


def _written(value: float) -> str:
    """``value`` as a person writes it: whole numbers without a decimal point, others to at most 6 places."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def sum_answer(request: str) -> str | None:
    """:data:`SUM` for a request that only asks for a sum of the numbers it states; else ``None``."""
    asked = _SUM.match(request.strip())
    if asked is None or not re.search(r"\d\s*[-+*/x×÷^]\s*[\d(]", asked.group("expression")):
        return None
    said = " ".join(asked.group("expression").split())
    python = re.sub(r"(?<=\d),(?=\d{3}\b)", "", said)  # "1,000" is a thousand
    python = python.replace("x", "*").replace("X", "*").replace("×", "*").replace("÷", "/").replace("^", "**")
    try:
        result = _value(ast.parse(python, mode="eval").body)
    except ZeroDivisionError:
        return CANNOT_DIVIDE.format(expression=said)
    except (SyntaxError, ValueError, OverflowError):
        return None
    return SUM.format(expression=said, result=_written(result))
