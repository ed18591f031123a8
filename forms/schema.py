"""PEP forms as data: load the YAML definitions, check every part, hand out frozen typed objects.

A definition file is ``<key>.v<version>.yaml`` in ``forms/definitions``. Any problem raises
:class:`FormDefinitionError` naming the file and the path inside it, for example
``school_age.v1.yaml: sections[3].fields[2].max_length: must be a whole number above 0``.
A PEP stores the (key, version) of its form; old versions stay loadable beside new ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from forms.field_types.base import (
    COMMON_FIELD_KEYS,
    RESERVED_FIELD_KEYS,
    RESERVED_FIELD_PREFIXES,
    FieldDefinition,
    FieldReader,
    FieldType,
)
from forms.field_types.calculated import CalculatedDefinition
from forms.field_types.choices import (
    CheckboxesDefinition,
    ChoiceDefinition,
    FeelingOption,
    FeelingsScaleDefinition,
    Option,
    Picture,
    RadiosDefinition,
    SelectDefinition,
)
from forms.field_types.date import DateDefinition
from forms.field_types.fact import FACT_SOURCE_LABELS, FactDefinition, FactSource
from forms.field_types.long_text import LongTextDefinition
from forms.field_types.money import MoneyDefinition
from forms.field_types.percentage import PercentageDefinition
from forms.field_types.reading import (
    SNAKE_CASE,
    FormDefinitionError,
    MappingReader,
    Place,
    describe,
)
from forms.field_types.registry import FIELD_READERS, read_field
from forms.field_types.repeating_group import (
    ComputedTotal,
    RepeatingGroupDefinition,
    RowPrefill,
    check_conditions,
)
from forms.field_types.short_text import ShortTextDefinition
from forms.field_types.whole_number import WholeNumberDefinition
from forms.field_types.yes_no import YesNoDefinition
from forms.phases import (
    Phase,
    VoiceBand,
    choose_pep_form,
    choose_voice_band,
)
from workflows.roles import STAFF_READERS, Role

if TYPE_CHECKING:
    # forms.checks reads field definitions from here, so it is imported where checks are read.
    from forms.checks import Check

__all__ = [
    "DEFAULT_DIRECTORY",
    "FACT_SOURCE_LABELS",
    "RESERVED_FIELD_KEYS",
    "RESERVED_FIELD_PREFIXES",
    "STAFF_READERS",
    "WIDENING_READERS",
    "CalculatedDefinition",
    "CheckboxesDefinition",
    "ChoiceDefinition",
    "ComputedTotal",
    "DateDefinition",
    "FactDefinition",
    "FactSource",
    "FeelingOption",
    "FeelingsScaleDefinition",
    "FieldDefinition",
    "FieldReader",
    "FieldType",
    "FormDefinition",
    "FormDefinitionError",
    "FormRegistry",
    "LongTextDefinition",
    "MoneyDefinition",
    "Option",
    "PercentageDefinition",
    "Phase",
    "Picture",
    "RadiosDefinition",
    "RepeatingGroupDefinition",
    "Role",
    "RowPrefill",
    "SectionDefinition",
    "SectionType",
    "SelectDefinition",
    "ShortTextDefinition",
    "UnknownFormError",
    "VoiceBand",
    "WholeNumberDefinition",
    "YesNoDefinition",
    "choose_pep_form",
    "choose_voice_band",
    "load_definition",
    "load_definitions",
    "section_readers",
]

DEFAULT_DIRECTORY = Path(__file__).parent / "definitions"

_FILE_NAME = re.compile(r"(?P<key>.+)\.v(?P<version>[0-9]+)\.ya?ml")

# The YAML-reading plumbing lives in forms.field_types.reading, where every field type's reader
# can use it; these are the names this module has always read it by.
_Place = Place
_Mapping = MappingReader
_FieldReader = FieldReader
_describe = describe
_SNAKE_CASE = SNAKE_CASE
_COMMON_FIELD_KEYS = COMMON_FIELD_KEYS
# Which reader reads which field type (one line per type) and the reading of one field mapping.
_FIELD_READERS = FIELD_READERS
_read_field = read_field

# Who reads a section when its definition says nothing more: the people who work on the PEP
# for the authority and the school read every section (workflows.roles.STAFF_READERS). The carer
# and the child read only the sections they own, unless a section lists them in `readers:` or the
# form shares the section with carers (`carers_read:`).
# The roles `readers:` may name: staff read everything already.
WIDENING_READERS = frozenset({Role.CARER, Role.CHILD})


class UnknownFormError(LookupError):
    """No loaded definition has the requested key (and version)."""


class SectionType(StrEnum):
    STANDARD = "standard"
    # The PEP's "my views" section: the answers come from the separate child's-voice form.
    CHILD_VOICE = "child_voice"
    # The Virtual School's rating and feedback; the QA feature supplies its contents.
    QUALITY_ASSURANCE = "quality_assurance"


# --------------------------------------------------------------------------------------------
# The document: sections and forms (each field type's definition is in forms.field_types)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SectionDefinition:
    """One part of a PEP, owned by the role that completes it."""

    key: str
    title: str
    owner: Role
    description: str
    section_type: SectionType = SectionType.STANDARD
    fields: tuple[FieldDefinition, ...] = ()
    # Child's-voice form sections: which age band this section serves.
    band: VoiceBand | None = None
    # PEP "my views" sections: which child's-voice form (and version) holds the answers.
    voice_form: str | None = None
    voice_form_version: int | None = None
    # Roles beyond the staff and the owner who may read this section (`readers:`).
    readers: frozenset[Role] = frozenset()
    # Rules across the section's fields (`checks:`), applied when it is saved and submitted.
    checks: tuple[Check, ...] = ()
    # Linked by load_definitions once every file is loaded.
    voice_definition: FormDefinition | None = field(default=None, compare=False, repr=False)

    def get_field(self, key: str) -> FieldDefinition:
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    @property
    def fields_by_key(self) -> Mapping[str, FieldDefinition]:
        return {candidate.key: candidate for candidate in self.fields}

    def shown_keys(self, values: Mapping[str, object]) -> frozenset[str]:
        """The keys of the fields shown for these answers (stored or typed): a field whose
        ``shown_if`` does not hold is hidden, and so is anything depending on a hidden field.
        A calculated figure is shown only when every question it is worked out from is."""
        from forms.conditions import shown_fields

        shown = shown_fields(
            {candidate.key: candidate.shown_if for candidate in self.fields}, values
        )
        # A figure worked out from a question nobody was asked would name that question, or
        # count its stale answer: it goes wherever its inputs go (page, read view, Word record).
        return frozenset(
            candidate.key
            for candidate in self.fields
            if candidate.key in shown
            and (
                not isinstance(candidate, CalculatedDefinition)
                or candidate.referenced_fields <= shown
            )
        )

    @property
    def answer_fields(self) -> tuple[FieldDefinition, ...]:
        """The fields whose answers are stored (everything but facts)."""
        return tuple(candidate for candidate in self.fields if candidate.stores_answer)

    @property
    def counts_towards_completeness(self) -> bool:
        """Quality assurance happens after submission, so it never holds up the submitter."""
        return self.section_type is not SectionType.QUALITY_ASSURANCE

    def voice_section(self, band: VoiceBand | str) -> SectionDefinition:
        """For a "my views" section: the child's-voice section for ``band``."""
        if self.voice_definition is None:
            raise UnknownFormError(
                f"section {self.key!r} has no linked child's-voice form: "
                "load definitions with load_definitions() so references are linked"
            )
        return self.voice_definition.section_for_band(band)


@dataclass(frozen=True, kw_only=True)
class FormDefinition:
    key: str
    version: int
    title: str
    phase: Phase
    description: str
    sections: tuple[SectionDefinition, ...]
    # The authority's choice, per form: further sections a carer may read (`carers_read:`).
    carers_read: frozenset[str] = frozenset()

    @property
    def file_name(self) -> str:
        return f"{self.key}.v{self.version}.yaml"

    def section(self, key: str) -> SectionDefinition:
        for candidate in self.sections:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    def section_for_band(self, band: VoiceBand | str) -> SectionDefinition:
        for candidate in self.sections:
            if candidate.band is not None and candidate.band == band:
                return candidate
        raise KeyError(band)

    def sections_owned_by(self, role: Role) -> tuple[SectionDefinition, ...]:
        return tuple(candidate for candidate in self.sections if candidate.owner is role)

    def sections_readable_by(self, roles: frozenset[Role]) -> tuple[SectionDefinition, ...]:
        return tuple(
            candidate for candidate in self.sections if section_readers(self, candidate) & roles
        )


def section_readers(form: FormDefinition, section: SectionDefinition) -> frozenset[Role]:
    """Every role that may read this section: staff, its owner, and whoever it is shared with."""
    readers = STAFF_READERS | {section.owner} | section.readers
    if section.key in form.carers_read:
        readers |= {Role.CARER}
    return frozenset(readers)


# --------------------------------------------------------------------------------------------
# Reading YAML with a path for every problem
# --------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping_without_duplicates(
    loader: _StrictLoader, node: yaml.MappingNode
) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:
            continue  # unhashable keys are reported by the normal constructor
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_without_duplicates
)


# --------------------------------------------------------------------------------------------
# Sections and forms
# --------------------------------------------------------------------------------------------


def _read_section(place: _Place, raw: object, *, phase: Phase) -> SectionDefinition:
    mapping = _Mapping(place, raw, what="a section")
    key = mapping.key_text("key")
    title = mapping.text("title")
    owner = mapping.choice("owner", Role, what="owner role")
    description = mapping.text("description")
    section_type = SectionType.STANDARD
    if mapping.has("type"):
        section_type = mapping.choice("type", SectionType, what="section type")
    band = None
    if mapping.has("band"):
        if phase is not Phase.CHILD_VOICE:
            raise place.key("band").error("only child's-voice forms have bands")
        band = mapping.choice("band", VoiceBand, what="voice band")
    elif phase is Phase.CHILD_VOICE:
        raise place.key("band").error("is required in a child's-voice form")

    voice_form = None
    voice_form_version = None
    if section_type is SectionType.CHILD_VOICE:
        voice_form = mapping.key_text("voice_form")
        voice_form_version = mapping.whole_number("voice_form_version", minimum=1)
        if voice_form_version is None:
            raise place.key("voice_form_version").error("is required")
        if owner is not Role.CHILD:
            raise place.key("owner").error("a child's-voice section belongs to the child")
    elif mapping.has("voice_form") or mapping.has("voice_form_version"):
        name = "voice_form" if mapping.has("voice_form") else "voice_form_version"
        raise place.key(name).error("only sections of type child_voice refer to a voice form")

    fields: list[FieldDefinition] = []
    seen: dict[str, int] = {}
    field_entries = mapping.items("fields", required=section_type is SectionType.STANDARD)
    if section_type is SectionType.CHILD_VOICE and field_entries:
        raise place.key("fields").error(
            "a child_voice section has no fields of its own: they come from the voice form"
        )
    for number, (field_place, raw_field) in enumerate(field_entries):
        definition = _read_field(field_place, raw_field, in_group=False)
        if definition.key in seen:
            raise field_place.key("key").error(
                f"duplicate field key {definition.key!r} in this section "
                f"(also fields[{seen[definition.key]}])"
            )
        seen[definition.key] = number
        fields.append(definition)
    for number, definition in enumerate(fields):
        if not isinstance(definition, RepeatingGroupDefinition):
            continue
        for total_number, total in enumerate(definition.computed_totals):
            if total.key in seen:
                raise (
                    place.key("fields")
                    .index(number)
                    .key("computed_totals")
                    .index(total_number)
                    .key("key")
                    .error(f"{total.key!r} is already a field key in this section")
                )
            seen[total.key] = number
    check_conditions(place.key("fields"), fields)
    by_key = {definition.key: definition for definition in fields}
    _check_calculations(place, fields, by_key)
    checks = _read_checks(place, mapping, by_key)
    readers = _read_roles(place, mapping, "readers")
    mapping.finish()
    return SectionDefinition(
        key=key,
        title=title,
        owner=owner,
        description=description,
        section_type=section_type,
        fields=tuple(fields),
        band=band,
        voice_form=voice_form,
        voice_form_version=voice_form_version,
        readers=readers,
        checks=checks,
    )


def _check_calculations(
    place: _Place, fields: list[FieldDefinition], by_key: Mapping[str, FieldDefinition]
) -> None:
    """A calculated field's inputs are number fields of the section (before or after it)."""
    from forms.calculations import check_references

    for number, definition in enumerate(fields):
        if not isinstance(definition, CalculatedDefinition):
            continue
        problems = check_references(definition.calculation, by_key)
        if problems:
            path, problem = problems[0]
            raise place.key("fields").index(number).part_error(path, problem)


def _read_checks(
    place: _Place, mapping: _Mapping, by_key: Mapping[str, FieldDefinition]
) -> tuple[Check, ...]:
    """A section's `checks:`, each naming fields of the section of a type it can compare."""
    from forms.checks import check_references, parse_check
    from forms.conditions import PartSyntaxError

    checks: list[Check] = []
    for check_place, raw in mapping.items("checks", required=False):
        try:
            check = parse_check(raw)
        except PartSyntaxError as problem:
            raise check_place.part_error(problem.path, problem.problem) from None
        problems = check_references(check, by_key)
        if problems:
            path, problem = problems[0]
            raise check_place.part_error(path, problem)
        for key in check.named_fields:
            named = by_key.get(key)
            if named is not None and not named.stores_answer:
                raise check_place.error(f"{key!r} stores no answer, so a check cannot compare it")
        checks.append(check)
    return tuple(checks)


def _read_roles(place: _Place, mapping: _Mapping, name: str) -> frozenset[Role]:
    """A section's `readers:`: the carer or the child (staff read every section already)."""
    roles: set[Role] = set()
    for role_place, raw in mapping.items(name, required=False):
        known = ", ".join(sorted(role.value for role in WIDENING_READERS))
        if not isinstance(raw, str) or raw not in {role.value for role in WIDENING_READERS}:
            raise role_place.error(
                f"unknown reader {raw!r} (staff read every section; a section may add: {known})"
            )
        roles.add(Role(raw))
    return frozenset(roles)


def _read_carers_read(
    place: _Place, mapping: _Mapping, sections: list[SectionDefinition]
) -> frozenset[str]:
    """The form's `carers_read:`: keys of sections carers may read besides their own."""
    keys = {section.key for section in sections}
    chosen: set[str] = set()
    for key_place, raw in mapping.items("carers_read", required=False):
        if not isinstance(raw, str) or raw not in keys:
            raise key_place.error(f"no section {raw!r}")
        chosen.add(raw)
    return frozenset(chosen)


def _check_child_voice_form(place: _Place, sections: list[SectionDefinition]) -> None:
    bands_seen: dict[VoiceBand, int] = {}
    for number, section in enumerate(sections):
        section_place = place.key("sections").index(number)
        assert section.band is not None
        if section.band in bands_seen:
            raise section_place.key("band").error(
                f"band {section.band.value!r} already has a section "
                f"(sections[{bands_seen[section.band]}])"
            )
        bands_seen[section.band] = number
        if section.owner is not Role.CHILD:
            raise section_place.key("owner").error("the child's voice belongs to the child")
        if section.section_type is not SectionType.STANDARD:
            raise section_place.key("type").error("a child's-voice form has standard sections")
    missing = [band.value for band in VoiceBand if band not in bands_seen]
    if missing:
        raise place.key("sections").error(f"needs a section for each band; missing {missing}")


def _check_prefills(place: _Place, sections: list[SectionDefinition]) -> None:
    """A prefill copies rows from the same form's sections on the last PEP: check they exist."""
    by_key = {section.key: section for section in sections}
    for section_number, section in enumerate(sections):
        for field_number, definition in enumerate(section.fields):
            if not isinstance(definition, RepeatingGroupDefinition) or not definition.prefill:
                continue
            prefill = definition.prefill
            prefill_place = (
                place.key("sections").index(section_number).key("fields").index(field_number)
            ).key("prefill")
            source_section = by_key.get(prefill.section)
            if source_section is None:
                raise prefill_place.key("section").error(f"no section {prefill.section!r}")
            try:
                source = source_section.get_field(prefill.field)
            except KeyError:
                raise prefill_place.key("field").error(
                    f"no field {prefill.field!r} in section {prefill.section!r}"
                ) from None
            if not isinstance(source, RepeatingGroupDefinition):
                raise prefill_place.key("field").error("must name a repeating group")
            for column_key, source_key in prefill.columns:
                column_place = prefill_place.key("columns").key(column_key)
                try:
                    source_column = source.column(source_key)
                except KeyError:
                    raise column_place.error(
                        f"no column {source_key!r} in {prefill.section}.{prefill.field}"
                    ) from None
                column = definition.column(column_key)
                if type(column) is not type(source_column):
                    raise column_place.error(
                        f"{column.field_type} column cannot take {source_column.field_type} answers"
                    )
                # A group carried forward from its own last answers (the schools attended so
                # far) starts with those rows and stays editable; any other prefill records an
                # earlier answer beside new ones, so it must not be changed.
                carried_forward = prefill.section == section.key and prefill.field == definition.key
                if not column.read_only and not carried_forward:
                    raise column_place.error(
                        "a prefilled column must be read_only: it records the earlier answer "
                        "(only a group prefilled from itself, carried forward, stays editable)"
                    )


def _parse_definition(file_name: str, raw: object) -> FormDefinition:
    place = _Place(file_name)
    mapping = _Mapping(place, raw, what="a form definition")
    key = mapping.key_text("key")
    version = mapping.whole_number("version", minimum=1)
    if version is None:
        raise place.key("version").error("is required")
    title = mapping.text("title")
    phase = mapping.choice("phase", Phase, what="phase")
    description = mapping.text("description", required=False)
    sections: list[SectionDefinition] = []
    seen: dict[str, int] = {}
    for number, (section_place, raw_section) in enumerate(mapping.items("sections")):
        section = _read_section(section_place, raw_section, phase=phase)
        if section.key in seen:
            raise section_place.key("key").error(
                f"duplicate section key {section.key!r} (also sections[{seen[section.key]}])"
            )
        seen[section.key] = number
        sections.append(section)
    carers_read = _read_carers_read(place, mapping, sections)
    mapping.finish()
    if phase is Phase.CHILD_VOICE:
        _check_child_voice_form(place, sections)
    _check_prefills(place, sections)
    expected_name = f"{key}.v{version}.yaml"
    if file_name != expected_name:
        raise place.error(
            f"key {key!r} and version {version} do not match the file name "
            f"(expected {expected_name})"
        )
    return FormDefinition(
        key=key,
        version=version,
        title=title,
        phase=phase,
        description=description,
        sections=tuple(sections),
        carers_read=carers_read,
    )


def load_definition(path: Path | str) -> FormDefinition:
    """Load and check one definition file. References to other files are not linked."""
    path = Path(path)
    file_name = path.name
    if not _FILE_NAME.fullmatch(file_name):
        raise FormDefinitionError(
            f"{file_name}: the file name must be <key>.v<version>.yaml, like school_age.v1.yaml"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise FormDefinitionError(f"{file_name}: cannot be read: {problem}") from None
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise FormDefinitionError(
            f"{file_name}: {where}: not valid YAML: {problem.problem}"
        ) from None
    except yaml.YAMLError as problem:
        raise FormDefinitionError(f"{file_name}: not valid YAML: {problem}") from None
    if raw is None:
        raise FormDefinitionError(f"{file_name}: the file is empty")
    return _parse_definition(file_name, raw)


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


class FormRegistry:
    """Every loaded definition, by key and version; a stored (key, version) always resolves."""

    def __init__(self, definitions: Iterable[FormDefinition]) -> None:
        self._by_key_and_version: dict[tuple[str, int], FormDefinition] = {}
        for definition in definitions:
            identity = (definition.key, definition.version)
            if identity in self._by_key_and_version:
                raise FormDefinitionError(
                    f"{definition.file_name}: form {definition.key!r} version "
                    f"{definition.version} is defined twice"
                )
            self._by_key_and_version[identity] = definition

    def get(self, key: str, version: int) -> FormDefinition:
        try:
            return self._by_key_and_version[(key, version)]
        except KeyError:
            raise UnknownFormError(f"no form {key!r} version {version} is loaded") from None

    def latest(self, key: str) -> FormDefinition:
        versions = self.versions(key)
        if not versions:
            raise UnknownFormError(f"no form {key!r} is loaded")
        return self._by_key_and_version[(key, versions[-1])]

    def versions(self, key: str) -> tuple[int, ...]:
        return tuple(sorted(version for known, version in self._by_key_and_version if known == key))

    def form_keys(self) -> tuple[str, ...]:
        return tuple(sorted({key for key, _version in self._by_key_and_version}))

    def pep_form_for(self, age_years: int, year_group: int | None) -> FormDefinition:
        """The latest version of the PEP form that suits a child of this age and year group."""
        return self.latest(choose_pep_form(age_years, year_group))

    def __iter__(self) -> Iterator[FormDefinition]:
        return iter(
            self._by_key_and_version[identity] for identity in sorted(self._by_key_and_version)
        )

    def __len__(self) -> int:
        return len(self._by_key_and_version)

    def __contains__(self, identity: object) -> bool:
        return identity in self._by_key_and_version


def _link_voice_forms(definitions: dict[tuple[str, int], FormDefinition]) -> None:
    """Give each "my views" section the child's-voice definition it refers to."""
    for identity, definition in list(definitions.items()):
        linked: list[SectionDefinition] = []
        for number, section in enumerate(definition.sections):
            if section.section_type is not SectionType.CHILD_VOICE:
                linked.append(section)
                continue
            assert section.voice_form is not None and section.voice_form_version is not None
            target = definitions.get((section.voice_form, section.voice_form_version))
            place = _Place(definition.file_name, f"sections[{number}]")
            if target is None:
                raise place.key("voice_form").error(
                    f"no form {section.voice_form!r} version {section.voice_form_version} is loaded"
                )
            if target.phase is not Phase.CHILD_VOICE:
                raise place.key("voice_form").error(
                    f"{target.file_name} is a {target.phase} form, not a child's-voice form"
                )
            linked.append(replace(section, voice_definition=target))
        definitions[identity] = replace(definition, sections=tuple(linked))


def load_definitions(*directories: Path | str) -> FormRegistry:
    """Load every ``*.yaml`` definition in ``directories`` (the published forms when none is
    named), check them, and link their references. Several folders load as one: the drafts of
    the next versions beside the published ones, as the portal will hold them once published."""
    folders = [Path(directory) for directory in directories] or [Path(DEFAULT_DIRECTORY)]
    paths = [
        path
        for folder in folders
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    ]
    if not paths:
        names = ", ".join(str(folder) for folder in folders)
        raise FormDefinitionError(f"{names}: no form definitions (*.yaml) found")
    definitions: dict[tuple[str, int], FormDefinition] = {}
    for path in paths:
        definition = load_definition(path)
        definitions[(definition.key, definition.version)] = definition
    _link_voice_forms(definitions)
    return FormRegistry(definitions.values())
