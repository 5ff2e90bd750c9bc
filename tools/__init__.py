"""The tool runtime: specs, registry and the visual foundation models behind them."""

from tools.registry import ToolRegistry, UnknownToolError
from tools.spec import ArgumentCountError, InputKind, OutputKind, SpecError, ToolInput, ToolSpec

__all__ = [
    "ArgumentCountError",
    "InputKind",
    "OutputKind",
    "SpecError",
    "ToolInput",
    "ToolRegistry",
    "ToolSpec",
    "UnknownToolError",
]
