"""The registry: the single list of tool specs every part of the project reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tools.spec import SpecError, ToolSpec


class UnknownToolError(KeyError):
    """A tool name that is not registered; the message lists the valid names."""

    def __init__(self, name: str, valid: Iterable[str]) -> None:
        valid = sorted(valid)
        super().__init__(name)
        self.name = name
        self.valid = valid
        self.message = f"unknown tool {name!r}; valid tools: {', '.join(valid) or '(none loaded)'}"

    def __str__(self) -> str:
        return self.message


class ToolRegistry:
    """An ordered, name-unique collection of :class:`ToolSpec`."""

    def __init__(self, specs: Iterable[ToolSpec] = ()) -> None:
        self._specs: dict[str, ToolSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: ToolSpec) -> ToolSpec:
        if not isinstance(spec, ToolSpec):
            raise SpecError(f"expected a ToolSpec, got {type(spec).__name__}")
        if spec.name in self._specs:
            raise SpecError(f"tool {spec.name!r} is already registered")
        self._specs[spec.name] = spec
        return spec

    def get(self, name: str) -> ToolSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownToolError(name, self._specs) from None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[ToolSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    @property
    def names(self) -> list[str]:
        return list(self._specs)

    def families(self) -> set[str]:
        return {family for spec in self for family in spec.families}

    def subset(self, names: Iterable[str]) -> ToolRegistry:
        """A registry holding only ``names`` (in this registry's order)."""
        wanted = set(names)
        for name in wanted:
            self.get(name)
        return ToolRegistry(spec for spec in self if spec.name in wanted)

    def available(self, loaded_families: Iterable[str]) -> ToolRegistry:
        """The tools whose every family is loaded (composite tools appear when all their parts are)."""
        loaded = set(loaded_families)
        return ToolRegistry(spec for spec in self if set(spec.families) <= loaded)
