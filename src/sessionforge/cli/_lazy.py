"""Command groups that build a command only when it is used.

typer builds the click command of every registered command (every parameter, every default) each
time the program starts, and registering a command means importing its module. A :func:`lazy_group`
names its commands instead, ``name -> (module, attribute)``: ``sessionforge sessions list`` imports
and builds the sessions group and its ``list`` command alone. A help page that lists the commands, or
a mistyped name that needs suggestions, still sees every name (building what it shows).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

__all__ = ["LazyCommands", "lazy_app", "lazy_group"]


def _build(name: str, module: str, attribute: str) -> Any:
    """The click command for ``attribute`` of ``module`` (a command function or a sub-app)."""
    # __import__ rather than importlib.import_module: only the import statement's own path is what
    # ``python -X importtime`` reports, and these are the imports worth seeing there.
    target = getattr(__import__(f"{__package__}.{module}", fromlist=[attribute]), attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer(add_completion=False, rich_markup_mode=None)
    single.command(name)(target)
    return typer.main.get_command(single)


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands: every name known at once, each command built when first looked up."""

    def __init__(self, table: Mapping[str, tuple[str, str]], built: Mapping[str, Any] | None = None) -> None:
        self._table = dict(table)
        self._built: dict[str, Any] = dict(built or {})

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in self._table:
                raise KeyError(name)
            self._built[name] = _build(name, *self._table[name])
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._table and name not in self._built:
            raise KeyError(name)
        self._table.pop(name, None)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._table
        yield from (name for name in self._built if name not in self._table)

    def __len__(self) -> int:
        return len(self._table.keys() | self._built.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._table or name in self._built


def lazy_group(table: Mapping[str, tuple[str, str]]) -> type[TyperGroup]:
    """A group class (``typer.Typer(cls=...)``) whose commands are those of ``table``, in its order:
    ``name -> (module of this package, attribute)``, the attribute a command function or a
    ``typer.Typer`` sub-app."""

    class LazyGroup(TyperGroup):
        def __init__(self, **attrs: Any) -> None:
            super().__init__(**attrs)
            self.commands = LazyCommands(table, self.commands)

        def list_commands(self, ctx: Any) -> list[str]:
            return list(self.commands)

        def get_help_option(self, ctx: Any) -> Any:
            # The group's --help flag, when a command's name follows rather than --help, is unset:
            # typer then builds a pydantic adapter to coerce that nothing, importing pydantic
            # (about 0.15 s) for ``sessions --help``. Unset is False, which typer takes as it is.
            option = super().get_help_option(ctx)
            if option is not None and option.default is None:
                option.default = False
            return option

    return LazyGroup


def lazy_app(table: Mapping[str, tuple[str, str]], **options: Any) -> typer.Typer:
    """A ``typer.Typer`` with plain help whose commands are those of ``table`` (:func:`lazy_group`),
    showing its help when called without a command; ``options`` are typer's others."""
    return typer.Typer(no_args_is_help=True, rich_markup_mode=None, cls=lazy_group(table), **options)
