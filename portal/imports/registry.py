"""Which importer reads which kind of file."""

from __future__ import annotations

from importlib import import_module

from portal.imports import Importer
from portal.models import ImportKind

_MODULES = {
    ImportKind.STAFF: "portal.imports.staff",
    ImportKind.SCHOOLS: "portal.imports.schools",
    ImportKind.CHILDREN: "portal.imports.children",
}


def importer_for(kind: ImportKind) -> Importer:
    importer: Importer = import_module(_MODULES[kind]).IMPORTER
    return importer
