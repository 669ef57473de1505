"""Reading one TOML table with typed getters that refuse naming ``file: path.key``, and that
refuse keys nobody read (:meth:`Table.finish`), so a misspelt key is an error, not a default."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .errors import ConfigError
from .exact import exact


class Table:
    """A TOML table being read: typed getters that name ``file: path.key`` when refusing."""

    def __init__(self, data: object, path: str, file: str) -> None:
        self.path, self.file = path, file
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: {path} must be a table, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.read: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.file}: {self.path}.{key}" if self.path else f"{self.file}: {key}"

    def refuse(self, key: str, what: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {what}")

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return self.data.get(key, default)

    def text(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        value = self.raw(key, default)
        if value is None:
            raise self.refuse(key, "is required")
        if not isinstance(value, str) or not value.strip():
            raise self.refuse(key, f"must be a non-empty string, got {value!r}")
        if choices and value not in choices:
            raise self.refuse(key, f"must be one of {', '.join(choices)}; got {value!r}")
        return value.strip()

    def integer(self, key: str, default: int, low: int, high: int, unit: str = "") -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.refuse(key, f"must be an integer in [{low}, {high}]{unit}, got {value!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.refuse(key, f"must be true or false, got {value!r}")
        return value

    def number(self, key: str, default: Fraction, low: Fraction, high: Fraction) -> Fraction:
        value = self.raw(key, default)
        try:
            number = exact(value, self.where(key))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if not low <= number <= high:
            raise self.refuse(key, f"must be in [{low}, {high}], got {number}")
        return number

    def names(self, key: str, default: tuple[str, ...] = (), limit: int = 100) -> tuple[str, ...]:
        value = self.raw(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.refuse(key, f"must be a list of names, got {value!r}")
        if len(value) > limit or len(set(value)) != len(value):
            raise self.refuse(key, f"must list at most {limit} distinct names, got {value!r}")
        return tuple(value)

    def table(self, key: str) -> Table:
        return Table(self.raw(key, {}), f"{self.path}.{key}" if self.path else key, self.file)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            raise self.refuse(unknown[0], f"unknown key (known here: {', '.join(sorted(self.read))})")
