"""Virtual School quality assurance as data: the criteria a reviewer judges and the rating scales.

The criteria and scales live in YAML under workflows/definitions/; this module loads and validates
them (errors name the file and the path inside it) and answers whether a rating passes.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType

import yaml

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
QA_CRITERIA_FILE = DEFINITIONS_DIR / "qa_criteria.v1.yaml"
SCALES_FILE = DEFINITIONS_DIR / "scales.yaml"

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class DefinitionError(ValueError):
    """A definition file is broken: says which file, where in it, and what is wrong."""

    def __init__(self, file: Path, path: str, problem: str) -> None:
        self.file = file
        self.path = path
        self.problem = problem
        super().__init__(f"{file.name}: {path}: {problem}")


class Judgement(StrEnum):
    """A reviewer's judgement of one criterion; stored with the QA record."""

    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return JUDGEMENT_LABELS[self]


JUDGEMENT_LABELS: dict[Judgement, str] = {
    Judgement.MET: "Met",
    Judgement.PARTLY_MET: "Partly met",
    Judgement.NOT_MET: "Not met",
    Judgement.NOT_APPLICABLE: "Not applicable",
}


@dataclass(frozen=True)
class Criterion:
    """One thing a reviewer checks; may_not_apply allows a "not applicable" judgement."""

    key: str
    title: str
    guidance: str
    may_not_apply: bool = False


@dataclass(frozen=True)
class QaCriteria:
    """A versioned set of criteria (the version is stored with each QA record)."""

    version: int
    title: str
    criteria: tuple[Criterion, ...]

    def get(self, key: str) -> Criterion | None:
        return next((criterion for criterion in self.criteria if criterion.key == key), None)


@dataclass(frozen=True)
class Rating:
    """One step on a rating scale."""

    key: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Scale:
    """A rating scale, best rating first; ratings at or above the threshold pass."""

    key: str
    title: str
    ratings: tuple[Rating, ...]
    default_threshold: str

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(rating.key for rating in self.ratings)

    def rating(self, key: str) -> Rating:
        """The rating with this key; ValueError (a programming error) when there is none."""
        for rating in self.ratings:
            if rating.key == key:
                return rating
        raise ValueError(
            f"{key!r} is not a rating on the {self.key!r} scale (one of {', '.join(self.keys)})"
        )

    def passes(self, rating_key: str, threshold_key: str | None = None) -> bool:
        """Whether the rating is at or above the threshold (the scale's default when None)."""
        position = self.ratings.index(self.rating(rating_key))
        threshold = self.ratings.index(self.rating(threshold_key or self.default_threshold))
        return position <= threshold


@dataclass(frozen=True)
class Scales:
    """Every scale an authority can choose, and the one used when it has not chosen."""

    default: str
    scales: Mapping[str, Scale]

    def __getitem__(self, key: str) -> Scale:
        return self.scales[key]

    @property
    def default_scale(self) -> Scale:
        return self.scales[self.default]


@dataclass(frozen=True)
class QaRecord:
    """A reviewer's quality assurance of one PEP: rating, per-criterion judgements, feedback."""

    criteria_version: int
    scale_key: str
    rating_key: str | None = None
    judgements: Mapping[str, Judgement] = field(default_factory=dict)
    feedback: str | None = None


def rating_passes(scale: Scale, rating_key: str, threshold_key: str | None = None) -> bool:
    """Whether a PEP with this rating may be signed off; below the threshold it is returned."""
    return scale.passes(rating_key, threshold_key)


def unjudged_criteria(criteria: QaCriteria, judgements: Mapping[str, Judgement]) -> tuple[str, ...]:
    """Titles of the criteria with no judgement yet, in the order reviewers read them."""
    return tuple(c.title for c in criteria.criteria if c.key not in judgements)


def judgement_problems(criteria: QaCriteria, judgements: Mapping[str, Judgement]) -> list[str]:
    """Judgements that cannot be recorded, as sentences for the reviewer."""
    problems: list[str] = []
    for key, judgement in judgements.items():
        criterion = criteria.get(key)
        if criterion is None:
            problems.append(f'"{key}" is not one of the quality assurance criteria')
        elif judgement == Judgement.NOT_APPLICABLE and not criterion.may_not_apply:
            problems.append(
                f'"{criterion.title}" applies to every PEP: choose met, partly met or not met'
            )
    return problems


@cache
def load_qa_criteria(path: Path = QA_CRITERIA_FILE) -> QaCriteria:
    """Load and validate the QA criteria file; DefinitionError names the file and path."""
    data = _mapping(_read(path), path, "(top level)", {"version", "title", "criteria"})
    items = data.get("criteria")
    if not isinstance(items, list) or not items:
        raise DefinitionError(path, "criteria", "must be a non-empty list of criteria")
    criteria: list[Criterion] = []
    for index, item in enumerate(items):
        where = f"criteria[{index}]"
        entry = _mapping(item, path, where, {"key", "title", "guidance", "may_not_apply"})
        key = _key(entry, path, where)
        if any(criterion.key == key for criterion in criteria):
            raise DefinitionError(path, f"{where}.key", f"{key!r} is used by another criterion")
        may_not_apply = entry.get("may_not_apply", False)
        if not isinstance(may_not_apply, bool):
            raise DefinitionError(path, f"{where}.may_not_apply", "must be true or false")
        criteria.append(
            Criterion(
                key=key,
                title=_text(entry, "title", path, where),
                guidance=_text(entry, "guidance", path, where),
                may_not_apply=may_not_apply,
            )
        )
    return QaCriteria(
        version=_version(data, path), title=_text(data, "title", path, ""), criteria=tuple(criteria)
    )


@cache
def load_scales(path: Path = SCALES_FILE) -> Scales:
    """Load and validate the rating scales file; DefinitionError names the file and path."""
    data = _mapping(_read(path), path, "(top level)", {"version", "default", "scales"})
    _version(data, path)
    items = data.get("scales")
    if not isinstance(items, dict) or not items:
        raise DefinitionError(path, "scales", "must map each scale's key to its definition")
    scales = {str(key): _scale(str(key), value, path) for key, value in items.items()}
    default = data.get("default")
    if not isinstance(default, str) or default not in scales:
        raise DefinitionError(path, "default", f"must be one of {', '.join(scales)}")
    return Scales(default=default, scales=MappingProxyType(scales))


def _scale(key: str, value: object, path: Path) -> Scale:
    where = f"scales.{key}"
    if not KEY_PATTERN.match(key):
        raise DefinitionError(path, where, "a key must be lower_snake_case")
    entry = _mapping(value, path, where, {"title", "default_threshold", "ratings"})
    items = entry.get("ratings")
    if not isinstance(items, list) or len(items) < 2:
        raise DefinitionError(
            path, f"{where}.ratings", "must list at least two ratings, best first"
        )
    ratings: list[Rating] = []
    for index, item in enumerate(items):
        at = f"{where}.ratings[{index}]"
        rating_entry = _mapping(item, path, at, {"key", "label", "description"})
        rating_key = _key(rating_entry, path, at)
        if any(rating.key == rating_key for rating in ratings):
            raise DefinitionError(path, f"{at}.key", f"{rating_key!r} is used by another rating")
        description = rating_entry.get("description", "")
        if not isinstance(description, str):
            raise DefinitionError(path, f"{at}.description", "must be text")
        label = _text(rating_entry, "label", path, at)
        ratings.append(Rating(key=rating_key, label=label, description=description.strip()))
    threshold = entry.get("default_threshold")
    if not isinstance(threshold, str) or threshold not in {rating.key for rating in ratings}:
        raise DefinitionError(
            path,
            f"{where}.default_threshold",
            f"must be one of the scale's ratings ({', '.join(r.key for r in ratings)})",
        )
    return Scale(
        key=key,
        title=_text(entry, "title", path, where),
        ratings=tuple(ratings),
        default_threshold=threshold,
    )


def _read(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DefinitionError(path, "(file)", f"cannot be read: {error.strerror}") from error
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise DefinitionError(path, where, f"is not valid YAML: {problem}") from error


def _mapping(value: object, path: Path, where: str, allowed: set[str]) -> dict[str, object]:
    if not isinstance(value, dict):
        raise DefinitionError(path, where, "must be a mapping of field names to values")
    unknown = sorted(str(name) for name in value if name not in allowed)
    if unknown:
        raise DefinitionError(path, where, f"unknown field {unknown[0]!r}")
    return value


def _text(entry: Mapping[str, object], name: str, path: Path, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(path, f"{where}.{name}" if where else name, "must be non-empty text")
    return value.strip()


def _key(entry: Mapping[str, object], path: Path, where: str) -> str:
    key = _text(entry, "key", path, where)
    if not KEY_PATTERN.match(key):
        raise DefinitionError(path, f"{where}.key", f"{key!r} must be lower_snake_case")
    return key


def _version(data: Mapping[str, object], path: Path) -> int:
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DefinitionError(path, "version", "must be a whole number, 1 or more")
    return version
