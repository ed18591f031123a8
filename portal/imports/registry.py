"""Which importer reads which kind of file."""

from __future__ import annotations

from importlib import import_module

from portal.imports import Importer
from portal.models import ImportKind

_MODULES = {
    ImportKind.STAFF: "portal.operations.importers.staff",
    ImportKind.SCHOOLS: "portal.operations.importers.schools",
    ImportKind.CHILDREN: "portal.operations.importers.children",
}


def importer_for(kind: ImportKind) -> Importer:
    importer: Importer = import_module(_MODULES[kind]).IMPORTER
    return importer
