"""Admin: changes in a child's life."""

from __future__ import annotations

from portal.admin import blueprint  # noqa: F401
