"""Code lists kept as data (the SSDA903 return's codes), loaded once and looked up by code."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_DIRECTORY = Path(__file__).parent


@dataclass(frozen=True)
class LegalStatusCode:
    code: str
    label: str
    pep_duty: bool  # short breaks (V3, V4) carry no PEP duty


@dataclass(frozen=True)
class LeavingCareReason:
    code: str
    label: str
    previously_looked_after: bool  # adoption, child arrangements and special guardianship
    leaves_care: bool  # X1 ends an episode without leaving care


@dataclass(frozen=True)
class Ssda903Codes:
    legal_statuses: dict[str, LegalStatusCode]
    reasons_episode_ceased: dict[str, LeavingCareReason]
    reasons_new_episode: dict[str, str]
    categories_of_need: dict[str, str]
    placement_types: dict[str, str]
    placement_providers: dict[str, str]
    sexes: dict[str, str]
    ethnicities: dict[str, str]

    def legal_status_label(self, code: str) -> str:
        known = self.legal_statuses.get(code)
        return f"{known.label} ({code})" if known else f"Legal status {code}"

    def has_pep_duty(self, code: str) -> bool:
        known = self.legal_statuses.get(code)
        return known.pep_duty if known else True


def _labels(raw: dict[Any, Any]) -> dict[str, str]:
    return {str(code): str(label) for code, label in raw.items()}


@cache
def ssda903() -> Ssda903Codes:
    raw = yaml.safe_load((_DIRECTORY / "ssda903.yaml").read_text(encoding="utf-8"))
    return Ssda903Codes(
        legal_statuses={
            str(code): LegalStatusCode(str(code), entry["label"], bool(entry["pep_duty"]))
            for code, entry in raw["legal_statuses"].items()
        },
        reasons_episode_ceased={
            str(code): LeavingCareReason(
                str(code),
                entry["label"],
                bool(entry["previously_looked_after"]),
                bool(entry.get("leaves_care", True)),
            )
            for code, entry in raw["reasons_episode_ceased"].items()
        },
        reasons_new_episode=_labels(raw["reasons_new_episode"]),
        categories_of_need=_labels(raw["categories_of_need"]),
        placement_types=_labels(raw["placement_types"]),
        placement_providers=_labels(raw["placement_providers"]),
        sexes=_labels(raw["sexes"]),
        ethnicities=_labels(raw["ethnicities"]),
    )
