"""Implementations chosen by name, found through entry points.

Every swappable part has one entry-point group, and grounding's own parts
register in it exactly as a third-party package does (see pyproject.toml):

    grounding.decoders       Decoder classes         --decoder NAME    generation.decoders.DECODERS
    grounding.scorers        Scorer classes          --scorer NAME     checking.registry.SCORERS
    grounding.web_providers  SearchProvider classes  --web NAME        retrieval.web.WEB_PROVIDERS
    grounding.rerankers      Reranker classes        --reranker NAME   retrieval.rerank.RERANKERS
    grounding.stores         Index classes           in a manifest     retrieval.stores.STORES
    grounding.commands       click commands          grounding NAME    cli.main.COMMANDS

A plugin is a package of its own that declares, in its pyproject.toml,

    [project.entry-points."grounding.decoders"]
    mine = "my_package.decoder:MyDecoder"

and after `pip install my-package`, `--decoder mine` works. The object an
entry point names is imported only when that name is chosen (or described).

A part that reads settings (an endpoint, a model folder) declares it with a class
attribute `uses_settings = True` and takes a `settings: Settings | None` keyword:
`create` hands it the settings of its caller (the `Grounder`, the CLI, the service),
or, asked by a library caller with none, the environment's, read there once.
"""

from __future__ import annotations

import importlib.metadata
import inspect
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from grounding.config import Settings
from grounding.errors import ConfigError, NotRegisteredError

__all__ = ["Registry"]

T = TypeVar("T")  # what an entry point names: a stage's interface class, a click command
R = TypeVar("R")  # what calling a registered class makes

_DISTRIBUTION = "grounding"


@dataclass(frozen=True)
class _Entry:
    name: str
    value: str
    distribution: str


@dataclass
class Registry(Generic[T]):
    """The names registered in one entry-point group, and what each one names (a `T`).

    Each stage holds its own registry, typed by its interface (the decoders'
    is `Registry[type[Decoder]]`), so this ground-floor module imports no stage.

    `kind` is the word used in messages ("decoder"); `aliases` maps extra names
    onto registered ones ("default" -> "learned"). With `builtin` set the group
    must hold grounding's own entries, and an install whose metadata predates
    them is told to reinstall rather than offered an empty choice. With `interface`
    set, `create` refuses what is not an instance of it (a plugin must subclass it).
    """

    group: str
    kind: str
    aliases: dict[str, str] = field(default_factory=dict)
    builtin: bool = True
    interface: type | None = None
    _entries: dict[str, _Entry] | None = field(default=None, init=False, repr=False)

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._table())

    def choices(self, *extra: str) -> str:
        """The names (and `extra` ones) as a phrase for help texts: "a, b or c"."""
        names = [*self.names(), *extra]
        return " or ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._canonical(name) in self._table()

    def load(self, name: str) -> T:
        """The object registered as `name` (usually a class), imported now."""
        entry = self._entry(name)
        module_name, _, attribute = entry.value.partition(":")
        module = importlib.import_module(module_name.strip())
        loaded: object = module
        for part in filter(None, attribute.strip().split(".")):
            loaded = getattr(loaded, part)
        return cast(T, loaded)  # what the group's plugins promise to register

    def create(
        self: Registry[type[R]],
        name: str,
        settings: Settings | None = None,
        **options: Any,
    ) -> R:
        """An instance: the registered class (or factory) called with `options`, and with
        `settings` when it declares `uses_settings` (the environment's when None); a
        ConfigError when it is not an instance of the registry's `interface`."""
        made = self.load(name)
        if getattr(made, "uses_settings", False) is True and "settings" not in options:
            options["settings"] = Settings.from_env() if settings is None else settings
        instance = made(**options)
        if self.interface is not None and not isinstance(instance, self.interface):
            wanted = f"{self.interface.__module__}.{self.interface.__qualname__}"
            raise ConfigError(
                f"the {self.kind} {name!r} ({type(instance).__name__}) does not subclass {wanted}"
            )
        return instance

    def describe(self, name: str) -> str:
        """One line on `name`: its `description` attribute, else its docstring's first line."""
        loaded = self.load(name)
        description = getattr(loaded, "description", None)
        if not isinstance(description, str):
            description = inspect.getdoc(loaded) or ""
        return description.strip().splitlines()[0] if description.strip() else ""

    def distribution(self, name: str) -> str:
        """The installed package that registered `name`."""
        return self._entry(name).distribution

    def refresh(self) -> None:
        """Forget what was found, so packages installed since are seen."""
        self._entries = None

    def _canonical(self, name: str) -> str:
        key = name.strip().lower()
        return self.aliases.get(key, key)

    def _entry(self, name: str) -> _Entry:
        table = self._table()
        key = self._canonical(name)
        if key not in table:
            choices = ", ".join(sorted(table)) or "none installed"
            raise NotRegisteredError(f"unknown {self.kind} {name!r}; choose one of: {choices}")
        return table[key]

    def _table(self) -> dict[str, _Entry]:
        if self._entries is None:
            self._entries = self._scan()
        return self._entries

    def _scan(self) -> dict[str, _Entry]:
        table: dict[str, _Entry] = {}
        for point in importlib.metadata.entry_points(group=self.group):
            owner = point.dist.name if point.dist is not None else "?"
            entry = _Entry(point.name.strip().lower(), point.value, owner)
            known = table.get(entry.name)
            if known is not None and known.value != entry.value:
                raise ConfigError(
                    f"the {self.kind} {entry.name!r} is registered twice, by {known.distribution} "
                    f"({known.value}) and by {owner} ({entry.value}): uninstall one of them"
                )
            table[entry.name] = entry
        if self.builtin and not any(e.distribution == _DISTRIBUTION for e in table.values()):
            raise ConfigError(
                f"grounding's own {self.kind}s are not registered (entry points "
                f"{self.group!r}): its install is out of date; reinstall it, "
                'e.g. pip install -e ".[dev]" in a checkout'
            )
        return table
