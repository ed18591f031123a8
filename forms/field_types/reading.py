"""Reading YAML mappings with a path for every problem: the plumbing every reader shares.

Nothing here knows about field types, sections or forms; it only knows where in which file a
value sits (:class:`Place`) and how to take typed values out of one mapping
(:class:`MappingReader`), so that every problem names the file and the path inside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

_Choice = TypeVar("_Choice", bound=StrEnum)

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


class FormDefinitionError(ValueError):
    """A definition file is wrong; the message names the file and the path inside it."""


@dataclass(frozen=True)
class Place:
    """Where in which file a value sits, for error messages."""

    file_name: str
    path: str = ""

    def key(self, name: str) -> Place:
        return Place(self.file_name, f"{self.path}.{name}" if self.path else name)

    def index(self, number: int) -> Place:
        return Place(self.file_name, f"{self.path}[{number}]")

    def part_error(self, path: str, problem: str) -> FormDefinitionError:
        """A problem at ``path`` inside the part (condition, check, calculation) placed here."""
        if not path:
            return self.error(problem)
        if path.startswith("["):
            return Place(self.file_name, f"{self.path}{path}").error(problem)
        return Place(self.file_name, f"{self.path}.{path}" if self.path else path).error(problem)

    def error(self, problem: str) -> FormDefinitionError:
        where = f"{self.file_name}: {self.path}" if self.path else self.file_name
        return FormDefinitionError(f"{where}: {problem}")


def describe(value: object) -> str:
    if isinstance(value, bool):
        # YAML 1.1 reads yes, no, on and off as true and false.
        return f"{str(value).lower()} (put quotes around yes, no, on and off)"
    return repr(value)


class MappingReader:
    """A YAML mapping being read: each read consumes a key; ``finish`` rejects any left over."""

    def __init__(self, place: Place, raw: object, *, what: str) -> None:
        if not isinstance(raw, Mapping):
            raise place.error(f"must be a mapping of keys to values ({what}), not {describe(raw)}")
        for name in raw:
            if not isinstance(name, str):
                raise place.error(f"key {describe(name)} must be text")
        self.place = place
        self.raw: Mapping[str, object] = raw
        self.unread = set(raw)
        self.known: set[str] = set()

    def has(self, name: str) -> bool:
        self.known.add(name)
        return name in self.raw

    def take(self, name: str, *, required: bool) -> object:
        self.known.add(name)
        self.unread.discard(name)
        if name not in self.raw or self.raw[name] is None:
            if required:
                raise self.place.key(name).error("is required")
            return None
        return self.raw[name]

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.take(name, required=required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.place.key(name).error(f"must be text, not {describe(value)}")
        if required and not value.strip():
            raise self.place.key(name).error("must not be blank")
        return value.strip()

    def key_text(self, name: str) -> str:
        value = self.text(name)
        if not SNAKE_CASE.fullmatch(value):
            raise self.place.key(name).error(
                f"must be snake_case (lower-case letters, digits and underscores), not {value!r}"
            )
        return value

    def flag(self, name: str, *, default: bool = False) -> bool:
        value = self.take(name, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.place.key(name).error(f"must be true or false, not {describe(value)}")
        return value

    def whole_number(
        self, name: str, *, default: int | None = None, minimum: int | None = None
    ) -> int | None:
        value = self.take(name, required=False)
        if value is None:
            return default
        problem = "must be a whole number"
        if minimum == 1:
            problem += " above 0"
        elif minimum is not None:
            problem += f" of {minimum} or more"
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.place.key(name).error(f"{problem}, not {describe(value)}")
        if minimum is not None and value < minimum:
            raise self.place.key(name).error(problem)
        return value

    def money(self, name: str) -> Decimal | None:
        value = self.take(name, required=False)
        if value is None:
            return None
        problem = f"must be an amount in pounds, like 150 or 150.50, not {describe(value)}"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.place.key(name).error(problem)
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise self.place.key(name).error(problem) from None
        if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise self.place.key(name).error(problem)
        return amount.quantize(Decimal("0.01"))

    def items(self, name: str, *, required: bool = True) -> list[tuple[Place, object]]:
        value = self.take(name, required=required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.place.key(name).error(f"must be a list, not {describe(value)}")
        if required and not value:
            raise self.place.key(name).error("must list at least one item")
        return [(self.place.key(name).index(number), item) for number, item in enumerate(value)]

    def choice(self, name: str, enum: type[_Choice], *, what: str) -> _Choice:
        value = self.text(name)
        try:
            return enum(value)
        except ValueError:
            known = ", ".join(member.value for member in enum)
            raise self.place.key(name).error(f"unknown {what} {value!r} (known: {known})") from None

    def finish(self) -> None:
        if self.unread:
            name = sorted(self.unread)[0]
            allowed = ", ".join(sorted(self.known))
            raise self.place.key(name).error(f"unknown key (allowed here: {allowed})")
